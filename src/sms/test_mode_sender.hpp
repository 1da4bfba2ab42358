// The test-mode sender (SMS_TEST_MODE=true): sends nothing and logs the message, as the original backend does.
#pragma once

#include <atomic>
#include <mutex>

#include "sms/sms_sender.hpp"

namespace sms_auth {

// Writes the original backend's two lines, "[MOBIZON] TEST MODE - SMS not sent" and "[MOBIZON] Message: <text>", and answers
// with the original backend's id "test-mode-id". The only place where a code may be logged, and only because test mode was asked
// for. The log is the record tests read the messages from.
class TestModeSender final : public SmsSender {
 public:
  awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) override;
  std::uint64_t messages_logged() const noexcept { return messages_logged_.load(); }

 private:
  std::atomic<std::uint64_t> messages_logged_{0};
  // Keeps one message's two lines together: sends on other I/O threads would otherwise write between them, and a
  // reader pairing each "not sent" line with the next "Message" line would pair the wrong ones.
  std::mutex pair_of_lines_;
};

}  // namespace sms_auth
