// Send, resend and verify: input checks first (cheap), then one atomic storage call (awaited: it runs on the storage
// engine's threads), then the SMS.
#include "auth/otp_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "auth/refresh_token.hpp"
#include "auth/sms_locale.hpp"
#include "auth/sms_text.hpp"
#include "core/log.hpp"

namespace sms_auth {
namespace {

using std::chrono::duration_cast;

std::int64_t whole_seconds_left(TimePoint until, TimePoint now) {
  const auto left = duration_cast<Milliseconds>(until - now);
  return left.count() <= 0 ? 0 : ceil_seconds(left);
}

// The buckets a send refused by the gateway still counts in: the number's (cooldown and caps) and the address's. The
// gateway saw a request for this number, so these limits bound how often it does; the spend caps, the number range's
// velocity and the conversion watch count SMS that went out, and this one did not.
std::vector<std::string> buckets_counting_refusals(const std::vector<WindowLimit>& limits) {
  std::vector<std::string> buckets;
  for (const auto& limit : limits) {
    const bool per_number_or_address = limit.name == limit_name::kCooldown || limit.name == limit_name::kPerNumberHour ||
                                       limit.name == limit_name::kPerNumberDay || limit.name == limit_name::kPerIpHour;
    if (limit.count && per_number_or_address) buckets.push_back(limit.bucket);
  }
  return buckets;
}

}  // namespace

OtpService::OtpService(OtpServiceSettings settings, const PhoneNumberParser& phones, const OtpCodec& codec,
                       const LimitPolicy& limits, const AccessTokens& tokens, AsyncCodeStore& storage,
                       SmsSender& sender, const TimeSource& clock, OtpMetrics& metrics)
    : otp_(settings.otp),
      sessions_(settings.sessions),
      sms_texts_(settings.sms_texts),
      phones_(phones),
      codec_(codec),
      limits_(limits),
      tokens_(tokens),
      storage_(storage),
      sender_(sender),
      clock_(clock),
      metrics_(metrics) {}

bool OtpService::is_test_number(const PhoneNumber& phone) const {
  return otp_.test_phone_numbers.count(phone.e164) > 0;
}

std::string OtpService::code_for(const PhoneNumber& phone, const Bytes& seed) const {
  if (const auto it = otp_.test_phone_numbers.find(phone.e164); it != otp_.test_phone_numbers.end()) {
    return it->second;
  }
  if (otp_.fixed_code) return *otp_.fixed_code;
  return codec_.code_for_seed(seed);
}

awaitable<result<CodeSent>> OtpService::send_code(SendCodeCommand command) {
  auto phone = phones_.parse(command.phone_input);
  if (!phone) co_return phone.error();
  const TimePoint now = clock_.now();
  const char* action = command.resend ? "resend" : "send";
  const char* event = command.resend ? "auth.resend" : "auth.send";

  IssueCodeRequest request;
  request.phone_number = phone->e164;
  request.now = now;
  if (command.resend) {
    // A code with less than half its life left is not worth sending again: the user gets a fresh one.
    request.reuse_if_remaining = duration_cast<Milliseconds>(otp_.code_ttl) / 2;
  }
  // An SMS that may have gone out carries its code: send that one again rather than a code it would not match.
  request.reuse_uncertain_if_remaining = duration_cast<Milliseconds>(otp_.code_ttl) / 2;
  request.new_seed = OtpCodec::new_seed();
  request.new_code_hash = codec_.hash(phone->e164, code_for(*phone, request.new_seed));
  request.new_expires_at = now + duration_cast<Milliseconds>(otp_.code_ttl);
  request.max_attempts = otp_.max_attempts;
  request.limits = limits_.for_send(*phone, command.client_address);
  request.tallies = limits_.send_tallies(*phone);
  request.reservation_id = time_ordered_uuid(to_unix_ms(now));  // the code's id too: no secret, time-ordered rows

  // The request moves to the storage thread (its limits are a few dozen strings); a failed SMS recomputes the limits.
  const std::string reservation_id = request.reservation_id;
  auto issuing = storage_.issue_code(std::move(request));  // named (core/async.hpp)
  auto issued = co_await std::move(issuing);
  if (!issued) co_return send_refused(*phone, command, action, issued.error(), now);

  CodeSent out;
  out.expires_in = whole_seconds_left(issued->expires_at, now);
  out.resend_after = limits_.settings().resend_cooldown.count();

  if (is_test_number(*phone)) {
    // Store reviewers and CI log in with a known code; nothing is sent and nothing costs money.
    metrics_.codes_sent.labels({"test_number"}).inc();
    log_event(LogLevel::info, command.log, event,
              {{"phone", mask_phone(phone->e164)}, {"client", log_safe(command.client_address)},
               {"test_number", true}});
    out.sms_id = "test-number";
    co_return out;
  }

  const std::string code = code_for(*phone, issued->seed);
  const long long minutes_left = (out.expires_in + 59) / 60;
  // Named, not a temporary in the co_await expression (core/async.hpp).
  const std::string locale = choose_sms_locale(command.locale, command.accept_language, sms_texts_.default_locale);
  OutgoingSms sms{phone->e164, compose_sms_text(sms_texts_, locale, code, minutes_left), command.log};
  auto sent = co_await sender_.send(std::move(sms));
  if (!sent) {
    const SendFailure& failure = sent.error();
    if (failure.surely_not_sent()) {
      const bool refused = failure.outcome == SendOutcome::refused;
      // A kept code stays as it was (its earlier SMS went out, or may have); a new one goes.
      auto refunding = storage_.cancel_issue(
          phone->e164, issued->challenge_id, reservation_id, !issued->reused,
          refused ? buckets_counting_refusals(limits_.for_send(*phone, command.client_address))
                  : std::vector<std::string>{});
      co_await std::move(refunding);  // named (core/async.hpp)
      metrics_.codes_sent.labels({refused ? "rejected" : "unavailable"}).inc();
      log_event(LogLevel::warn, command.log, event,
                {{"result", "failed"},
                 {"phone", mask_phone(phone->e164)},
                 {"client", log_safe(command.client_address)},
                 {"error", error_name(failure.error.code)},
                 {"outcome", send_outcome_name(failure.outcome)}});
      co_return failure.error;
    }
    // The SMS may arrive (and be billed): no automatic re-send, the code stays live and counted. The next send to
    // this number, once the cooldown that this send started has passed, sends this same code again.
    auto marking = storage_.mark_delivery_uncertain(phone->e164, issued->challenge_id, true);
    co_await std::move(marking);
    metrics_.codes_sent.labels({"possibly_sent"}).inc();
    log_event(LogLevel::warn, command.log, event,
              {{"result", "failed"},
               {"phone", mask_phone(phone->e164)},
               {"client", log_safe(command.client_address)},
               {"error", "sms_unavailable"},
               {"outcome", "possibly_sent"}},
              "the code stays valid and the next send repeats it");
    Error error = make_error(errc::sms_unavailable, "The SMS may arrive shortly; if it does not, ask again later");
    error.retry_after_seconds = std::max<std::int64_t>(failure.error.retry_after_seconds.value_or(0),
                                                       limits_.settings().resend_cooldown.count());
    co_return error;
  }
  if (issued->delivery_uncertain) {
    auto clearing = storage_.mark_delivery_uncertain(phone->e164, issued->challenge_id, false);
    co_await std::move(clearing);
  }

  metrics_.codes_sent.labels({"sent"}).inc();
  if (sent->held_for_moderation) {
    log_event(LogLevel::info, command.log, event,
              {{"phone", mask_phone(phone->e164)}, {"client", log_safe(command.client_address)},
               {"sms_id", log_safe(sent->message_id)}, {"reused_code", issued->reused},
               {"held_for_moderation", true}});
  } else {
    log_event(LogLevel::info, command.log, event,
              {{"phone", mask_phone(phone->e164)}, {"client", log_safe(command.client_address)},
               {"sms_id", log_safe(sent->message_id)}, {"reused_code", issued->reused}});
  }
  out.sms_id = std::move(sent->message_id);
  co_return out;
}

Error OtpService::send_refused(const PhoneNumber& phone, const SendCodeCommand& command, std::string_view action,
                               const LimitExceeded& refusal, TimePoint now) {
  const std::int64_t retry_after = ceil_seconds(refusal.retry_after);
  metrics_.rate_limited.labels({refusal.name}).inc();
  log_event(LogLevel::warn, command.log, "auth.rate_limited",
            {{"action", action}, {"phone", mask_phone(phone.e164)}, {"client", log_safe(command.client_address)},
             {"limit", refusal.name}, {"retry_after_s", retry_after}});

  const LimitKind kind = LimitPolicy::kind_of(refusal.name);
  if (kind == LimitKind::unverified_budget) {
    // The fraud reason, with the range (not the number): which ranges the pumping walks through.
    log_event(LogLevel::warn, command.log, "fraud.unverified_budget",
              {{"prefix", phone.prefix()},
               {"region", phone.region},
               {"retry_after_s", retry_after},
               {"budget", limits_.settings().sms_unverified_per_hour}},
              "SMS_UNVERIFIED_PER_HOUR is spent, and the number is neither a returning user nor in a range that "
              "converts");
  }
  if (kind == LimitKind::spend_cap || kind == LimitKind::low_conversion || kind == LimitKind::unverified_budget) {
    metrics_.limit_last_hit.labels({refusal.name}).set(static_cast<double>(to_unix_seconds(now)));
    // A reached cap or a pumped range stays so for a while: one error line per window, not one per request.
    const std::string alert_key =
        kind == LimitKind::low_conversion ? refusal.name + ":" + phone.prefix() : refusal.name;
    if (alerts_.first_in_period(alert_key, now, refusal.window)) {
      metrics_.limit_alerts.labels({refusal.name}).inc();
      if (kind == LimitKind::spend_cap) {
        const std::string setting =
            refusal.name == limit_name::kGlobalHour ? "SMS_GLOBAL_PER_HOUR" : "SMS_GLOBAL_PER_DAY";
        log_event(LogLevel::error, command.log, "limits.cap_reached",
                  {{"limit", refusal.name}, {"window_s", refusal.window.count()}, {"retry_after_s", retry_after}},
                  "every SMS is refused until the window moves on; raise " + setting + " if this is real traffic");
      } else if (kind == LimitKind::unverified_budget) {
        log_event(LogLevel::error, command.log, "fraud.unverified_budget",
                  {{"result", "alert"},
                   {"window_s", refusal.window.count()},
                   {"budget", limits_.settings().sms_unverified_per_hour},
                   {"retry_after_s", retry_after},
                   {"prefix", phone.prefix()},
                   {"region", phone.region}},
                  "SMS_UNVERIFIED_PER_HOUR SMS of the last hour were never verified (SMS pumping across ranges?); "
                  "only returning users and ranges that convert get codes until the count falls under the budget");
      } else {
        log_event(LogLevel::error, command.log, "fraud.low_conversion",
                  {{"prefix", phone.prefix()},
                   {"region", phone.region},
                   {"window_s", refusal.window.count()},
                   {"min_samples", limits_.settings().fraud_min_samples},
                   {"min_conversion", limits_.settings().fraud_min_conversion},
                   {"retry_after_s", retry_after}},
                  "SMS to this number range are refused: at least FRAUD_MIN_SAMPLES were sent and fewer than "
                  "FRAUD_MIN_CONVERSION of them were verified (SMS pumping?)");
      }
    }
  }

  Error error = make_error(errc::rate_limited, "Too many codes were requested; try again later");
  if (refusal.name == limit_name::kCooldown) {
    error.detail = "A code was sent to this number moments ago; wait before asking for another";
  } else if (kind == LimitKind::failure_lock) {
    error = make_error(errc::too_many_attempts,
                       "Too many wrong codes were entered for this number from this address; try again later");
  } else if (kind == LimitKind::low_conversion) {
    error.detail = "Codes cannot be sent to this number range right now; try again later";
  } else if (kind == LimitKind::unverified_budget) {
    error.detail = "Codes cannot be sent to new numbers right now; try again later";
  } else if (kind == LimitKind::spend_cap) {
    error.detail = "The service is sending too many codes right now; try again later";
  }
  error.retry_after_seconds = retry_after;
  return error;
}

awaitable<result<LoginSucceeded>> OtpService::verify_code(VerifyCodeCommand command) {
  if (!is_well_formed_code(command.code)) {
    co_return make_error(errc::invalid_request, "code must be a string of 6 digits");
  }
  auto phone = phones_.parse(command.phone_input);
  if (!phone) co_return phone.error();
  const TimePoint now = clock_.now();

  const std::string refresh_token = new_refresh_token();
  VerifyCodeRequest request;
  request.phone_number = phone->e164;
  request.now = now;
  request.attempt_limits = limits_.for_verify_attempt(command.client_address);
  request.client_failure_limit = limits_.failed_verifications_from(*phone, command.client_address);
  request.failure_limit = limits_.failed_verifications(*phone);
  request.failure_tag = LimitPolicy::failure_tag(command.client_address);
  request.success_tallies = limits_.success_tallies(*phone);
  request.submitted_code_hash = codec_.hash(phone->e164, command.code);
  // A session's id is time-ordered (its creation time is in its tokens anyway); a user's stays random, so that the
  // `sub` of every token does not tell when the account was made.
  const std::string session_id = time_ordered_uuid(to_unix_ms(now));
  request.session.session_id = session_id;
  request.session.new_user_id = random_uuid();
  request.session.refresh_token_hash = refresh_token_hash(refresh_token);
  request.session.refresh_expires_at = now + duration_cast<Milliseconds>(sessions_.refresh_token_idle);
  request.session.session_expires_at = now + duration_cast<Milliseconds>(sessions_.refresh_token_ttl);

  auto verifying = storage_.verify_code(std::move(request));  // named (core/async.hpp)
  const VerifyCodeResult outcome = co_await std::move(verifying);
  const std::string masked = mask_phone(phone->e164);
  const std::string address = log_safe(command.client_address);

  auto count = [this](const char* result_name) { metrics_.verifications.labels({result_name}).inc(); };
  switch (outcome.status) {
    case VerifyStatus::verified: {
      count("verified");
      metrics_.logins.labels({outcome.user_created ? "true" : "false"}).inc();
      log_event(LogLevel::info, command.log, "auth.verify",
                {{"result", "ok"}, {"phone", masked}, {"client", address}, {"user", outcome.user.id},
                 {"new_user", outcome.user_created}, {"session", session_id}});
      LoginSucceeded out;
      out.access_token = tokens_.issue(outcome.user.id, session_id, phone->e164, now);
      out.refresh_token = refresh_token;
      out.user = outcome.user;
      out.user_created = outcome.user_created;
      co_return out;
    }
    case VerifyStatus::wrong_code: {
      count("wrong_code");
      log_event(LogLevel::warn, command.log, "auth.verify",
                {{"result", "failed"}, {"phone", masked}, {"client", address}, {"reason", "wrong_code"},
                 {"attempts_left", outcome.attempts_left}});
      Error error = make_error(errc::invalid_code, outcome.attempts_left > 0
                                                       ? "The code is wrong"
                                                       : "The code is wrong; no attempts are left for it, request a "
                                                         "new code");
      error.attempts_left = outcome.attempts_left;
      co_return error;
    }
    case VerifyStatus::no_code: {
      count("no_code");
      log_event(LogLevel::warn, command.log, "auth.verify",
                {{"result", "failed"}, {"phone", masked}, {"client", address}, {"reason", "no_pending_code"}});
      Error error = make_error(errc::invalid_code, "The code is wrong or was already used; request a new code");
      error.attempts_left = 0;
      co_return error;
    }
    case VerifyStatus::expired:
      count("expired");
      log_event(LogLevel::warn, command.log, "auth.verify",
                {{"result", "failed"}, {"phone", masked}, {"client", address}, {"reason", "expired"}});
      co_return make_error(errc::code_expired, "The code has expired; request a new code");
    case VerifyStatus::code_locked: {
      count("code_locked");
      metrics_.rate_limited.labels({"code_attempts"}).inc();  // every 429 is counted by the limit that gave it
      log_event(LogLevel::warn, command.log, "auth.verify",
                {{"result", "locked"}, {"phone", masked}, {"client", address}, {"reason", "code_attempts_used"}});
      Error error = make_error(errc::too_many_attempts, "Too many wrong codes; request a new code");
      error.retry_after_seconds = ceil_seconds(outcome.retry_after);
      co_return error;
    }
    case VerifyStatus::limited: {
      count("limited");
      metrics_.rate_limited.labels({outcome.limit_name}).inc();
      log_event(LogLevel::warn, command.log, "auth.verify",
                {{"result", "locked"}, {"phone", masked}, {"client", address}, {"limit", outcome.limit_name},
                 {"retry_after_s", ceil_seconds(outcome.retry_after)}});
      Error error = make_error(errc::too_many_attempts, outcome.limit_name == limit_name::kVerifyPerIpHour
                                                            ? "Too many verification attempts from this address; "
                                                              "try again later"
                                                            : "Too many wrong codes; try again later");
      error.retry_after_seconds = ceil_seconds(outcome.retry_after);
      co_return error;
    }
    case VerifyStatus::user_blocked:
      count("user_blocked");
      log_event(LogLevel::warn, command.log, "auth.verify",
                {{"result", "refused"}, {"phone", masked}, {"client", address}, {"reason", "user_blocked"},
                 {"user", outcome.user.id}});
      co_return make_error(errc::access_denied, "This account is blocked");
  }
  throw std::logic_error("verify_code: unhandled status");
}

}  // namespace sms_auth
