// The three login endpoints of the original backend: /api/v1/sms-auth/{send-code, verify-code, resend-code}.
#pragma once

#include <vector>

#include "auth/otp_service.hpp"
#include "http/router.hpp"

namespace sms_auth {

// Thin adapters: parse the JSON body, call the OtpService, render the original backend's response shape.
class OtpHandlers {
 public:
  explicit OtpHandlers(OtpService& service);

  std::vector<Route> routes();

  awaitable<HttpResponse> send_code(HttpRequest request);
  awaitable<HttpResponse> resend_code(HttpRequest request);
  awaitable<HttpResponse> verify_code(HttpRequest request);

 private:
  awaitable<HttpResponse> send(HttpRequest request, bool resend);
  OtpService& service_;
};

}  // namespace sms_auth
