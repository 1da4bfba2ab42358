// Mobizon outcomes → domain results and operator log lines.
#include "sms/mobizon/mobizon_gateway.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"

namespace sms_auth::mobizon {
namespace {

void log_failure(const char* action, const Failure& failure, const std::string& explanation) {
  const auto level = failure.operator_must_act ? spdlog::level::err : spdlog::level::warn;
  spdlog::log(level, "mobizon.{} failed reason={} attempts={}: {}", action, failure.reason, failure.attempts,
              explanation);
}

}  // namespace

Error client_error(const Failure& failure) {
  if (failure.kind == FailureKind::rejected) {
    return make_error(errc::sms_rejected, "The SMS gateway refused this message; check the phone number");
  }
  Error error = make_error(errc::sms_unavailable, "SMS sending is temporarily unavailable; try again later");
  error.retry_after_seconds = failure.retry_after_seconds;
  return error;
}

MobizonGateway::MobizonGateway(Api& api) : api_(api) {}

awaitable<result<SentSms, SendFailure>> MobizonGateway::send(OutgoingSms sms) {
  const std::string digits = sms.recipient_e164.size() > 1 ? sms.recipient_e164.substr(1) : sms.recipient_e164;
  const std::string masked = mask_phone(sms.recipient_e164);
  auto sending = api_.send_sms(digits, std::move(sms.text));  // named (core/async.hpp)
  auto sent = co_await std::move(sending);
  if (!sent) {
    log_event(sent.error().operator_must_act ? LogLevel::error : LogLevel::warn, sms.log, "mobizon.send",
              {{"result", "failed"},
               {"to", masked},
               {"reason", sent.error().reason},
               {"attempts", sent.error().attempts},
               {"outcome", send_outcome_name(sent.error().outcome)}},
              sent.error().explanation);
    co_return SendFailure{sent.error().outcome, client_error(sent.error())};
  }
  if (sent->held_for_moderation()) {
    log_event(LogLevel::warn, sms.log, "mobizon.send",
              {{"result", "held_for_moderation"},
               {"to", masked},
               {"sms_id", log_safe(sent->message_id)},
               {"campaign", log_safe(sent->campaign_id)}},
              "Mobizon holds this message for a moderator's check, which takes 1-10 minutes (the first messages of "
              "an account, or a new text). To send without moderation, sign a contract with Mobizon and give "
              "support your account ID, the SMS topic and sample texts");
  } else {
    log_event(LogLevel::info, sms.log, "mobizon.send",
              {{"result", "ok"}, {"to", masked}, {"sms_id", log_safe(sent->message_id)}});
  }
  co_return SentSms{sent->message_id, sent->held_for_moderation(), "mobizon"};
}

awaitable<result<GatewayBalance>> MobizonGateway::balance() {
  auto asking = api_.get_balance();  // named (core/async.hpp)
  auto balance = co_await std::move(asking);
  if (!balance) {
    log_failure("balance", balance.error(), balance.error().explanation);
    Failure unavailable = balance.error();
    unavailable.kind = FailureKind::unavailable;  // a balance query has nothing to reject
    co_return client_error(unavailable);
  }
  co_return std::move(*balance);
}

awaitable<result<std::vector<SmsDeliveryStatus>>> MobizonGateway::delivery_statuses(
    std::vector<std::string> message_ids) {
  auto asking = api_.get_sms_status(std::move(message_ids));  // named (core/async.hpp)
  auto statuses = co_await std::move(asking);
  if (!statuses) {
    log_failure("status", statuses.error(), statuses.error().explanation);
    Failure unavailable = statuses.error();
    unavailable.kind = FailureKind::unavailable;
    co_return client_error(unavailable);
  }
  co_return std::move(*statuses);
}

}  // namespace sms_auth::mobizon
