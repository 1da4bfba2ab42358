// The ASCII text helpers: case folding that ignores the locale, case-insensitive comparison, OWS trimming.
#include "core/text.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

TEST(Text, CaseFoldingTouchesOnlyAsciiLetters) {
  EXPECT_EQ(to_lower_ascii("Bearer ÄB-9z"), "bearer Äb-9z");
  EXPECT_EQ(to_upper_ascii("kz-ru"), "KZ-RU");
  EXPECT_EQ(to_lower_ascii(std::string("\xC3\x84", 2)), std::string("\xC3\x84", 2));  // UTF-8 bytes stay as they are
}

TEST(Text, ComparisonIgnoresCaseButNotLength) {
  EXPECT_TRUE(equals_ignoring_case("Chunked", "chunked"));
  EXPECT_FALSE(equals_ignoring_case("chunked ", "chunked"));
  EXPECT_FALSE(equals_ignoring_case("xchunked", "chunked"));
  EXPECT_TRUE(starts_with_ignoring_case("BEARER abc", "bearer "));
  EXPECT_FALSE(starts_with_ignoring_case("Bear", "bearer "));
}

TEST(Text, TrimRemovesSpacesAndTabsAtBothEndsOnly) {
  EXPECT_EQ(trim_spaces(" \t a b \t"), "a b");
  EXPECT_EQ(trim_spaces("\t \t"), "");
}

}  // namespace
}  // namespace sms_auth
