// Failures before serving: a bad configuration (exit 2) or a runtime problem such as an unreachable database (exit 1).
#pragma once

#include <stdexcept>
#include <string>

namespace sms_auth {

// The configuration is valid piece by piece but cannot be used as a whole; names the variable. Exit code 2.
class ConfigurationError : public std::runtime_error {
 public:
  ConfigurationError(std::string variable, const std::string& reason)
      : std::runtime_error(variable + ": " + reason), variable_(std::move(variable)) {}
  const std::string& variable() const { return variable_; }

 private:
  std::string variable_;
};

}  // namespace sms_auth
