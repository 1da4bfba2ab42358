// Phone-number input → one canonical E.164 mobile number of an allowed country, with libphonenumber.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/phone_number.hpp"
#include "core/result.hpp"

namespace sms_auth {

// Parses the forgiving forms people type ("8 (747) 236-75-03", "+7 747 236 7503", "77472367503") and refuses anything
// that is not a valid MOBILE number of an allowed region. Thread-safe; build one at start-up (libphonenumber's first
// use costs ~4 ms).
class PhoneNumberParser {
 public:
  // `allowed_regions` empty means any region.
  PhoneNumberParser(std::string default_region, std::vector<std::string> allowed_regions);

  // Fails with errc::invalid_phone_number and a detail that says why (not a number, not mobile, country refused).
  result<PhoneNumber> parse(std::string_view input) const;

 private:
  std::string default_region_;
  std::vector<std::string> allowed_regions_;
};

}  // namespace sms_auth
