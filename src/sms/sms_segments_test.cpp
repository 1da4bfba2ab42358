// SMS size: GSM-7 vs UCS-2, extension characters, segment boundaries.
#include "sms/sms_segments.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sms_auth {
namespace {

TEST(SmsSegments, PlainLatinTextIsGsm7OneSeptetPerCharacter) {
  const auto size = measure_sms("Your code: 123456\n@memoir.kz #123456");
  EXPECT_EQ(size.encoding, SmsEncoding::gsm7);
  EXPECT_EQ(size.characters, 36u);
  EXPECT_EQ(size.units, 36u);
  EXPECT_EQ(size.segments, 1u);
}

TEST(SmsSegments, GsmBasicTableLettersBeyondAsciiStayGsm7) {
  const auto size = measure_sms("Çà £5 ΔΩ é ñ ü ß");
  EXPECT_EQ(size.encoding, SmsEncoding::gsm7);
  EXPECT_EQ(size.units, size.characters);
}

TEST(SmsSegments, ExtensionCharactersCountDouble) {
  const auto size = measure_sms("{a}[b]~|^\\€");
  EXPECT_EQ(size.encoding, SmsEncoding::gsm7);
  EXPECT_EQ(size.characters, 11u);
  EXPECT_EQ(size.units, 20u);  // 9 extension characters × 2 + "a" + "b"
}

TEST(SmsSegments, Gsm7Splits160Then153PerPart) {
  EXPECT_EQ(measure_sms(std::string(160, 'a')).segments, 1u);
  EXPECT_EQ(measure_sms(std::string(161, 'a')).segments, 2u);
  EXPECT_EQ(measure_sms(std::string(306, 'a')).segments, 2u);
  EXPECT_EQ(measure_sms(std::string(307, 'a')).segments, 3u);
  // 80 extension characters are 160 septets: still one SMS; one more septet makes two.
  std::string braces(80, '{');
  EXPECT_EQ(measure_sms(braces).segments, 1u);
  EXPECT_EQ(measure_sms(braces + "a").segments, 2u);
}

TEST(SmsSegments, CyrillicIsUcs2Splitting70Then67) {
  std::string seventy;
  for (int i = 0; i < 70; ++i) seventy += "ж";
  const auto one = measure_sms(seventy);
  EXPECT_EQ(one.encoding, SmsEncoding::ucs2);
  EXPECT_EQ(one.characters, 70u);
  EXPECT_EQ(one.units, 70u);
  EXPECT_EQ(one.segments, 1u);
  EXPECT_EQ(measure_sms(seventy + "ж").segments, 2u);
  std::string long_text;
  for (int i = 0; i < 134; ++i) long_text += "ж";
  EXPECT_EQ(measure_sms(long_text).segments, 2u);
  EXPECT_EQ(measure_sms(long_text + "ж").segments, 3u);
}

TEST(SmsSegments, OneNonGsmCharacterMakesTheWholeTextUcs2) {
  const auto size = measure_sms(std::string(100, 'a') + "ң");
  EXPECT_EQ(size.encoding, SmsEncoding::ucs2);
  EXPECT_EQ(size.units, 101u);
  EXPECT_EQ(size.segments, 2u);
  EXPECT_EQ(measure_sms("`").encoding, SmsEncoding::ucs2);  // the backquote is not in GSM 03.38
}

TEST(SmsSegments, CharactersBeyondTheBmpTakeTwoUcs2Units) {
  const auto size = measure_sms("ok 😀");
  EXPECT_EQ(size.encoding, SmsEncoding::ucs2);
  EXPECT_EQ(size.characters, 4u);
  EXPECT_EQ(size.units, 5u);
}

TEST(SmsSegments, WebOtpAndHashLinesCountInTheSize) {
  const std::string body = "Ваш код подтверждения Memoir: 123456\n\nКод действителен 5 минут.";
  EXPECT_EQ(measure_sms(body).units, 63u);
  EXPECT_EQ(measure_sms(body).segments, 1u);
  const auto with_lines = measure_sms(body + "\nFA+9qCX9VSu\n@memoir.kz #123456");
  EXPECT_EQ(with_lines.units, 63u + 12u + 19u);
  EXPECT_EQ(with_lines.segments, 2u);
}

}  // namespace
}  // namespace sms_auth
