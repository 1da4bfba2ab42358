// Fuzzes the webhook parser: the body as the handler reads it, then the report behind a correct signature too.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_support.hpp"
#include "http/json_body.hpp"
#include "sms/mobizon/mobizon_protocol.hpp"
#include "sms/mobizon/mobizon_webhook.hpp"

using namespace sms_auth;
using namespace sms_auth::mobizon;

namespace {

constexpr std::string_view kSecret = "fuzz-webhook-secret-0123456789";

std::optional<std::string> field_text(const nlohmann::json& event, const char* name) {
  const auto it = event.find(name);
  if (it == event.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return id_text(*it);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/webhooks/mobizon";
  request.headers.emplace_back("content-type", "application/json");
  request.body = std::string(fuzz::as_text(data, size));
  auto event = parse_json_object(request);
  if (!event) return 0;

  const auto as_sent = verify_delivery_report(*event, kSecret);
  if (as_sent) fuzz::require(!as_sent->event_id.empty(), "an accepted report has an event id");

  // A forger cannot reach the report; sign the event as Mobizon would so the fuzzer explores what lies behind.
  const auto event_id = field_text(*event, "eventId");
  const auto attempt = field_text(*event, "attempt");
  const auto created = field_text(*event, "eventCreateTs");
  if (!event_id || !attempt || !created) {
    fuzz::require(!as_sent && as_sent.error() == WebhookRefusal::bad_signature, "an unsigned event is refused");
    return 0;
  }
  (*event)["sign"] = webhook_signature(*event_id, *attempt, *created, kSecret);
  const auto signed_report = verify_delivery_report(*event, kSecret);
  fuzz::require(signed_report || signed_report.error() != WebhookRefusal::bad_signature,
                "a correctly signed event passes the signature check");
  if (signed_report) {
    fuzz::require(signed_report->status.message_id.size() <= 64 && !signed_report->status.status.empty(),
                  "an accepted report has a bounded message id and a status");
  }
  (*event)["sign"] = webhook_signature(*event_id, *attempt, *created, "another-secret-0123456789");
  fuzz::require(!verify_delivery_report(*event, kSecret), "a signature made with another secret is refused");
  return 0;
}
