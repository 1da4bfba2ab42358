// The limit vocabulary shared by the policy (which limits apply), the domain and the storage engines (which count
// and check them atomically): a sliding-window limit, its optional conversion rule, and a refusal.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sms_auth {

// A conversion condition on a window limit: the limit refuses only while fewer than `min_ratio` of its events were
// followed by an event in `converted_bucket` within the same window (e.g. SMS sent to a number range vs. codes
// verified in it: SMS pumping never converts).
struct ConversionRule {
  std::string converted_bucket;  // e.g. "verified:prefix:+7747236"
  double min_ratio = 0;
};

// The exemptions of the unverified-SMS budget: while the budget is spent, a send still passes to a returning user
// (the number has a user who verified a code before, not blocked) or to a range whose recent conversion is healthy
// (FRAUD_* rule) in a country that is not under the rule. Pumping across many ranges spends on numbers that are
// neither; real users mostly are one or the other.
struct BudgetExemption {
  std::string phone_number;            // E.164: the returning-user test
  std::string range_bucket;            // e.g. "sms:prefix:+7747236"
  std::string range_verified_bucket;   // e.g. "verified:prefix:+7747236"
  std::string country_bucket;          // e.g. "sms:country:KZ"
  std::string country_verified_bucket;  // e.g. "verified:country:KZ"
  std::chrono::seconds conversion_window{0};  // FRAUD_WINDOW_SECONDS
  double min_ratio = 0;                       // FRAUD_MIN_CONVERSION
  int min_samples = 0;                        // FRAUD_MIN_SAMPLES (the country's sample size)
};

// The name under which the engines keep the per-minute totals of unverified SMS, and the lock name of the
// unverified-SMS budget (its count is the engine's record of unverified SMS, not events of this bucket).
inline constexpr std::string_view kUnverifiedSmsBucket = "sms:unverified";

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
  // With an exemption, the limit counts the SMS sent within `window` whose code was never verified (the engine's
  // record of unverified SMS, not `bucket`'s events; `bucket` only names the lock), and refuses only numbers the
  // exemption does not spare. `count` is false: every send is recorded as unverified until its code is verified.
  std::optional<BudgetExemption> unverified{};
};

// The first limit that refused, and when the oldest counted event leaves its window.
struct LimitExceeded {
  std::string name;
  std::chrono::milliseconds retry_after{0};
  std::chrono::seconds window{0};  // of the limit that refused
};

}  // namespace sms_auth
