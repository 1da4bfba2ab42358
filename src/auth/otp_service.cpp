// Send, resend and verify: input checks first (cheap), then one atomic repository call, then the SMS.
#include "auth/otp_service.hpp"

#include <spdlog/spdlog.h>

#include "auth/sms_text.hpp"
#include "core/log.hpp"

namespace sms_auth {
namespace {

using std::chrono::duration_cast;

std::int64_t whole_seconds_left(TimePoint until, TimePoint now) {
  const auto left = duration_cast<Milliseconds>(until - now);
  return left.count() <= 0 ? 0 : ceil_seconds(left);
}

}  // namespace

std::string new_refresh_token() { return base64url_encode(random_bytes(32)); }

Bytes refresh_token_hash(std::string_view refresh_token) { return sha256(refresh_token); }

OtpService::OtpService(const Config& config, const PhoneNumberParser& phones, const OtpCodec& codec,
                       const LimitPolicy& limits, const AccessTokens& tokens, Repository& repository,
                       SmsSender& sender, const TimeSource& clock, AuthMetrics& metrics)
    : config_(config), phones_(phones), codec_(codec), limits_(limits), tokens_(tokens), repository_(repository),
      sender_(sender), clock_(clock), metrics_(metrics) {}

bool OtpService::is_test_number(const PhoneNumber& phone) const {
  return config_.test_phone_numbers.count(phone.e164) > 0;
}

std::string OtpService::code_for(const PhoneNumber& phone, const Bytes& seed) const {
  if (const auto it = config_.test_phone_numbers.find(phone.e164); it != config_.test_phone_numbers.end()) {
    return it->second;
  }
  if (config_.sms_test_fixed_code) return *config_.sms_test_fixed_code;
  return codec_.code_for_seed(seed);
}

awaitable<result<CodeSent>> OtpService::send_code(SendCodeCommand command) {
  auto phone = phones_.parse(command.phone_input);
  if (!phone) co_return phone.error();
  const TimePoint now = clock_.now();
  const char* action = command.resend ? "resend" : "send";

  IssueCodeRequest request;
  request.phone_number = phone->e164;
  request.now = now;
  if (command.resend) {
    // A code with less than half its life left is not worth sending again: the user gets a fresh one.
    request.reuse_if_remaining = duration_cast<Milliseconds>(config_.otp_ttl) / 2;
  }
  request.new_seed = OtpCodec::new_seed();
  request.new_code_hash = codec_.hash(phone->e164, code_for(*phone, request.new_seed));
  request.new_expires_at = now + duration_cast<Milliseconds>(config_.otp_ttl);
  request.max_attempts = config_.otp_max_attempts;
  request.limits = limits_.for_send(*phone, command.client_address);
  request.reservation_id = random_uuid();

  auto issued = repository_.issue_code(request);
  if (!issued) {
    metrics_.rate_limited.labels({issued.error().name}).inc();
    spdlog::warn("auth.rate_limited action={} phone={} ip={} limit={} retry_after={}s", action,
                 mask_phone(phone->e164), log_safe(command.client_address), issued.error().name,
                 ceil_seconds(issued.error().retry_after));
    Error error = make_error(errc::rate_limited, issued.error().name == "cooldown"
                                                     ? "A code was sent to this number moments ago; wait before "
                                                       "asking for another"
                                                     : "Too many codes were requested; try again later");
    error.retry_after_seconds = ceil_seconds(issued.error().retry_after);
    co_return error;
  }

  CodeSent out;
  out.expires_in = whole_seconds_left(issued->expires_at, now);
  out.resend_after = config_.resend_cooldown.count();
  out.reused = issued->reused;

  if (is_test_number(*phone)) {
    // Store reviewers and CI log in with a known code; nothing is sent and nothing costs money.
    metrics_.codes_sent.labels({"test_number"}).inc();
    spdlog::info("auth.{} phone={} ip={} test_number=true", action, mask_phone(phone->e164),
                 log_safe(command.client_address));
    out.sms_id = "test-number";
    out.phone = std::move(*phone);
    co_return out;
  }

  const std::string code = code_for(*phone, issued->seed);
  const long long minutes_left = (out.expires_in + 59) / 60;
  // Named, not a temporary in the co_await expression: g++ 12 destroys such temporaries twice (GCC PR 100611).
  OutgoingSms sms{phone->e164, render_sms_text(config_.sms_template, code, minutes_left)};
  auto sent = co_await sender_.send(std::move(sms));
  if (!sent) {
    repository_.cancel_issue(phone->e164, issued->challenge_id, request.reservation_id, !issued->reused);
    const bool rejected = sent.error().code == errc::sms_rejected;
    metrics_.codes_sent.labels({rejected ? "rejected" : "unavailable"}).inc();
    spdlog::warn("auth.{} failed phone={} ip={} error={}", action, mask_phone(phone->e164),
                 log_safe(command.client_address), error_name(sent.error().code));
    co_return sent.error();
  }

  metrics_.codes_sent.labels({"sent"}).inc();
  spdlog::info("auth.{} phone={} ip={} sms_id={} reused_code={}{}", action, mask_phone(phone->e164),
               log_safe(command.client_address), log_safe(sent->message_id), issued->reused,
               sent->held_for_moderation ? " held_for_moderation=true" : "");
  out.sms_id = std::move(sent->message_id);
  out.phone = std::move(*phone);
  co_return out;
}

result<LoginSucceeded> OtpService::verify_code(VerifyCodeCommand command) {
  if (!is_well_formed_code(command.code)) {
    return make_error(errc::invalid_request, "code must be a string of 6 digits");
  }
  auto phone = phones_.parse(command.phone_input);
  if (!phone) return phone.error();
  const TimePoint now = clock_.now();

  const std::string refresh_token = new_refresh_token();
  VerifyCodeRequest request;
  request.phone_number = phone->e164;
  request.now = now;
  request.attempt_limits = limits_.for_verify_attempt(command.client_address);
  request.failure_limit = limits_.failed_verifications(*phone);
  const std::string& submitted = command.code;
  const std::string& e164 = phone->e164;
  request.matches = [this, &submitted, &e164](const StoredCode& stored) {
    return codec_.matches(e164, submitted, stored.code_hash);
  };
  request.session.session_id = random_uuid();
  request.session.new_user_id = random_uuid();
  request.session.refresh_token_hash = refresh_token_hash(refresh_token);
  request.session.refresh_expires_at = now + duration_cast<Milliseconds>(config_.refresh_token_idle);
  request.session.session_expires_at = now + duration_cast<Milliseconds>(config_.refresh_token_ttl);

  const VerifyCodeResult outcome = repository_.verify_code(request);
  const std::string masked = mask_phone(phone->e164);
  const std::string address = log_safe(command.client_address);

  auto count = [this](const char* result_name) { metrics_.verifications.labels({result_name}).inc(); };
  switch (outcome.status) {
    case VerifyStatus::verified: {
      count("verified");
      metrics_.logins.labels({outcome.user_created ? "true" : "false"}).inc();
      spdlog::info("auth.verify ok phone={} ip={} user={} new_user={} session={}", masked, address, outcome.user.id,
                   outcome.user_created, request.session.session_id);
      LoginSucceeded out;
      out.access_token = tokens_.issue(outcome.user.id, request.session.session_id, phone->e164, now);
      out.refresh_token = refresh_token;
      out.user = outcome.user;
      out.user_created = outcome.user_created;
      return out;
    }
    case VerifyStatus::wrong_code: {
      count("wrong_code");
      spdlog::warn("auth.verify failed phone={} ip={} reason=wrong_code attempts_left={}", masked, address,
                   outcome.attempts_left);
      Error error = make_error(errc::invalid_code, outcome.attempts_left > 0
                                                       ? "The code is wrong"
                                                       : "The code is wrong; no attempts are left for it, request a "
                                                         "new code");
      error.attempts_left = outcome.attempts_left;
      return error;
    }
    case VerifyStatus::no_code: {
      count("no_code");
      spdlog::warn("auth.verify failed phone={} ip={} reason=no_pending_code", masked, address);
      Error error = make_error(errc::invalid_code, "The code is wrong or was already used; request a new code");
      error.attempts_left = 0;
      return error;
    }
    case VerifyStatus::expired:
      count("expired");
      spdlog::warn("auth.verify failed phone={} ip={} reason=expired", masked, address);
      return make_error(errc::code_expired, "The code has expired; request a new code");
    case VerifyStatus::code_locked: {
      count("code_locked");
      spdlog::warn("auth.verify locked phone={} ip={} reason=code_attempts_used", masked, address);
      Error error = make_error(errc::too_many_attempts, "Too many wrong codes; request a new code");
      error.retry_after_seconds = ceil_seconds(outcome.retry_after);
      return error;
    }
    case VerifyStatus::limited: {
      count("limited");
      metrics_.rate_limited.labels({outcome.limit_name}).inc();
      spdlog::warn("auth.verify locked phone={} ip={} limit={} retry_after={}s", masked, address, outcome.limit_name,
                   ceil_seconds(outcome.retry_after));
      Error error = make_error(errc::too_many_attempts, "Too many wrong codes; try again later");
      error.retry_after_seconds = ceil_seconds(outcome.retry_after);
      return error;
    }
    case VerifyStatus::user_blocked:
      count("user_blocked");
      spdlog::warn("auth.verify refused phone={} ip={} reason=user_blocked user={}", masked, address, outcome.user.id);
      return make_error(errc::access_denied, "This account is blocked");
  }
  throw std::logic_error("verify_code: unhandled status");
}

}  // namespace sms_auth
