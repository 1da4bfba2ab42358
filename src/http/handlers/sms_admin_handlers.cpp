// Admin SMS endpoints: bearer check, one domain call, JSON out.
#include "http/handlers/sms_admin_handlers.hpp"

#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "http/error_response.hpp"
#include "http/json_body.hpp"
#include "http/query_string.hpp"

namespace sms_auth {

SmsAdminHandlers::SmsAdminHandlers(SmsDelivery& delivery, const PhoneNumberParser& phones, const AdminAuth& auth)
    : delivery_(delivery), phones_(phones), auth_(auth) {}

std::vector<Route> SmsAdminHandlers::routes() {
  return {
      {"GET", "/api/v1/admin/sms/balance", std::bind_front(&SmsAdminHandlers::balance, this)},
      {"GET", "/api/v1/admin/sms/messages", std::bind_front(&SmsAdminHandlers::messages, this)},
  };
}

awaitable<HttpResponse> SmsAdminHandlers::balance(HttpRequest request) {
  if (auto allowed = auth_.check(request); !allowed) co_return error_response(allowed.error());
  auto asking = delivery_.check_balance();  // named (core/async.hpp)
  auto balance = co_await std::move(asking);
  if (!balance) co_return error_response(balance.error());
  co_return json_response(200, {{"balance", balance->amount}, {"currency", balance->currency}});
}

awaitable<HttpResponse> SmsAdminHandlers::messages(HttpRequest request) {
  if (auto allowed = auth_.check(request); !allowed) co_return error_response(allowed.error());
  const auto phone_input = query_parameter(request.query, "phone");
  if (!phone_input || phone_input->empty()) {
    co_return error_response(make_error(errc::invalid_request, "the query parameter phone is required"));
  }
  const auto phone = phones_.parse(*phone_input);
  if (!phone) co_return error_response(phone.error());

  nlohmann::json messages = nlohmann::json::array();
  auto listing = delivery_.recent_messages(phone->e164);  // named (core/async.hpp)
  const std::vector<SmsMessageRecord> records = co_await std::move(listing);
  for (const auto& record : records) {
    nlohmann::json item = {
        {"sms_id", record.message_id},
        {"status", record.status},
        {"final", record.final},
        {"held_for_moderation", record.held_for_moderation},
        {"sent_at", format_rfc3339(record.sent_at)},
        {"status_changed_at", format_rfc3339(record.status_changed_at)},
    };
    if (record.segments > 0) item["segments"] = record.segments;
    if (!record.gateway_updated_at.empty()) item["gateway_updated_at"] = record.gateway_updated_at;
    item["gateway"] = record.gateway;
    messages.push_back(std::move(item));
  }
  spdlog::info("admin.sms.messages phone={} ip={} count={}", mask_phone(phone->e164), log_safe(request.client_address),
               messages.size());
  co_return json_response(200, {{"phone_number", phone->e164}, {"messages", std::move(messages)}});
}

}  // namespace sms_auth
