// libphonenumber-backed parsing, with the pre-checks its leniency needs (letters, extensions, odd digits).
#include "auth/phone_number.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

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

std::vector<MobileNumberFormat> mobile_number_formats(const std::vector<std::string>& regions) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::vector<MobileNumberFormat> formats;
  for (const auto& region : regions) {
    i18n::phonenumbers::PhoneNumber example;
    if (!util.GetExampleNumberForType(region, PhoneNumberUtil::MOBILE, &example)) continue;
    MobileNumberFormat format;
    format.region = region;
    format.calling_code = static_cast<int>(example.country_code());

    std::string international;  // "+998 91 234 56 78"
    util.Format(example, PhoneNumberUtil::INTERNATIONAL, &international);
    const auto national_start = international.find_first_not_of(" -", std::to_string(format.calling_code).size() + 1);
    format.example = national_start == std::string::npos ? "" : international.substr(national_start);

    // No public call lists the possible lengths: try each length with the example's own leading digits, which keeps
    // the number in the mobile range as far as the leading digits decide it.
    std::string significant;
    util.GetNationalSignificantNumber(example, &significant);
    for (std::size_t length = 2; length <= static_cast<std::size_t>(kMaxE164Digits); ++length) {
      std::string digits = significant.substr(0, length);
      digits.resize(length, '0');
      i18n::phonenumbers::PhoneNumber candidate;
      if (util.Parse("+" + std::to_string(format.calling_code) + digits, "ZZ", &candidate) !=
          PhoneNumberUtil::NO_PARSING_ERROR) {
        continue;
      }
      if (util.IsPossibleNumberForTypeWithReason(candidate, PhoneNumberUtil::MOBILE) == PhoneNumberUtil::IS_POSSIBLE) {
        format.national_lengths.push_back(static_cast<int>(length));
      }
    }
    if (format.national_lengths.empty()) format.national_lengths.push_back(static_cast<int>(significant.size()));

    util.GetNddPrefixForRegion(region, /*strip_non_digits=*/true, &format.trunk_prefix);
    formats.push_back(std::move(format));
  }
  return formats;
}

// Sharded so that the two I/O threads rarely wait on each other; each shard is an LRU list with an index of views
// into its own keys (list nodes never move, so the views stay valid until the node is erased).
struct PhoneNumberParser::RecentParses {
  static constexpr std::size_t kShards = 16;

  struct Shard {
    std::mutex mutex;
    std::list<std::pair<std::string, PhoneNumber>> entries;  // most recently used first
    std::unordered_map<std::string_view, decltype(entries)::iterator> index;
  };

  explicit RecentParses(std::size_t capacity) : per_shard((capacity + kShards - 1) / kShards) {
    for (auto& shard : shards) shard.index.reserve(per_shard);
  }

  Shard& shard_for(std::string_view input) { return shards[std::hash<std::string_view>{}(input) % kShards]; }

  std::optional<PhoneNumber> find(std::string_view input) {
    Shard& shard = shard_for(input);
    const std::lock_guard lock(shard.mutex);
    const auto found = shard.index.find(input);
    if (found == shard.index.end()) return std::nullopt;
    shard.entries.splice(shard.entries.begin(), shard.entries, found->second);
    return found->second->second;
  }

  void insert(std::string_view input, const PhoneNumber& phone) {
    Shard& shard = shard_for(input);
    const std::lock_guard lock(shard.mutex);
    if (shard.index.contains(input)) return;  // another thread parsed the same input meanwhile
    shard.entries.emplace_front(std::string(input), phone);
    shard.index.emplace(shard.entries.front().first, shard.entries.begin());
    if (shard.entries.size() > per_shard) {
      shard.index.erase(shard.entries.back().first);
      shard.entries.pop_back();
    }
  }

  std::size_t size() {
    std::size_t total = 0;
    for (auto& shard : shards) {
      const std::lock_guard lock(shard.mutex);
      total += shard.entries.size();
    }
    return total;
  }

  const std::size_t per_shard;
  std::array<Shard, kShards> shards;
};

PhoneNumberParser::PhoneNumberParser(std::string default_region, std::vector<std::string> allowed_regions,
                                     std::size_t cache_size)
    : default_region_(std::move(default_region)),
      allowed_regions_(std::move(allowed_regions)),
      recent_(cache_size > 0 ? std::make_unique<RecentParses>(cache_size) : nullptr) {
  PhoneNumberUtil::GetInstance();  // load the metadata now, not on the first request
}

PhoneNumberParser::~PhoneNumberParser() = default;
PhoneNumberParser::PhoneNumberParser(PhoneNumberParser&&) noexcept = default;
PhoneNumberParser& PhoneNumberParser::operator=(PhoneNumberParser&&) noexcept = default;

std::size_t PhoneNumberParser::cached_count() const { return recent_ ? recent_->size() : 0; }

result<PhoneNumber> PhoneNumberParser::parse(std::string_view input) const {
  if (!recent_) return parse_uncached(input);
  if (auto cached = recent_->find(input)) return std::move(*cached);
  auto parsed = parse_uncached(input);
  if (parsed) recent_->insert(input, *parsed);
  return parsed;
}

result<PhoneNumber> PhoneNumberParser::parse_uncached(std::string_view input) const {
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
  // Format(E164) happily formats invalid numbers, so validity comes first. A number is valid exactly when its type
  // is known (IsValidNumber is GetNumberType's matching done once more), and both find the region first by matching
  // the number against each region of its country code: asking for the type once and the region once makes that
  // three matchings of a number that passes instead of five.
  const auto type = util.GetNumberType(number);
  if (type == PhoneNumberUtil::UNKNOWN) return invalid("phone_number is not a valid phone number");

  std::string region;
  util.GetRegionCodeForNumber(number, &region);
  // Russia and Kazakhstan share +7: the region, not the country code, decides.
  if (!allowed_regions_.empty() &&
      std::find(allowed_regions_.begin(), allowed_regions_.end(), region) == allowed_regions_.end()) {
    return invalid("numbers of this country (" + region + ") are not accepted");
  }
  if (type != PhoneNumberUtil::MOBILE && type != PhoneNumberUtil::FIXED_LINE_OR_MOBILE) {
    return invalid(std::string(type_refusal(type)));
  }

  PhoneNumber out;
  util.Format(number, PhoneNumberUtil::E164, &out.e164);
  out.region = std::move(region);
  return out;
}

}  // namespace sms_auth
