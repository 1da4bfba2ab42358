// The metrics the login flow records, registered once by name.
#pragma once

#include "metrics/metrics.hpp"

namespace sms_auth {

struct OtpMetrics {
  explicit OtpMetrics(MetricsRegistry& registry)
      : codes_sent(
            registry.counter("sms_auth_codes_sent_total",
                             "Codes handed to the SMS sender, by outcome (sent, rejected, unavailable, possibly_sent, "
                             "test_number)",
                             {"outcome"})),
        verifications(registry.counter("sms_auth_verifications_total",
                                       "Code verifications by result (verified, wrong_code, no_code, expired, "
                                       "code_locked, limited, user_blocked)",
                                       {"result"})),
        rate_limited(
            registry.counter("sms_auth_rate_limited_total", "Requests refused by a limit, by limit name", {"limit"})),
        logins(
            registry.counter("sms_auth_logins_total", "Successful logins, by whether the user was new", {"new_user"})),
        limit_alerts(registry.counter("sms_auth_limit_alerts_total",
                                      "Operator alerts (error log lines) raised by the limits: a global SMS cap "
                                      "reached, a number range (conversion_prefix) or a country (conversion_country) "
                                      "under the minimum conversion; at most one per cap, range or country and "
                                      "window, per instance",
                                      {"limit"})),
        limit_last_hit(registry.gauge("sms_auth_limit_last_hit_timestamp_seconds",
                                      "Unix time of the latest refusal by a global SMS cap or the conversion watch",
                                      {"limit"})) {}

  Family<Counter>& codes_sent;
  Family<Counter>& verifications;
  Family<Counter>& rate_limited;
  Family<Counter>& logins;
  Family<Counter>& limit_alerts;
  Family<Gauge>& limit_last_hit;
};

}  // namespace sms_auth
