// Template part of cli.hpp: the shared failure handling of subcommands.
#pragma once

#include <iostream>

#include "app/startup_error.hpp"
#include "core/log.hpp"

namespace sms_auth {

template <class Body>
int run_command(const char* name, Body&& body) {
  try {
    return body();
  } catch (const ConfigurationError& e) {
    std::cerr << "sms-auth " << name << ": " << redact_secrets(e.what()) << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "sms-auth " << name << ": " << redact_secrets(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace sms_auth
