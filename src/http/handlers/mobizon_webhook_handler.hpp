// POST /api/v1/webhooks/mobizon: Mobizon's delivery reports, signature checked with MOBIZON_WEBHOOK_SECRET.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "auth/sms_delivery.hpp"
#include "http/router.hpp"

namespace sms_auth {

// Mounted only when MOBIZON_WEBHOOK_SECRET is set (otherwise the path is a 404). A missing or wrong signature gets
// 401 and changes nothing. A signed report is acknowledged with 200 even when it is ignored (a message we did not
// send, a repeated event, an event created outside the replay window, another event type), so that Mobizon stops
// retrying it.
class MobizonWebhookHandler {
 public:
  // gateway_utc_offset: how far the gateway's clock (eventCreateTs) is ahead of UTC.
  MobizonWebhookHandler(SmsDelivery& delivery, std::string secret, std::chrono::minutes gateway_utc_offset);

  std::vector<Route> routes();

  awaitable<HttpResponse> delivery_report(HttpRequest request);

 private:
  SmsDelivery& delivery_;
  std::string secret_;
  std::chrono::minutes gateway_utc_offset_;
};

}  // namespace sms_auth
