// Test-mode sending: the original backend's log lines instead of an SMS.
#include "sms/test_mode_sender.hpp"

#include <mutex>

#include "core/log.hpp"

namespace sms_auth {

awaitable<result<SentSms, SendFailure>> TestModeSender::send(OutgoingSms sms) {
  // The text lines stay the original backend's, word for word (tools and tests read them); JSON gets fields.
  const std::string to = mask_phone(sms.recipient_e164);
  {
    const std::lock_guard<std::mutex> lock(pair_of_lines_);
    log_event_as(LogLevel::info, sms.log, "[MOBIZON] TEST MODE - SMS not sent (to " + to + ")", "sms.test_mode",
                 {{"phone", to}}, "SMS not sent");
    log_event_as(LogLevel::info, sms.log, "[MOBIZON] Message: " + sms.text, "sms.test_mode", {{"phone", to}}, sms.text);
  }
  messages_logged_.fetch_add(1);
  co_return SentSms{"test-mode-id", false, "test"};
}

}  // namespace sms_auth
