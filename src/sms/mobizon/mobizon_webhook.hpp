// Mobizon's delivery-report webhook: the signature check and the report it carries. Pure functions, no I/O.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "sms/sms_gateway.hpp"

namespace sms_auth::mobizon {

struct DeliveryReport {
  std::string event_id;  // the same on every retry of one event
  TimePoint created_at;  // eventCreateTs (signed), as UTC
  SmsDeliveryStatus status;
};

enum class WebhookRefusal {
  bad_signature,  // `sign` missing, malformed or wrong: nothing may change
  not_a_report,   // signed, but another event type (forms…): acknowledged and ignored
  malformed,      // signed, but the report lacks a message id or a status, or eventCreateTs is no time
};

// eventCreateTs ("2026-01-15 11:42:28", the gateway's clock, `gateway_utc_offset` ahead of UTC) as a UTC time.
std::optional<TimePoint> parse_event_time(std::string_view text, std::chrono::minutes gateway_utc_offset);

// Mobizon's `sign`: lower-case hex SHA-1 of "eventId|attempt|eventCreateTs|secret", the fields as PHP prints them
// (strings as they are, integers in decimal).
std::string webhook_signature(std::string_view event_id, std::string_view attempt, std::string_view event_create_ts,
                              std::string_view secret);

// Checks `sign` in constant time, then reads the report. The signature does not cover `data` (Mobizon's design): a
// captured request can be replayed with other data, so callers must only apply reports to messages they sent, once
// per event id, within a short time of created_at, and never change a final status.
result<DeliveryReport, WebhookRefusal> verify_delivery_report(const nlohmann::json& event, std::string_view secret,
                                                              std::chrono::minutes gateway_utc_offset = {});

}  // namespace sms_auth::mobizon
