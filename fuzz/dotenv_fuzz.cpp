// Fuzzes `.env` parsing and the validation behind it: any file is settings or named problems, never a secret echoed.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "config/config.hpp"
#include "fuzz_support.hpp"

using namespace sms_auth;

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
    for (const char* secret : {"MOBIZON_API_KEY", "MOBIZON_WEBHOOK_SECRET", "OTP_SECRET", "JWT_SECRET", "ADMIN_TOKEN"}) {
      const auto it = env.find(secret);
      // 20 bytes or more: a shorter value could be a word of the reason itself. Another variable's value may hold
      // the same text, and naming a wrong non-secret value is allowed.
      const auto elsewhere = [&](const std::string& text) {
        return std::any_of(env.begin(), env.end(), [&](const auto& entry) {
          return entry.first != secret && entry.second.find(text) != std::string::npos;
        });
      };
      if (it != env.end() && it->second.size() >= 20 && !elsewhere(it->second)) {
        fuzz::require(problem.reason.find(it->second) == std::string::npos, "no reason repeats a secret's value");
      }
    }
  }
  return 0;
}
