// Fuzzes phone normalization: a refusal is invalid_phone_number, an accepted number is E.164 and normalizes to itself.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>

#include "auth/phone_number.hpp"
#include "fuzz_support.hpp"

using namespace sms_auth;

namespace {

void check(const PhoneNumberParser& parser, std::string_view input) {
  const auto phone = parser.parse(input);
  if (!phone) {
    fuzz::require(phone.error().code == errc::invalid_phone_number, "a refused number is invalid_phone_number");
    return;
  }
  const std::string& e164 = phone->e164;
  fuzz::require(e164.size() >= 8 && e164.size() <= 16 && e164[0] == '+', "E.164 is '+' and 7 to 15 digits");
  fuzz::require(std::all_of(e164.begin() + 1, e164.end(), [](unsigned char c) { return std::isdigit(c) != 0; }),
                "E.164 has only digits after '+'");
  const auto again = parser.parse(e164);
  fuzz::require(again.has_value() && again->e164 == e164 && again->region == phone->region,
                "an accepted number normalizes to itself");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Built once: libphonenumber's metadata costs milliseconds to load.
  static const PhoneNumberParser kazakhstan_only("KZ", {"KZ"});
  static const PhoneNumberParser any_region("RU", {});
  const std::string_view input = fuzz::as_text(data, size);
  check(kazakhstan_only, input);
  check(any_region, input);
  return 0;
}
