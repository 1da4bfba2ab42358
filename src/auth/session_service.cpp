// Refresh, authenticate, logout, me: input checks first, then one awaited storage call, then signing.
#include "auth/session_service.hpp"

#include "auth/refresh_token.hpp"
#include "core/log.hpp"

namespace sms_auth {
namespace {

using std::chrono::duration_cast;

// Our refresh tokens are 43 characters; anything much longer is not one of ours and is not worth hashing.
constexpr std::size_t kMaxRefreshTokenSize = 512;

const char* status_name(RotateStatus status) {
  switch (status) {
    case RotateStatus::rotated: return "rotated";
    case RotateStatus::rotated_in_grace: return "rotated_in_grace";
    case RotateStatus::unknown_token: return "unknown_token";
    case RotateStatus::idle_expired: return "idle_expired";
    case RotateStatus::session_expired: return "session_expired";
    case RotateStatus::session_revoked: return "session_revoked";
    case RotateStatus::reuse_detected: return "reuse_detected";
    case RotateStatus::user_blocked: return "user_blocked";
  }
  return "unknown";
}

Error invalid_grant(std::string detail) { return make_error(errc::invalid_grant, std::move(detail)); }

}  // namespace

SessionService::SessionService(const SessionSettings& settings, const AccessTokens& tokens, AsyncSessionStore& storage,
                               const TimeSource& clock, SessionMetrics& metrics)
    : settings_(settings), tokens_(tokens), storage_(storage), clock_(clock), metrics_(metrics) {}

awaitable<result<TokenPair>> SessionService::refresh(RefreshCommand command) {
  const std::string address = log_safe(command.client_address);
  if (command.refresh_token.empty() || command.refresh_token.size() > kMaxRefreshTokenSize) {
    metrics_.refreshes.labels({"unknown_token"}).inc();
    log_event(LogLevel::warn, command.log, "auth.refresh",
              {{"result", "failed"}, {"reason", "malformed_token"}, {"client", address}});
    co_return invalid_grant("The refresh token is not valid");
  }
  const TimePoint now = clock_.now();
  TokenPair out;
  out.refresh_token = new_refresh_token();

  RotateRefreshTokenRequest request;
  request.presented_hash = refresh_token_hash(command.refresh_token);
  request.now = now;
  request.new_token_hash = refresh_token_hash(out.refresh_token);
  request.new_token_expires_at = now + duration_cast<Milliseconds>(settings_.refresh_token_idle);
  request.reuse_grace = duration_cast<Milliseconds>(settings_.refresh_reuse_grace);
  auto rotating = storage_.rotate_refresh_token(std::move(request));  // named (core/async.hpp)
  const RotateRefreshTokenResult rotation = co_await std::move(rotating);
  metrics_.refreshes.labels({status_name(rotation.status)}).inc();

  const std::string masked = rotation.phone_number.empty() ? "-" : mask_phone(rotation.phone_number);
  switch (rotation.status) {
    case RotateStatus::rotated:
    case RotateStatus::rotated_in_grace:
      log_event(LogLevel::info, command.log, "auth.refresh",
                {{"result", "ok"}, {"phone", masked}, {"client", address}, {"user", rotation.user_id},
                 {"session", rotation.session_id},
                 {"within_reuse_grace", rotation.status == RotateStatus::rotated_in_grace}});
      out.access_token = tokens_.issue(rotation.user_id, rotation.session_id, rotation.phone_number, now);
      co_return out;
    case RotateStatus::reuse_detected:
      log_event(LogLevel::warn, command.log, "auth.refresh",
                {{"result", "reuse_detected"}, {"phone", masked}, {"client", address}, {"user", rotation.user_id},
                 {"session", rotation.session_id}},
                "the session is revoked");
      co_return invalid_grant("The refresh token was already used; the session has been ended, sign in again");
    case RotateStatus::unknown_token:
      log_event(LogLevel::warn, command.log, "auth.refresh",
                {{"result", "failed"}, {"reason", "unknown_token"}, {"client", address}});
      co_return invalid_grant("The refresh token is not valid");
    case RotateStatus::idle_expired:
    case RotateStatus::session_expired:
      log_event(LogLevel::info, command.log, "auth.refresh",
                {{"result", "failed"}, {"reason", status_name(rotation.status)}, {"phone", masked},
                 {"client", address}, {"user", rotation.user_id}, {"session", rotation.session_id}});
      co_return invalid_grant("The refresh token has expired; sign in again");
    case RotateStatus::session_revoked:
      log_event(LogLevel::warn, command.log, "auth.refresh",
                {{"result", "failed"}, {"reason", "session_revoked"}, {"revoked_reason", rotation.revoked_reason},
                 {"phone", masked}, {"client", address}, {"user", rotation.user_id},
                 {"session", rotation.session_id}});
      co_return invalid_grant("The session has ended; sign in again");
    case RotateStatus::user_blocked:
      log_event(LogLevel::warn, command.log, "auth.refresh",
                {{"result", "refused"}, {"reason", "user_blocked"}, {"phone", masked}, {"client", address},
                 {"user", rotation.user_id}, {"session", rotation.session_id}});
      co_return invalid_grant("This account is blocked");
  }
  throw std::logic_error("refresh: unhandled rotation status");
}

awaitable<result<Authenticated>> SessionService::authenticate(std::string access_token, std::string client_address,
                                                              LogContext log) {
  const TimePoint now = clock_.now();
  auto claims = tokens_.verify(access_token, now);
  if (!claims) {
    // The detail names the failed check in our own words; nothing of the token itself is logged.
    log_event(LogLevel::info, log, "auth.token",
              {{"result", "refused"}, {"client", log_safe(client_address)}, {"reason", claims.error().detail}});
    co_return claims.error();
  }
  auto finding = storage_.find_session(claims->session_id);  // named (core/async.hpp)
  auto session = co_await std::move(finding);
  if (!session || session->user_id != claims->subject || !session->open_at(now)) {
    log_event(LogLevel::info, log, "auth.token",
              {{"result", "refused"}, {"phone", mask_phone(claims->phone_number)},
               {"client", log_safe(client_address)}, {"user", log_safe(claims->subject)},
               {"session", log_safe(claims->session_id)}, {"reason", "session_ended"}});
    co_return make_error(errc::invalid_token, "The session of this token has ended");
  }
  co_return Authenticated{std::move(*claims), std::move(*session)};
}

awaitable<int> SessionService::logout(Authenticated caller, bool all, std::string client_address, LogContext log) {
  const TimePoint now = clock_.now();
  int ended = 0;
  if (all) {
    auto revoking = storage_.revoke_user_sessions(caller.claims.subject, now, "logout_all");
    ended = co_await std::move(revoking);
  } else {
    auto revoking = storage_.revoke_session(caller.claims.subject, caller.session.id, now, "logout");
    ended = (co_await std::move(revoking)) ? 1 : 0;
  }
  metrics_.logouts.labels({all ? "all" : "session"}).inc();
  log_event(LogLevel::info, log, "auth.logout",
            {{"phone", mask_phone(caller.claims.phone_number)}, {"client", log_safe(client_address)},
             {"user", caller.claims.subject}, {"session", caller.session.id}, {"all", all},
             {"sessions_ended", ended}});
  co_return ended;
}

awaitable<result<UserRecord>> SessionService::me(Authenticated caller) {
  auto finding = storage_.find_user_by_id(caller.claims.subject);  // named (core/async.hpp)
  auto user = co_await std::move(finding);
  if (!user) co_return make_error(errc::invalid_token, "The account of this token no longer exists");
  co_return std::move(*user);
}

}  // namespace sms_auth
