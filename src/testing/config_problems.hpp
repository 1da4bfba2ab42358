// For configuration tests: whether a refusal names a variable.
#pragma once

#include <algorithm>
#include <string_view>

#include "config/config.hpp"

namespace sms_auth {

inline bool names(const ConfigProblems& problems, std::string_view variable) {
  return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.variable == variable; });
}

}  // namespace sms_auth
