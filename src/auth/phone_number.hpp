// Phone-number input → one canonical E.164 mobile number of an allowed country, with libphonenumber.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/phone_number.hpp"
#include "core/result.hpp"

namespace sms_auth {

// How one region's mobile numbers are written, from libphonenumber's metadata: the web page builds its country picker
// and input mask from it rather than assuming +7 and ten digits.
struct MobileNumberFormat {
  std::string region;                 // "UZ"
  int calling_code = 0;               // 998
  std::vector<int> national_lengths;  // the digit counts a mobile number may have after the calling code: {9}
  std::string example;                // the example mobile number after its calling code, grouped: "91 234 56 78"
  std::string trunk_prefix;           // dialled before a national number inside the country ("8" in KZ), or ""
};

// One per region, in the order given; a region libphonenumber has no mobile example for is left out. The lengths
// come from the metadata of the calling code's main region (libphonenumber's public API checks lengths that way), so a
// region that shares its code (KZ with RU) gets the main region's lengths.
std::vector<MobileNumberFormat> mobile_number_formats(const std::vector<std::string>& regions);

// Parses the forgiving forms people type ("8 (747) 236-75-03", "+7 747 236 7503", "77472367503") and refuses anything
// that is not a valid MOBILE number of an allowed region. Thread-safe; build one at start-up (libphonenumber's first
// use costs ~4 ms). A parse costs ~25 µs, and a login parses its number twice (send, then verify), so the parser
// keeps the most recent accepted inputs in a bounded cache (sharded LRU, one mutex per shard, held only to look up or
// insert); refusals are not cached, so junk input cannot push real numbers out.
class PhoneNumberParser {
 public:
  static constexpr std::size_t kDefaultCacheSize = 16384;  // ~3 MB; 0 turns the cache off

  // `allowed_regions` empty means any region.
  PhoneNumberParser(std::string default_region, std::vector<std::string> allowed_regions,
                    std::size_t cache_size = kDefaultCacheSize);
  ~PhoneNumberParser();
  PhoneNumberParser(PhoneNumberParser&&) noexcept;
  PhoneNumberParser& operator=(PhoneNumberParser&&) noexcept;

  // Fails with errc::invalid_phone_number and a detail that says why (not a number, not mobile, country refused).
  result<PhoneNumber> parse(std::string_view input) const;

  // How many accepted inputs the cache holds now (never more than its size).
  std::size_t cached_count() const;

 private:
  struct RecentParses;

  result<PhoneNumber> parse_uncached(std::string_view input) const;

  std::string default_region_;
  std::vector<std::string> allowed_regions_;
  std::unique_ptr<RecentParses> recent_;
};

}  // namespace sms_auth
