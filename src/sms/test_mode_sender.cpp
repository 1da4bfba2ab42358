// Test-mode sending: the original backend's log lines instead of an SMS.
#include "sms/test_mode_sender.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"

namespace sms_auth {

awaitable<result<SentSms, SendFailure>> TestModeSender::send(OutgoingSms sms) {
  spdlog::info("[MOBIZON] TEST MODE - SMS not sent (to {})", mask_phone(sms.recipient_e164));
  spdlog::info("[MOBIZON] Message: {}", sms.text);
  messages_logged_.fetch_add(1);
  co_return SentSms{"test-mode-id", false, "test"};
}

}  // namespace sms_auth
