// Delivery-report webhook: SHA-1 signature (OpenSSL) compared in constant time, then the report's fields.
#include "sms/mobizon/mobizon_webhook.hpp"

#include <ctime>
#include <optional>
#include <stdexcept>

#include "core/crypto.hpp"
#include "sms/mobizon/mobizon_protocol.hpp"

namespace sms_auth::mobizon {
namespace {

// A signed field as PHP's string concatenation would print it; nullopt for what PHP would print oddly (floats,
// objects), which then cannot match.
std::optional<std::string> signed_text(const nlohmann::json& event, const char* name) {
  const auto it = event.find(name);
  if (it == event.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return id_text(*it);
}

std::optional<Bytes> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  Bytes out;
  out.reserve(hex.size() / 2);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(high * 16 + low));
  }
  return out;
}

}  // namespace

std::string webhook_signature(std::string_view event_id, std::string_view attempt, std::string_view event_create_ts,
                              std::string_view secret) {
  std::string signed_string;
  signed_string.reserve(event_id.size() + attempt.size() + event_create_ts.size() + secret.size() + 3);
  signed_string.append(event_id)
      .append("|")
      .append(attempt)
      .append("|")
      .append(event_create_ts)
      .append("|")
      .append(secret);
  return to_hex(sha1(signed_string));
}

std::optional<TimePoint> parse_event_time(std::string_view text, std::chrono::minutes gateway_utc_offset) {
  // Exactly "YYYY-MM-DD HH:MM:SS".
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t length) -> int {
    int value = 0;
    for (std::size_t i = at; i < at + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  std::tm fields{};
  fields.tm_year = number(0, 4) - 1900;
  fields.tm_mon = number(5, 2) - 1;
  fields.tm_mday = number(8, 2);
  fields.tm_hour = number(11, 2);
  fields.tm_min = number(14, 2);
  fields.tm_sec = number(17, 2);
  if (fields.tm_year < 70 || fields.tm_mon < 0 || fields.tm_mon > 11 || fields.tm_mday < 1 || fields.tm_mday > 31 ||
      fields.tm_hour < 0 || fields.tm_hour > 23 || fields.tm_min < 0 || fields.tm_min > 59 || fields.tm_sec < 0 ||
      fields.tm_sec > 60) {
    return std::nullopt;
  }
  const std::time_t as_if_utc = timegm(&fields);
  if (as_if_utc == static_cast<std::time_t>(-1)) return std::nullopt;
  return from_unix_ms((static_cast<std::int64_t>(as_if_utc) - gateway_utc_offset.count() * 60) * 1000);
}

result<DeliveryReport, WebhookRefusal> verify_delivery_report(const nlohmann::json& event, std::string_view secret,
                                                              std::chrono::minutes gateway_utc_offset) {
  if (!event.is_object() || secret.empty()) return WebhookRefusal::bad_signature;
  const auto event_id = signed_text(event, "eventId");
  const auto attempt = signed_text(event, "attempt");
  const auto created = signed_text(event, "eventCreateTs");
  const auto sign = event.find("sign");
  if (!event_id || !attempt || !created || sign == event.end() || !sign->is_string()) {
    return WebhookRefusal::bad_signature;
  }
  const auto presented = from_hex(sign->get_ref<const std::string&>());
  const auto expected = from_hex(webhook_signature(*event_id, *attempt, *created, secret));
  if (!presented || !expected || !constant_time_equal(*presented, *expected)) return WebhookRefusal::bad_signature;

  const auto type = event.find("eventType");
  if (type == event.end() || !type->is_string() || type->get_ref<const std::string&>() != "sms-delivery-report") {
    return WebhookRefusal::not_a_report;
  }
  const auto data = event.find("data");
  if (data == event.end() || !data->is_object()) return WebhookRefusal::malformed;
  if (event_id->empty() || event_id->size() > 128) return WebhookRefusal::malformed;
  DeliveryReport report;
  report.event_id = *event_id;
  const auto created_at = parse_event_time(*created, gateway_utc_offset);
  if (!created_at) return WebhookRefusal::malformed;
  report.created_at = *created_at;
  const auto message_id = data->find("messageId");
  const auto status = data->find("status");
  if (message_id == data->end() || status == data->end() || !status->is_string()) return WebhookRefusal::malformed;
  auto id = id_text(*message_id);
  if (!id || id->size() > 64 || status->get_ref<const std::string&>().empty() ||
      status->get_ref<const std::string&>().size() > 32) {
    return WebhookRefusal::malformed;
  }
  report.status.message_id = std::move(*id);
  report.status.status = status->get<std::string>();
  report.status.final = is_final_status(report.status.status);
  if (const auto segments = data->find("segNum"); segments != data->end()) {
    if (auto text = id_text(*segments)) {
      try {
        report.status.segments = std::max(0, std::stoi(*text));
      } catch (const std::exception&) {  // not a count: leave it unknown
        report.status.segments = 0;
      }
    }
  }
  if (const auto updated = data->find("statusUpdateTs"); updated != data->end() && updated->is_string()) {
    report.status.gateway_updated_at = updated->get<std::string>().substr(0, 32);
  }
  return report;
}

}  // namespace sms_auth::mobizon
