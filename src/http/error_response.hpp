// The one place that maps an expected failure (errc) to an HTTP status and the spec's JSON error shape.
#pragma once

#include "core/error.hpp"
#include "http/message.hpp"

namespace sms_auth {

int http_status(errc code) noexcept;

// {"success": false, "error": "<code>", "detail": "<sentence>"} plus attempts_left / retry_after when known, with
// Retry-After and WWW-Authenticate headers where the status calls for them.
HttpResponse error_response(const Error& error);

}  // namespace sms_auth
