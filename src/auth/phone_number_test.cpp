// Phone parsing: the forgiving forms map to one E.164 number; the pitfalls of libphonenumber are refused.
#include "auth/phone_number.hpp"

#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sms_auth {
namespace {

const PhoneNumberParser& kz_parser() {
  static const PhoneNumberParser parser("KZ", {"KZ"});
  return parser;
}

TEST(PhoneNumberParser, SeedFormsAllMapToOneE164Number) {
  for (const char* input : {"77472367503", "+7 747 236 7503", "87472367503", "8 (747) 236-75-03", "+7-747-236-75-03",
                            "+77472367503", " +7 (747) 236 75 03"}) {
    const auto phone = kz_parser().parse(input);
    ASSERT_TRUE(phone) << input << ": " << phone.error().detail;
    EXPECT_EQ(phone->e164, "+77472367503") << input;
    EXPECT_EQ(phone->region, "KZ");
    EXPECT_EQ(phone->digits(), "77472367503");
    EXPECT_EQ(phone->prefix(), "+7747236");
  }
}

TEST(PhoneNumberParser, RussianNumberSharingPlus7IsRefusedWhenOnlyKazakhstanIsAllowed) {
  const auto phone = kz_parser().parse("+7 912 345 67 89");
  ASSERT_FALSE(phone);
  EXPECT_EQ(phone.error().code, errc::invalid_phone_number);
  EXPECT_NE(phone.error().detail.find("RU"), std::string::npos);
}

TEST(PhoneNumberParser, RussianNumberIsAcceptedWhenRussiaIsAllowed) {
  const PhoneNumberParser parser("KZ", {"KZ", "RU"});
  const auto phone = parser.parse("+7 912 345 67 89");
  ASSERT_TRUE(phone);
  EXPECT_EQ(phone->e164, "+79123456789");
  EXPECT_EQ(phone->region, "RU");
}

TEST(PhoneNumberParser, AnyCountryWhenAllowListIsEmpty) {
  const PhoneNumberParser parser("KZ", {});
  const auto phone = parser.parse("+44 7400 123456");
  ASSERT_TRUE(phone) << phone.error().detail;
  EXPECT_EQ(phone->region, "GB");
}

TEST(PhoneNumberParser, LettersAreRefusedInsteadOfMappedToKeypadDigits) {
  EXPECT_FALSE(kz_parser().parse("+7 747 CALL NOW"));
  EXPECT_FALSE(kz_parser().parse("7747236750a"));
}

TEST(PhoneNumberParser, ExtensionsAreRefused) {
  EXPECT_FALSE(kz_parser().parse("+77472367503 ext. 12"));
  EXPECT_FALSE(kz_parser().parse("+77472367503;ext=12"));
  EXPECT_FALSE(kz_parser().parse("+77472367503#12"));
  EXPECT_FALSE(kz_parser().parse("+77472367503 x12"));
}

TEST(PhoneNumberParser, NonAsciiDigitsControlCharactersAndOverlongInputAreRefused) {
  EXPECT_FALSE(kz_parser().parse("\xEF\xBC\x97\xEF\xBC\x97\xEF\xBC\x94\xEF\xBC\x97"));  // full-width digits
  EXPECT_FALSE(kz_parser().parse("\xD9\xA7\xD9\xA7\xD9\xA4\xD9\xA7\xD9\xA2\xD9\xA3\xD9\xA6\xD9\xA7\xD9\xA5\xD9\xA0\xD9\xA3"));
  EXPECT_FALSE(kz_parser().parse("\xE2\x80\x8F+77472367503"));  // right-to-left mark
  EXPECT_FALSE(kz_parser().parse(std::string("+7747236\0" "7503", 13)));
  EXPECT_FALSE(kz_parser().parse("+7747\n2367503"));
  EXPECT_FALSE(kz_parser().parse("+774723675031234567"));
  EXPECT_FALSE(kz_parser().parse(std::string(1000, '7')));
  EXPECT_FALSE(kz_parser().parse(""));
  EXPECT_FALSE(kz_parser().parse("+"));
  EXPECT_FALSE(kz_parser().parse("7+7472367503"));
}

TEST(PhoneNumberParser, NonMobileKazakhNumbersAreRefusedWithTheReason) {
  const auto landline = kz_parser().parse("+7 727 258 00 00");  // Almaty fixed line
  ASSERT_FALSE(landline);
  EXPECT_NE(landline.error().detail.find("landline"), std::string::npos) << landline.error().detail;
  const auto voip = kz_parser().parse("+7 751 123 45 67");  // 751 is VOIP in the metadata
  ASSERT_FALSE(voip);
  EXPECT_NE(voip.error().detail.find("VoIP"), std::string::npos) << voip.error().detail;
}

TEST(PhoneNumberParser, InvalidNumbersAreRefused) {
  EXPECT_FALSE(kz_parser().parse("12345"));
  EXPECT_FALSE(kz_parser().parse("+7 000 000 0000"));
}

// The parser asks libphonenumber for a number's type instead of IsValidNumber (the same matching done once more):
// over the metadata's example number of every type in every region, and each one a digit short or long, it refuses
// as invalid exactly the numbers IsValidNumber calls invalid, and accepts exactly the valid mobile ones.
TEST(PhoneNumberParser, RefusesAsInvalidExactlyTheNumbersLibphonenumberCallsInvalid) {
  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const PhoneNumberParser any_country("KZ", {}, 0);
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  int valid = 0;
  int invalid = 0;
  for (const auto& region : regions) {
    for (const auto type :
         {PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE, PhoneNumberUtil::TOLL_FREE,
          PhoneNumberUtil::PREMIUM_RATE, PhoneNumberUtil::SHARED_COST, PhoneNumberUtil::VOIP,
          PhoneNumberUtil::PERSONAL_NUMBER, PhoneNumberUtil::PAGER, PhoneNumberUtil::UAN, PhoneNumberUtil::VOICEMAIL}) {
      i18n::phonenumbers::PhoneNumber example;
      if (!util.GetExampleNumberForType(region, type, &example)) continue;
      std::string e164;
      util.Format(example, PhoneNumberUtil::E164, &e164);
      for (const auto& candidate : {e164, e164.substr(0, e164.size() - 1), e164 + "5"}) {
        i18n::phonenumbers::PhoneNumber number;
        if (util.Parse(candidate, "KZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) continue;
        const bool libphonenumber_valid = util.IsValidNumber(number);
        const auto kind = util.GetNumberType(number);
        const auto parsed = any_country.parse(candidate);
        const bool refused_as_invalid =
            !parsed && parsed.error().detail.find("not a valid phone number") != std::string::npos;
        EXPECT_EQ(refused_as_invalid, !libphonenumber_valid) << candidate;
        EXPECT_EQ(static_cast<bool>(parsed), libphonenumber_valid && (kind == PhoneNumberUtil::MOBILE ||
                                                                      kind == PhoneNumberUtil::FIXED_LINE_OR_MOBILE))
            << candidate;
        ++(libphonenumber_valid ? valid : invalid);
      }
    }
  }
  EXPECT_GT(valid, 1000);  // the metadata's examples: every region's, of most types
  EXPECT_GT(invalid, 100);
}

std::string kazakh_mobile(int subscriber) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "+7 747 %07d", subscriber);
  return buffer;
}

TEST(PhoneNumberParserCache, RepeatedParseReturnsWhatAFreshParseReturns) {
  const PhoneNumberParser cached("KZ", {"KZ"});
  const PhoneNumberParser uncached("KZ", {"KZ"}, 0);
  for (const char* input : {"8 (747) 236-75-03", "+77012345678", "77781234567"}) {
    const auto fresh = uncached.parse(input);
    ASSERT_TRUE(fresh) << input;
    for (int round = 0; round < 3; ++round) {
      const auto again = cached.parse(input);
      ASSERT_TRUE(again) << input;
      EXPECT_EQ(again->e164, fresh->e164);
      EXPECT_EQ(again->region, fresh->region);
    }
  }
  EXPECT_EQ(cached.cached_count(), 3u);
  EXPECT_EQ(uncached.cached_count(), 0u);
}

TEST(PhoneNumberParserCache, RefusalsAreNotCachedAndStayRefused) {
  const PhoneNumberParser parser("KZ", {"KZ"});
  for (int round = 0; round < 2; ++round) {
    const auto russian = parser.parse("+7 912 345 67 89");
    ASSERT_FALSE(russian);
    EXPECT_NE(russian.error().detail.find("RU"), std::string::npos);
    EXPECT_FALSE(parser.parse("+7 727 258 00 00"));
  }
  EXPECT_EQ(parser.cached_count(), 0u);
}

TEST(PhoneNumberParserCache, NeverHoldsMoreThanItsSizeAndStaysCorrectWhenFull) {
  const PhoneNumberParser parser("KZ", {"KZ"}, 32);
  for (int i = 0; i < 500; ++i) {
    const auto phone = parser.parse(kazakh_mobile(1000000 + i));
    ASSERT_TRUE(phone) << i;
    EXPECT_EQ(phone->e164, "+7747" + std::to_string(1000000 + i));
    EXPECT_LE(parser.cached_count(), 32u);
  }
  EXPECT_GT(parser.cached_count(), 0u);
}

TEST(PhoneNumberParserCache, ThreadsSharingOneParserGetTheirOwnNumbers) {
  const PhoneNumberParser parser("KZ", {"KZ"}, 64);  // small: threads evict each other's entries all the time
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&parser, &wrong, t] {
      for (int i = 0; i < 300; ++i) {
        const int subscriber = 2000000 + (i * 7 + t) % 200;  // overlapping inputs across threads
        const auto phone = parser.parse(kazakh_mobile(subscriber));
        if (!phone || phone->e164 != "+7747" + std::to_string(subscriber)) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
  EXPECT_LE(parser.cached_count(), 64u);
}

TEST(MobileNumberFormats, KazakhstanAndUzbekistanComeFromTheMetadata) {
  const auto formats = mobile_number_formats({"KZ", "UZ"});
  ASSERT_EQ(formats.size(), 2u);
  EXPECT_EQ(formats[0].region, "KZ");
  EXPECT_EQ(formats[0].calling_code, 7);
  EXPECT_EQ(formats[0].national_lengths, std::vector<int>{10});
  EXPECT_EQ(formats[0].example, "771 000 9998");
  EXPECT_EQ(formats[0].trunk_prefix, "8");
  EXPECT_EQ(formats[1].region, "UZ");
  EXPECT_EQ(formats[1].calling_code, 998);
  EXPECT_EQ(formats[1].national_lengths, std::vector<int>{9});
  EXPECT_EQ(formats[1].example, "91 234 56 78");
}

TEST(MobileNumberFormats, EveryExampleIsANumberTheParserAccepts) {
  for (const auto& format : mobile_number_formats({"KZ", "UZ", "RU", "DE", "GB", "US"})) {
    const PhoneNumberParser parser(format.region, {format.region});
    const auto phone = parser.parse("+" + std::to_string(format.calling_code) + " " + format.example);
    ASSERT_TRUE(phone) << format.region << ": " << phone.error().detail;
    EXPECT_EQ(phone->region, format.region);
    const auto digits = static_cast<int>(phone->e164.size() - 1 - std::to_string(format.calling_code).size());
    EXPECT_NE(std::find(format.national_lengths.begin(), format.national_lengths.end(), digits),
              format.national_lengths.end())
        << format.region;
  }
}

TEST(MobileNumberFormats, UnknownRegionsAreLeftOut) {
  EXPECT_TRUE(mobile_number_formats({"XX", "ZZ"}).empty());
  EXPECT_EQ(mobile_number_formats({"XX", "UZ"}).size(), 1u);
}

}  // namespace
}  // namespace sms_auth
