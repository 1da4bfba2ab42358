// Which sliding-window limits apply to a send or a verification, built from the configuration. The counting itself
// is atomic in the repository, so that every instance sharing a database enforces the same limits.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "auth/phone_number.hpp"
#include "config/config.hpp"
#include "storage/repository.hpp"

namespace sms_auth {

class LimitPolicy {
 public:
  explicit LimitPolicy(const Config& config);

  // In the order they are checked: per client address, per number (locked by failures, cooldown, hour, day),
  // per prefix, global (hour, day). The first that refuses answers.
  std::vector<WindowLimit> for_send(const PhoneNumber& phone, std::string_view client_address) const;

  // Checked and counted on every verification attempt: per client address.
  std::vector<WindowLimit> for_verify_attempt(std::string_view client_address) const;

  // Wrong codes of one number across all its codes; a success clears it.
  WindowLimit failed_verifications(const PhoneNumber& phone) const;

  // The longest window any limit uses: events older than this can be pruned.
  std::chrono::seconds longest_window() const;

 private:
  const Config& config_;
};

}  // namespace sms_auth
