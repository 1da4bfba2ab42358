// The one place that maps an expected failure (errc, http_errc) to an HTTP status and the spec's JSON error shape.
#pragma once

#include "core/error.hpp"
#include "http/http_error.hpp"
#include "http/message.hpp"

namespace sms_auth {

int http_status(errc code) noexcept;
int http_status(http_errc code) noexcept;
std::string_view error_name(http_errc code) noexcept;

// {"success": false, "error": "<code>", "detail": "<sentence>"} plus attempts_left / retry_after when known, with
// Retry-After and WWW-Authenticate headers where the status calls for them.
HttpResponse error_response(const Error& error);
// The same shape for a refusal as HTTP (413, 415, 431, 404, 405), and for either kind of body refusal.
HttpResponse error_response(const HttpError& error);
HttpResponse error_response(const BodyError& error);

}  // namespace sms_auth
