// Which sliding-window limits apply to a send or a verification, built from the limit settings. The counting itself
// is atomic in the repository, so that every instance sharing a database enforces the same limits.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/phone_number.hpp"
#include "ratelimit/window_limit.hpp"

namespace sms_auth {

// Limit names, as logs, errors and the sms_auth_rate_limited_total{limit} metric show them.
namespace limit_name {
inline constexpr std::string_view kPerIpHour = "per_ip_hour";
inline constexpr std::string_view kFailedVerifyPerNumber = "failed_verify_per_number_hour";
inline constexpr std::string_view kFailedVerifyPerNumberAddress = "failed_verify_per_number_address_hour";
inline constexpr std::string_view kCooldown = "cooldown";
inline constexpr std::string_view kPerNumberHour = "per_number_hour";
inline constexpr std::string_view kPerNumberDay = "per_number_day";
inline constexpr std::string_view kPerPrefixHour = "per_prefix_hour";
inline constexpr std::string_view kConversionPrefix = "conversion_prefix";
inline constexpr std::string_view kUnverifiedBudget = "unverified_budget";
inline constexpr std::string_view kGlobalHour = "global_hour";
inline constexpr std::string_view kGlobalDay = "global_day";
inline constexpr std::string_view kVerifyPerIpHour = "verify_per_ip_hour";
}  // namespace limit_name

// Bucket name prefixes the conversion watch reads (the full name appends the E.164 prefix or the region).
namespace limit_bucket {
inline constexpr std::string_view kSmsPerPrefix = "sms:prefix:";
inline constexpr std::string_view kVerifiedPerPrefix = "verified:prefix:";
inline constexpr std::string_view kSmsPerCountry = "sms:country:";
inline constexpr std::string_view kVerifiedPerCountry = "verified:country:";
}  // namespace limit_bucket

// What a refusal means beyond "wait": the callers alert operators on the last two.
enum class LimitKind {
  ordinary,        // a budget of one client, number or range
  failure_lock,    // wrong codes lock this client for the number, or the number for clients that failed
  spend_cap,       // a global cap protecting the balance is reached
  low_conversion,  // a number range gets SMS nobody verifies (SMS pumping)
  unverified_budget,  // too many SMS of the last hour were never verified: only known-good numbers get one
};

class LimitPolicy {
 public:
  // Keeps a reference: `settings` outlives the policy (it is the Config's, built once at start-up).
  explicit LimitPolicy(const LimitSettings& settings);
  const LimitSettings& settings() const { return settings_; }

  // In the order they are checked, cheapest scope first: per client address, per number (this client locked by its
  // wrong codes for the number, cooldown, hour, day), per prefix (velocity, conversion), the unverified-SMS budget
  // (which spares returning users and healthy ranges), global (hour, day). The first that refuses answers. The
  // number-wide failure lock is not among them: it would let strangers stop the owner's codes; the number's SMS
  // budget bounds how many codes guessers can have.
  std::vector<WindowLimit> for_send(const PhoneNumber& phone, std::string_view client_address) const;
  // Counted with every send, never checked on the way: SMS per country, for the per-country conversion watch.
  std::vector<std::string> send_tallies(const PhoneNumber& phone) const;

  // Checked and counted on every verification attempt: per client address.
  std::vector<WindowLimit> for_verify_attempt(std::string_view client_address) const;

  // Wrong codes of one number from one client across all its codes; its success clears them. Locks that client.
  WindowLimit failed_verifications_from(const PhoneNumber& phone, std::string_view client_address) const;
  // Wrong codes of one number from every client; a client's success clears its own. Refuses clients that failed.
  WindowLimit failed_verifications(const PhoneNumber& phone) const;
  // The tag a client's wrong codes carry, so that its success clears only its own failures.
  static std::string failure_tag(std::string_view client_address);
  // Counted with every successful verification: the conversions of the number's prefix and country.
  std::vector<std::string> success_tallies(const PhoneNumber& phone) const;

  static LimitKind kind_of(std::string_view limit_name);

  // The unit a per-address limit counts: the address itself for IPv4, its /64 for IPv6 (one subscriber usually
  // holds a whole /64, and would otherwise get 2^64 budgets).
  static std::string address_key(std::string_view client_address);

  // The longest window any limit uses: events older than this can be pruned.
  std::chrono::seconds longest_window() const;

 private:
  const LimitSettings& settings_;
};

}  // namespace sms_auth
