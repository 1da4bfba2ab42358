// A canonical phone number as a value: what every layer needs of a number (limits, storage keys, the SMS recipient).
#pragma once

#include <string>

namespace sms_auth {

// Produced only by PhoneNumberParser (auth/phone_number.hpp), which checks shape, country and MOBILE type.
struct PhoneNumber {
  std::string e164;    // "+77472367503": what is stored and returned
  std::string region;  // "KZ"

  // What Mobizon wants as `recipient`: the E.164 digits without '+'.
  std::string digits() const { return e164.substr(1); }
  // The number without its last 4 digits: the unit SMS-pumping walks through.
  std::string prefix() const { return e164.size() > 4 ? e164.substr(0, e164.size() - 4) : e164; }
};

}  // namespace sms_auth
