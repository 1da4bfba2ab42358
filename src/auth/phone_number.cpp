// libphonenumber-backed parsing, with the pre-checks its leniency needs (letters, extensions, odd digits).
#include "auth/phone_number.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>

namespace sms_auth {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMaxInputBytes = 32;  // the longest honest form, "+7 (747) 236-75-03", is 18
constexpr int kMaxE164Digits = 15;

Error invalid(std::string detail) { return make_error(errc::invalid_phone_number, std::move(detail)); }

// libphonenumber is lenient where a login service must not be: it maps letters to keypad digits ("1-800-FLOWERS"),
// accepts extensions ("ext. 12", ";ext=", "#"), and reads full-width and Arabic-Indic digits. We accept only ASCII
// digits, one leading '+', and the separators people type.
bool has_only_phone_characters(std::string_view input) {
  bool seen_digit = false;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    if (c >= '0' && c <= '9') {
      seen_digit = true;
    } else if (c == '+') {
      if (seen_digit || i != input.find_first_not_of(' ')) return false;
    } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return false;
    }
  }
  return seen_digit;
}

std::string_view type_refusal(PhoneNumberUtil::PhoneNumberType type) {
  switch (type) {
    case PhoneNumberUtil::VOIP: return "VoIP numbers cannot receive login codes";
    case PhoneNumberUtil::PREMIUM_RATE: return "premium-rate numbers cannot receive login codes";
    case PhoneNumberUtil::SHARED_COST: return "shared-cost numbers cannot receive login codes";
    case PhoneNumberUtil::TOLL_FREE: return "toll-free numbers cannot receive login codes";
    case PhoneNumberUtil::PAGER: return "pager numbers cannot receive login codes";
    case PhoneNumberUtil::VOICEMAIL: return "voicemail numbers cannot receive login codes";
    case PhoneNumberUtil::FIXED_LINE: return "landline numbers cannot receive SMS; use a mobile number";
    case PhoneNumberUtil::PERSONAL_NUMBER:
    case PhoneNumberUtil::UAN:
    case PhoneNumberUtil::UNKNOWN:
    default: return "this number is not a mobile number";
  }
}

}  // namespace

PhoneNumberParser::PhoneNumberParser(std::string default_region, std::vector<std::string> allowed_regions)
    : default_region_(std::move(default_region)), allowed_regions_(std::move(allowed_regions)) {
  PhoneNumberUtil::GetInstance();  // load the metadata now, not on the first request
}

result<PhoneNumber> PhoneNumberParser::parse(std::string_view input) const {
  if (input.size() > kMaxInputBytes || !has_only_phone_characters(input)) {
    return invalid("phone_number must be a mobile number such as +7 747 236 7503");
  }
  const auto digit_count = std::count_if(input.begin(), input.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digit_count > kMaxE164Digits + 1) {  // +1: a national trunk prefix such as Kazakhstan's 8
    return invalid("phone_number has too many digits");
  }

  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber number;
  if (util.Parse(std::string(input), default_region_, &number) != PhoneNumberUtil::NO_PARSING_ERROR ||
      number.has_extension()) {
    return invalid("phone_number is not a phone number");
  }
  // Format(E164) happily formats invalid numbers, so validity comes first.
  if (!util.IsValidNumber(number)) return invalid("phone_number is not a valid phone number");

  std::string region;
  util.GetRegionCodeForNumber(number, &region);
  // Russia and Kazakhstan share +7: the region, not the country code, decides.
  if (!allowed_regions_.empty() &&
      std::find(allowed_regions_.begin(), allowed_regions_.end(), region) == allowed_regions_.end()) {
    return invalid("numbers of this country (" + region + ") are not accepted");
  }
  const auto type = util.GetNumberType(number);
  if (type != PhoneNumberUtil::MOBILE && type != PhoneNumberUtil::FIXED_LINE_OR_MOBILE) {
    return invalid(std::string(type_refusal(type)));
  }

  PhoneNumber out;
  util.Format(number, PhoneNumberUtil::E164, &out.e164);
  out.region = std::move(region);
  return out;
}

}  // namespace sms_auth
