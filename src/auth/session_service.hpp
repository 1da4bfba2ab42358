// Sessions after login: refresh-token rotation with reuse detection, access-token authentication, logout and /me.
// Domain code: no HTTP, no SQL.
#pragma once

#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "config/config.hpp"
#include "core/async.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "metrics/metrics.hpp"
#include "storage/stores.hpp"

namespace sms_auth {

struct SessionMetrics {
  explicit SessionMetrics(MetricsRegistry& registry)
      : refreshes(registry.counter("sms_auth_refreshes_total",
                                   "Refresh-token presentations by result (rotated, rotated_in_grace, unknown_token, "
                                   "idle_expired, session_expired, session_revoked, reuse_detected, user_blocked)",
                                   {"result"})),
        logouts(registry.counter("sms_auth_logouts_total", "Logouts by scope (session, all)", {"scope"})) {}

  Family<Counter>& refreshes;
  Family<Counter>& logouts;
};

struct RefreshCommand {
  std::string refresh_token;
  std::string client_address;  // for the log
  LogContext log = {};         // the request's, for its log lines
};

struct TokenPair {
  IssuedAccessToken access_token;
  std::string refresh_token;  // opaque; only its SHA-256 is stored
};

// Who a verified access token speaks for: its claims and its (open) session.
struct Authenticated {
  AccessTokenClaims claims;
  SessionRecord session;
};

class SessionService {
 public:
  // Keeps references: every argument outlives the service (the composition root owns them).
  SessionService(const SessionSettings& settings, const AccessTokens& tokens, AsyncSessionStore& storage,
                 const TimeSource& clock, SessionMetrics& metrics);

  // Rotates the refresh token: a new pair of the same family, the presented token dead. Fails with invalid_grant for
  // an unknown, expired (idle or absolute), revoked or reused token and for a blocked account; a reuse outside
  // REFRESH_REUSE_GRACE_SECONDS also ends the family.
  awaitable<result<TokenPair>> refresh(RefreshCommand command);

  // Verifies the access token (pinned algorithm, signature, typ, iss, aud, exp/nbf) and that its session is still
  // open (not logged out, revoked or blocked), so logout takes effect at once rather than when the token expires.
  // Fails with invalid_token; each refusal is logged with the client address.
  awaitable<result<Authenticated>> authenticate(std::string access_token, std::string client_address,
                                               LogContext log = {});

  // Ends the caller's session, or with `all` every open session of its user. Returns how many ended.
  awaitable<int> logout(Authenticated caller, bool all, std::string client_address, LogContext log = {});

  // The caller's account. Fails with invalid_token if it no longer exists.
  awaitable<result<UserRecord>> me(Authenticated caller);

 private:
  const SessionSettings& settings_;
  const AccessTokens& tokens_;
  AsyncSessionStore& storage_;
  const TimeSource& clock_;
  SessionMetrics& metrics_;
};

}  // namespace sms_auth
