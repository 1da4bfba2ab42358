// Codes: 6 digits, uniform, leading zeros kept, derived from a seed under a key, stored as an HMAC only.
#include "auth/otp_code.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <set>

namespace sms_auth {
namespace {

Bytes test_key() { return Bytes(32, 0x42); }

TEST(OtpCodec, CodesAreSixDigitsAndTheSameSeedGivesTheSameCode) {
  const OtpCodec codec(test_key());
  const Bytes seed = OtpCodec::new_seed();
  const std::string code = codec.code_for_seed(seed);
  EXPECT_TRUE(is_well_formed_code(code)) << code;
  EXPECT_EQ(codec.code_for_seed(seed), code);
}

TEST(OtpCodec, DifferentKeysGiveUnrelatedCodesForOneSeed) {
  const OtpCodec a(Bytes(32, 1));
  const OtpCodec b(Bytes(32, 2));
  int same = 0;
  for (int i = 0; i < 200; ++i) {
    const Bytes seed = OtpCodec::new_seed();
    same += a.code_for_seed(seed) == b.code_for_seed(seed);
  }
  EXPECT_LE(same, 1);
}

// 20,000 codes: each position's digits pass a chi-square test (9 degrees of freedom, p > 0.001 ⇔ χ² < 27.88) and
// about a tenth of the codes start with 0. The seeds are fixed (SHA-256 of the index) so that the test is
// deterministic: it checks the derivation, not the luck of one run (random seeds would fail 0.6 % of runs by design).
TEST(OtpCodec, DigitsAreUniformAndLeadingZerosOccur) {
  const OtpCodec codec(test_key());
  constexpr int kCodes = 20000;
  std::array<std::array<int, 10>, kCodeDigits> counts{};
  std::set<std::string> distinct;
  for (int i = 0; i < kCodes; ++i) {
    const std::string code = codec.code_for_seed(sha256("seed-" + std::to_string(i)));
    ASSERT_TRUE(is_well_formed_code(code));
    distinct.insert(code);
    for (std::size_t p = 0; p < kCodeDigits; ++p) ++counts[p][static_cast<std::size_t>(code[p] - '0')];
  }
  const double expected = kCodes / 10.0;
  for (std::size_t p = 0; p < kCodeDigits; ++p) {
    double chi_square = 0;
    for (int count : counts[p]) chi_square += (count - expected) * (count - expected) / expected;
    EXPECT_LT(chi_square, 27.88) << "position " << p;
  }
  EXPECT_NEAR(counts[0][0], expected, expected * 0.15);
  EXPECT_GT(distinct.size(), static_cast<std::size_t>(kCodes * 0.98));  // birthday bound: ~200 collisions expected
}

TEST(OtpCodec, HashMatchesOnlyTheRightCodeForTheRightNumber) {
  const OtpCodec codec(test_key());
  const Bytes stored = codec.hash("+77472367503", "598000");
  EXPECT_TRUE(codec.matches("+77472367503", "598000", stored));
  EXPECT_FALSE(codec.matches("+77472367503", "598001", stored));
  EXPECT_FALSE(codec.matches("+77472367504", "598000", stored));
  EXPECT_FALSE(codec.matches("+77472367503", "598000", Bytes{}));
}

TEST(OtpCodec, StoredHashRevealsNeitherTheCodeNorAnUnkeyedDigest) {
  const OtpCodec codec(test_key());
  const Bytes stored = codec.hash("+77472367503", "598000");
  const std::string stored_text(as_string_view(stored));
  EXPECT_EQ(stored_text.find("598000"), std::string::npos);
  EXPECT_NE(stored, sha256("+77472367503598000"));
  EXPECT_NE(stored, sha256("598000"));
  EXPECT_NE(stored, OtpCodec(Bytes(32, 0x43)).hash("+77472367503", "598000"));
}

TEST(OtpCodec, WellFormedCodesAreExactlySixAsciiDigits) {
  EXPECT_TRUE(is_well_formed_code("000000"));
  EXPECT_TRUE(is_well_formed_code("598000"));
  EXPECT_FALSE(is_well_formed_code("59800"));
  EXPECT_FALSE(is_well_formed_code("5980000"));
  EXPECT_FALSE(is_well_formed_code("59800a"));
  EXPECT_FALSE(is_well_formed_code(" 98000"));
  EXPECT_FALSE(is_well_formed_code(""));
}

TEST(OtpCodec, ShortKeysAreRefused) { EXPECT_THROW(OtpCodec(Bytes(16, 1)), std::invalid_argument); }

}  // namespace
}  // namespace sms_auth
