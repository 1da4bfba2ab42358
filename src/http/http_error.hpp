// Refusals of a request as HTTP, decided before any domain code runs: its size, its media type, its path or method.
// Kept apart from core's errc, which holds only what the domain decides; error_response.cpp maps both.
#pragma once

#include <string>
#include <variant>

#include "core/error.hpp"

namespace sms_auth {

enum class http_errc {
  unsupported_media_type,  // 415: Content-Type is not application/json
  payload_too_large,       // 413: body over the limit
  headers_too_large,       // 431: request headers over the limit
  not_found,               // 404: unknown path
  method_not_allowed,      // 405: known path, other method
};

struct HttpError {
  http_errc code;
  std::string detail;  // a human sentence, safe to show
};

// Why a request body was refused: as HTTP (its media type) or as input (invalid_request).
using BodyError = std::variant<HttpError, Error>;

}  // namespace sms_auth
