// The Mobizon webhook endpoint: JSON body, signature, one domain call.
#include "http/handlers/mobizon_webhook_handler.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "http/error_response.hpp"
#include "http/json_body.hpp"
#include "sms/mobizon/mobizon_webhook.hpp"

namespace sms_auth {

MobizonWebhookHandler::MobizonWebhookHandler(SmsDelivery& delivery, std::string secret,
                                             std::chrono::minutes gateway_utc_offset)
    : delivery_(delivery), secret_(std::move(secret)), gateway_utc_offset_(gateway_utc_offset) {}

std::vector<Route> MobizonWebhookHandler::routes() {
  return {{"POST", "/api/v1/webhooks/mobizon", std::bind_front(&MobizonWebhookHandler::delivery_report, this)}};
}

awaitable<HttpResponse> MobizonWebhookHandler::delivery_report(HttpRequest request) {
  // Mobizon's docs do not say which Content-Type it sends: the body is read as JSON whatever the header says.
  HttpRequest as_json = std::move(request);
  std::erase_if(as_json.headers, [](const auto& header) { return header.first == "content-type"; });
  as_json.headers.emplace_back("content-type", "application/json");
  const auto event = parse_json_object(as_json);
  if (!event) co_return error_response(event.error());

  auto report = mobizon::verify_delivery_report(*event, secret_, gateway_utc_offset_);
  if (!report && report.error() == mobizon::WebhookRefusal::not_a_report) {
    co_return json_response(200, {{"success", true}, {"ignored", "not a delivery report"}});
  }
  if (!report && report.error() == mobizon::WebhookRefusal::malformed) {
    spdlog::warn("webhook.mobizon refused ip={} reason=malformed_report", log_safe(as_json.client_address));
    co_return error_response(make_error(errc::invalid_request, "The delivery report has no message id, status or "
                                                               "eventCreateTs"));
  }
  if (!report) {
    spdlog::warn("webhook.mobizon refused ip={} reason=bad_signature", log_safe(as_json.client_address));
    co_return error_response(make_error(errc::invalid_signature, "The request signature is missing or wrong"));
  }
  // named (core/async.hpp)
  auto applying = delivery_.apply_report(report->event_id, report->status, report->created_at);
  const SmsStatusApplied applied = co_await std::move(applying);
  nlohmann::json body = {{"success", true}};
  if (applied == SmsStatusApplied::unknown_message) body["ignored"] = "unknown message";
  if (applied == SmsStatusApplied::duplicate_event) body["ignored"] = "event already applied";
  if (applied == SmsStatusApplied::stale_event) body["ignored"] = "event too old or from the future";
  co_return json_response(200, body);
}

}  // namespace sms_auth
