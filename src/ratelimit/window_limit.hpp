// The limit vocabulary shared by the policy (which limits apply), the domain and the storage engines (which count
// and check them atomically): a sliding-window limit, its optional conversion rule, and a refusal.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace sms_auth {

// A conversion condition on a window limit: the limit refuses only while fewer than `min_ratio` of its events were
// followed by an event in `converted_bucket` within the same window (e.g. SMS sent to a number range vs. codes
// verified in it: SMS pumping never converts).
struct ConversionRule {
  std::string converted_bucket;  // e.g. "verified:prefix:+7747236"
  double min_ratio = 0;
};

// A sliding-window limit: at most `limit` events in `bucket` within `window`. Checked before, and (when `count`)
// counted by, the call that carries it, in the same transaction: several instances sharing a database enforce one
// limit.
struct WindowLimit {
  std::string name;    // for logs and metrics, e.g. "per_number_hour"
  std::string bucket;  // e.g. "sms:number:+77472367503"
  int limit = 0;
  std::chrono::seconds window{0};
  bool count = true;   // false: only checked (e.g. a lock that other events fill)
  // With a rule, `limit` events are only the sample size after which the rule is enforced: the limit refuses while
  // the window holds at least `limit` events and their conversion is under the rule's ratio.
  std::optional<ConversionRule> conversion{};
};

// The first limit that refused, and when the oldest counted event leaves its window.
struct LimitExceeded {
  std::string name;
  std::chrono::milliseconds retry_after{0};
  std::chrono::seconds window{0};  // of the limit that refused
};

}  // namespace sms_auth
