// Operator endpoints for SMS, behind the ADMIN_TOKEN bearer: the gateway balance and a number's recent messages.
#pragma once

#include <vector>

#include "auth/phone_number.hpp"
#include "auth/sms_delivery.hpp"
#include "http/admin_auth.hpp"
#include "http/router.hpp"

namespace sms_auth {

class SmsAdminHandlers {
 public:
  SmsAdminHandlers(SmsDelivery& delivery, const PhoneNumberParser& phones, const AdminAuth& auth);

  std::vector<Route> routes();

  // GET /api/v1/admin/sms/balance → {"balance": "4043.0656", "currency": "KZT"}
  awaitable<HttpResponse> balance(HttpRequest request);
  // GET /api/v1/admin/sms/messages?phone=… → {"phone_number", "messages": [{sms_id, status, final, …}]}
  awaitable<HttpResponse> messages(HttpRequest request);

 private:
  SmsDelivery& delivery_;
  const PhoneNumberParser& phones_;
  const AdminAuth& auth_;
};

}  // namespace sms_auth
