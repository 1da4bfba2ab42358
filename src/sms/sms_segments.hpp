// How an SMS text travels: GSM-7 or UCS-2, how many code units, how many segments it is split into and billed as.
#pragma once

#include <cstddef>
#include <string_view>

namespace sms_auth {

enum class SmsEncoding { gsm7, ucs2 };

struct SmsSize {
  SmsEncoding encoding = SmsEncoding::gsm7;
  std::size_t characters = 0;  // code points of the text
  std::size_t units = 0;       // septets (GSM-7 extension characters count 2) or UTF-16 units (UCS-2)
  std::size_t segments = 0;    // 1 up to 160 septets / 70 units, then 153 / 67 per part (the UDH takes the rest)
};

// Measures UTF-8 `text`. A text with any character outside the GSM 03.38 alphabet (basic table plus extension)
// goes as UCS-2. Invalid UTF-8 bytes are counted as one UCS-2 unit each.
SmsSize measure_sms(std::string_view text);

const char* encoding_name(SmsEncoding encoding);  // "GSM-7" or "UCS-2"

}  // namespace sms_auth
