// The limit verdicts as pure functions: given what a storage engine read of each window (inside its transaction),
// which limit refuses first and for how long. Every engine reads the same facts and asks these functions, so SQLite
// and PostgreSQL cannot disagree on a limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "ratelimit/window_limit.hpp"

namespace sms_auth {

// How an engine reads a window. A limit of up to kLargestExactLimit events is read exactly: the limit-th most recent
// event inside the window (one bounded walk of the bucket's index). A larger one (the global caps) is read from
// per-minute totals of kTotalsSlot: the end of the newest minute slot at which the running total, newest slots
// first, reaches the limit. Totals may count up to one minute of events that already left the window, so such a
// limit refuses at most one minute early, never late; either way the cost is bounded by the limit or the window's
// minutes, not by the day's traffic.
inline constexpr int kLargestExactLimit = 256;
inline constexpr std::chrono::milliseconds kTotalsSlot{60000};

inline bool read_from_totals(const WindowLimit& limit) { return limit.limit > kLargestExactLimit; }
// Events strictly after this instant are inside the window.
TimePoint window_start(const WindowLimit& limit, TimePoint now);
// The per-minute slot an event at `at` is totalled in, and the first slot a window starting at `since` reads.
std::int64_t totals_slot(TimePoint at);

// What an engine read of one limit's window.
struct WindowReading {
  // When the window is full: the instant whose leaving the window reopens it (the limit-th most recent event, or
  // the end of the filling minute slot). Empty: there is room.
  std::optional<TimePoint> filling_event;
  // Only for a limit with a ConversionRule whose window is full (see needs_conversion_counts): the events of the
  // limit's bucket and of the rule's converted bucket inside the window.
  std::int64_t events = 0;
  std::int64_t converted = 0;
  // Only for the unverified-SMS budget when it is spent (see needs_exemption_facts): whether the number is a
  // returning user and, only if not (needs_range_facts), its range's and country's SMS and verifications within the
  // exemption's conversion window.
  bool returning_user = false;
  std::int64_t range_sent = 0;
  std::int64_t range_verified = 0;
  std::int64_t country_sent = 0;
  std::int64_t country_verified = 0;
};

// Whether the verdict on `limit` needs the conversion counts of `reading` (read them only then: they are counts).
inline bool needs_conversion_counts(const WindowLimit& limit, const WindowReading& reading) {
  return limit.conversion.has_value() && reading.filling_event.has_value();
}

// Whether the verdict on the unverified-SMS budget needs the exemption facts of `reading`, in two steps: first the
// returning-user test (one indexed lookup), then, for an unknown number only, the conversion counts.
inline bool needs_exemption_facts(const WindowLimit& limit, const WindowReading& reading) {
  return limit.unverified.has_value() && reading.filling_event.has_value();
}
inline bool needs_range_facts(const WindowLimit& limit, const WindowReading& reading) {
  return needs_exemption_facts(limit, reading) && !reading.returning_user;
}

// True when `converted` of `events` meet the rule's ratio. The same test the conversion watch (ConversionMonitor)
// applies to whole countries.
bool converts_enough(std::int64_t events, std::int64_t converted, double min_ratio);

// A range converts healthily when it has at least one verification in the window and meets the ratio: a range nobody
// verified in is no evidence of real users, however few SMS it got. A country passes unless it is under the rule
// (at least `min_samples` SMS, under the ratio): the conversion watch's test (ConversionMonitor).
bool range_converts(std::int64_t sent, std::int64_t verified, double min_ratio);
bool country_converts(std::int64_t sent, std::int64_t verified, double min_ratio, int min_samples);
// Whether a spent unverified-SMS budget still lets this send pass.
bool exempt_from_budget(const BudgetExemption& exemption, const WindowReading& reading);

// The verdict on one limit: a refusal with its Retry-After, or nothing when the event may pass. A conversion rule
// refuses only while the window is full and under the ratio; its Retry-After is when the sample falls under `limit`
// again, the latest the rule can lift (a verification, or older sends sliding out, may lift it sooner). The
// unverified-SMS budget refuses only while it is spent and the number is not exempt; its Retry-After is when the
// oldest unverified SMS that fills it leaves the window (verifications may reopen it sooner).
std::optional<LimitExceeded> limit_verdict(const WindowLimit& limit, const WindowReading& reading, TimePoint now);

// The first refusal of `limits`, checked in their order, reading each window only when the limits before it passed:
// `read(const WindowLimit&) -> WindowReading`.
template <class ReadWindow>
std::optional<LimitExceeded> first_refusal(const std::vector<WindowLimit>& limits, TimePoint now, ReadWindow&& read) {
  for (const auto& limit : limits) {
    const WindowReading reading = read(limit);
    if (auto refused = limit_verdict(limit, reading, now)) return refused;
  }
  return std::nullopt;
}

// The buckets a call counts for `limits`: those with `count` set, in order.
std::vector<std::string> counted_buckets(const std::vector<WindowLimit>& limits);

}  // namespace sms_auth
