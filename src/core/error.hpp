// The expected failures of the service (bad input, wrong code, limits, gateway refusals) as one enum and one value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sms_auth {

// Each value is an outcome a client can act on; http/error_response.cpp is the only place that maps it to a status.
// Broken infrastructure (database down, a bug) is not here: it throws, and the HTTP layer answers an opaque 500/503.
// Nor are refusals of the request as HTTP (size, media type, path, method): those are http/http_error.hpp's.
enum class errc {
  invalid_request,       // body not JSON, wrong types, missing fields
  invalid_phone_number,  // not a valid mobile number of an allowed country
  invalid_code,          // wrong code, no pending code, code already used
  code_expired,          // the code's lifetime has passed
  too_many_attempts,     // too many wrong codes for this code or this number
  rate_limited,          // a send limit or the resend cooldown
  sms_rejected,          // the gateway refused this message
  sms_unavailable,       // the gateway cannot be used now (down, key refused, balance)
  invalid_token,         // bad or expired bearer token
  invalid_grant,         // bad, expired, revoked or reused refresh token
  access_denied,         // the account is blocked
  internal_error,        // a bug: details only in the log
  unavailable,           // a dependency (database) is down
  invalid_signature,     // a webhook whose signature is missing or wrong
};

// The snake_case name clients see in the `error` field.
std::string_view error_name(errc code) noexcept;

// An expected failure with what the client needs to act on it.
struct Error {
  errc code;
  std::string detail;                                // a human sentence, safe to show (never a secret)
  std::optional<int> attempts_left;                  // invalid_code: wrong tries left for this code
  std::optional<std::int64_t> retry_after_seconds;   // 429 and 503: when to try again
};

inline Error make_error(errc code, std::string detail) { return Error{code, std::move(detail), {}, {}}; }

}  // namespace sms_auth
