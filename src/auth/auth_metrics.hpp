// The metrics the login flow records, registered once by name.
#pragma once

#include "metrics/metrics.hpp"

namespace sms_auth {

struct AuthMetrics {
  explicit AuthMetrics(MetricsRegistry& registry)
      : codes_sent(registry.counter("sms_auth_codes_sent_total",
                                    "Codes handed to the SMS sender, by outcome (sent, rejected, unavailable, "
                                    "test_number)",
                                    {"outcome"})),
        verifications(registry.counter("sms_auth_verifications_total",
                                       "Code verifications by result (verified, wrong_code, no_code, expired, "
                                       "code_locked, limited, user_blocked)",
                                       {"result"})),
        rate_limited(registry.counter("sms_auth_rate_limited_total", "Requests refused by a limit, by limit name",
                                      {"limit"})),
        logins(registry.counter("sms_auth_logins_total", "Successful logins, by whether the user was new",
                                {"new_user"})) {}

  Family<Counter>& codes_sent;
  Family<Counter>& verifications;
  Family<Counter>& rate_limited;
  Family<Counter>& logins;
};

}  // namespace sms_auth
