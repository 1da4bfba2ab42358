// errc and http_errc → HTTP status and error body (docs/api.md, Errors).
#include "http/error_response.hpp"

#include <nlohmann/json.hpp>

namespace sms_auth {

int http_status(errc code) noexcept {
  switch (code) {
    case errc::invalid_request:
      return 400;
    case errc::invalid_phone_number: return 422;
    case errc::invalid_code: return 401;  // "wrong code", never "log out" (the app's interceptor relies on it)
    case errc::code_expired: return 401;
    case errc::too_many_attempts: return 429;
    case errc::rate_limited: return 429;
    case errc::sms_rejected: return 502;
    case errc::sms_unavailable:
      return 503;
    case errc::invalid_token: return 401;
    case errc::invalid_grant: return 401;
    case errc::access_denied: return 403;
    case errc::internal_error: return 500;
    case errc::unavailable: return 503;
    case errc::invalid_signature: return 401;
  }
  return 500;
}

int http_status(http_errc code) noexcept {
  switch (code) {
    case http_errc::unsupported_media_type:
      return 415;
    case http_errc::payload_too_large:
      return 413;
    case http_errc::headers_too_large:
      return 431;
    case http_errc::not_found:
      return 404;
    case http_errc::method_not_allowed:
      return 405;
  }
  return 500;
}

std::string_view error_name(http_errc code) noexcept {
  switch (code) {
    case http_errc::unsupported_media_type:
      return "unsupported_media_type";
    case http_errc::payload_too_large:
      return "payload_too_large";
    case http_errc::headers_too_large:
      return "headers_too_large";
    case http_errc::not_found:
      return "not_found";
    case http_errc::method_not_allowed:
      return "method_not_allowed";
  }
  return "internal_error";
}

HttpResponse error_response(const HttpError& error) {
  const nlohmann::json body = {{"success", false}, {"error", error_name(error.code)}, {"detail", error.detail}};
  HttpResponse response;
  response.status = http_status(error.code);
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse error_response(const BodyError& error) {
  return std::visit([](const auto& reason) { return error_response(reason); }, error);
}

HttpResponse error_response(const Error& error) {
  nlohmann::json body = {{"success", false}, {"error", error_name(error.code)}, {"detail", error.detail}};
  HttpResponse response;
  response.status = http_status(error.code);
  if (error.attempts_left) body["attempts_left"] = *error.attempts_left;
  if (error.retry_after_seconds) {
    body["retry_after"] = *error.retry_after_seconds;
    response.headers.emplace_back("Retry-After", std::to_string(*error.retry_after_seconds));
  } else if (response.status == 429 || response.status == 503) {
    response.headers.emplace_back("Retry-After", "1");  // these statuses always tell the client when to come back
  }
  if (error.code == errc::invalid_token) {
    response.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  }
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

}  // namespace sms_auth
