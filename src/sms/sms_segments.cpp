// SMS size: the GSM 03.38 alphabet and the concatenated-SMS segment sizes.
#include "sms/sms_segments.hpp"

#include <string_view>
#include <vector>

namespace sms_auth {
namespace {

// The GSM 03.38 basic table beyond ASCII (ASCII printables are all in it except the backquote).
constexpr std::u32string_view kGsmBasicNonAscii = U"£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà";
// The extension table: each takes an escape septet plus its own.
constexpr std::u32string_view kGsmExtension = U"^{}\\[~]|€\f";

// 1 or 2 septets for a GSM-7 character, 0 for one outside the alphabet.
int gsm_septets(char32_t c) {
  if (kGsmExtension.find(c) != std::u32string_view::npos) return 2;
  if (c == U'\n' || c == U'\r') return 1;
  if (c >= 0x20 && c < 0x7F) return c == U'`' ? 0 : 1;
  return kGsmBasicNonAscii.find(c) != std::u32string_view::npos ? 1 : 0;
}

// Decodes UTF-8; an invalid byte becomes U+FFFD.
std::vector<char32_t> code_points(std::string_view text) {
  std::vector<char32_t> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int length = 0;
    char32_t value = 0;
    if (lead < 0x80) {
      length = 1;
      value = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      value = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      value = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      value = lead & 0x07;
    }
    bool valid = length > 0 && i + static_cast<std::size_t>(length) <= text.size();
    for (int k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xC0) != 0x80) valid = false;
      value = (value << 6) | (next & 0x3F);
    }
    if (!valid) {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(value);
    i += static_cast<std::size_t>(length);
  }
  return out;
}

std::size_t segments_for(std::size_t units, std::size_t single, std::size_t part) {
  if (units <= single) return 1;
  return (units + part - 1) / part;
}

}  // namespace

SmsSize measure_sms(std::string_view text) {
  const auto points = code_points(text);
  SmsSize size;
  size.characters = points.size();
  std::size_t septets = 0;
  bool gsm = true;
  for (const char32_t c : points) {
    const int n = gsm_septets(c);
    if (n == 0) {
      gsm = false;
      break;
    }
    septets += static_cast<std::size_t>(n);
  }
  if (gsm) {
    size.encoding = SmsEncoding::gsm7;
    size.units = septets;
    size.segments = segments_for(septets, 160, 153);
  } else {
    size.encoding = SmsEncoding::ucs2;
    for (const char32_t c : points) size.units += c > 0xFFFF ? 2 : 1;
    size.segments = segments_for(size.units, 70, 67);
  }
  return size;
}

const char* encoding_name(SmsEncoding encoding) { return encoding == SmsEncoding::gsm7 ? "GSM-7" : "UCS-2"; }

}  // namespace sms_auth
