// Names of the expected failures as clients see them.
#include "core/error.hpp"

namespace sms_auth {

std::string_view error_name(errc code) noexcept {
  switch (code) {
    case errc::invalid_request:
      return "invalid_request";
    case errc::invalid_phone_number: return "invalid_phone_number";
    case errc::invalid_code: return "invalid_code";
    case errc::code_expired: return "code_expired";
    case errc::too_many_attempts: return "too_many_attempts";
    case errc::rate_limited: return "rate_limited";
    case errc::sms_rejected: return "sms_rejected";
    case errc::sms_unavailable:
      return "sms_unavailable";
    case errc::invalid_token: return "invalid_token";
    case errc::invalid_grant: return "invalid_grant";
    case errc::access_denied: return "access_denied";
    case errc::internal_error: return "internal_error";
    case errc::unavailable: return "unavailable";
    case errc::invalid_signature: return "invalid_signature";
  }
  return "internal_error";
}

}  // namespace sms_auth
