// Request parsing and response rendering for the login endpoints (docs/api.md, Login).
#include "http/handlers/otp_handlers.hpp"

#include "auth/sms_locale.hpp"
#include "core/clock.hpp"
#include "http/error_response.hpp"
#include "http/json_body.hpp"

namespace sms_auth {

OtpHandlers::OtpHandlers(OtpService& service) : service_(service) {}

std::vector<Route> OtpHandlers::routes() {
  return {
      {"POST", "/api/v1/sms-auth/send-code", std::bind_front(&OtpHandlers::send_code, this)},
      {"POST", "/api/v1/sms-auth/resend-code", std::bind_front(&OtpHandlers::resend_code, this)},
      {"POST", "/api/v1/sms-auth/verify-code", std::bind_front(&OtpHandlers::verify_code, this)},
  };
}

awaitable<HttpResponse> OtpHandlers::send_code(HttpRequest request) {
  return send(std::move(request), false);
}

awaitable<HttpResponse> OtpHandlers::resend_code(HttpRequest request) {
  return send(std::move(request), true);
}

awaitable<HttpResponse> OtpHandlers::send(HttpRequest request, bool resend) {
  const auto body = parse_json_object(request);
  if (!body) co_return error_response(body.error());
  auto phone = required_string(*body, "phone_number");
  if (!phone) co_return error_response(phone.error());

  auto locale = optional_string(*body, "locale");
  if (!locale) co_return error_response(locale.error());
  if (!locale->empty() && !is_locale_tag(*locale)) {
    co_return error_response(make_error(errc::invalid_request, "locale must be a language tag such as kk or ru-KZ"));
  }

  // named (core/async.hpp)
  SendCodeCommand command{std::move(*phone),
                          request.client_address,
                          resend,
                          std::move(*locale),
                          std::string(request.header("accept-language")),
                          request.log_context()};
  auto sent = co_await service_.send_code(std::move(command));
  if (!sent) co_return error_response(sent.error());
  co_return json_response(200, {
                                   {"success", true},
                                   {"message", resend ? "Verification code resent" : "Verification code sent"},
                                   {"sms_id", sent->sms_id},
                                   {"expires_in", sent->expires_in},
                                   {"resend_after", sent->resend_after},
                               });
}

awaitable<HttpResponse> OtpHandlers::verify_code(HttpRequest request) {
  const auto body = parse_json_object(request);
  if (!body) co_return error_response(body.error());
  auto phone = required_string(*body, "phone_number");
  if (!phone) co_return error_response(phone.error());
  auto code = required_string(*body, "code");
  if (!code) co_return error_response(code.error());

  // named (core/async.hpp)
  VerifyCodeCommand command{std::move(*phone), std::move(*code), request.client_address, request.log_context()};
  auto verifying = service_.verify_code(std::move(command));
  auto login = co_await std::move(verifying);
  if (!login) co_return error_response(login.error());
  const auto& access = login->access_token;
  co_return json_response(200, {
                                   {"success", true},
                                   {"message", "Phone number verified"},
                                   {"access_token", access.token},
                                   {"refresh_token", login->refresh_token},
                                   {"token_type", "bearer"},
                                   {"expires_in", access.claims.expires_at - access.claims.issued_at},
                                   {"user",
                                    {
                                        {"id", login->user.id},
                                        {"phone_number", login->user.phone_number},
                                        {"created", login->user_created},
                                    }},
                               });
}

}  // namespace sms_auth
