// Fuzzes `.env` parsing and the validation behind it: any file is settings or named problems, never a secret echoed.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "config/config.hpp"
#include "fuzz_support.hpp"

using namespace sms_auth;

namespace {

bool held_elsewhere(const EnvMap& env, const std::string& secret, const std::string& value) {
  return std::any_of(env.begin(), env.end(), [&](const auto& entry) {
    return entry.first != secret && entry.second.find(value) != std::string::npos;
  });
}

bool any_reason_contains(const ConfigProblems& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const auto& problem) { return problem.reason.find(text) != std::string::npos; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ConfigProblems problems;
  EnvMap env = parse_dotenv(fuzz::as_text(data, size), problems);
  for (const auto& [name, value] : env) fuzz::require(!name.empty(), "every variable has a name");
  for (const auto& problem : problems) fuzz::require(!problem.variable.empty(), "every problem names its variable");

  env.erase("MOBIZON_CA_FILE");  // opened as a file: the fuzzer must not pick paths on this machine
  const auto config = load_config(env);
  if (config) return 0;
  fuzz::require(!config.error().empty(), "a refused configuration says why");
  for (const auto& problem : config.error()) {
    fuzz::require(!problem.variable.empty() && !problem.reason.empty(), "each problem is a variable and a reason");
  }
  for (const char* secret : {"MOBIZON_API_KEY", "MOBIZON_WEBHOOK_SECRET", "OTP_SECRET", "JWT_SECRET", "ADMIN_TOKEN",
                             "SMS_HTTP_SECRET"}) {
    const auto it = env.find(secret);
    // 20 bytes or more: a shorter value could be a word of some reason. Another variable's value may hold the
    // same text, and naming a wrong non-secret value is allowed.
    if (it == env.end() || it->second.size() < 20 || held_elsewhere(env, secret, it->second)) continue;
    if (!any_reason_contains(config.error(), it->second)) continue;
    // The value is in a reason: a leak, unless the reason says it whatever the secret is (the fuzzer can make a
    // secret out of a reason's own fixed words). Run again with another value of the same length: a fixed text is
    // still there, an echoed secret is gone.
    EnvMap other = env;
    other[secret] = std::string(it->second.size(), it->second.front() == 'x' ? 'y' : 'x');
    const auto again = load_config(other);
    fuzz::require(!again && any_reason_contains(again.error(), it->second), "no reason repeats a secret's value");
  }
  return 0;
}
