// Crypto helpers: base64url round trips and strictness, HMAC test vector, UUID shape.
#include "core/crypto.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace sms_auth {
namespace {

TEST(Base64Url, RoundTripsEveryLength) {
  for (std::size_t size = 0; size < 40; ++size) {
    const Bytes data = random_bytes(size);
    std::string decoded;
    ASSERT_TRUE(base64url_decode(base64url_encode(data), decoded));
    EXPECT_EQ(to_bytes(decoded), data);
  }
}

TEST(Base64Url, RefusesForeignCharactersPaddingAndNonCanonicalTails) {
  std::string out;
  EXPECT_FALSE(base64url_decode("ab+c", out));
  EXPECT_FALSE(base64url_decode("abc=", out));
  EXPECT_FALSE(base64url_decode("a", out));
  EXPECT_FALSE(base64url_decode("QR", out));  // "Q" = 0b010000, "R" leaves non-zero bits
  EXPECT_TRUE(base64url_decode("QQ", out));
  EXPECT_EQ(out, "A");
}

TEST(HmacSha256, MatchesRfc4231TestCase2) {
  const Bytes mac = hmac_sha256(to_bytes("Jefe"), "what do ya want for nothing?");
  EXPECT_EQ(to_hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// Each thread re-keys one HMAC context: a key must never leak into the next call, an empty key included.
TEST(HmacSha256, ReusedContextTakesEachCallsOwnKeyOnEveryThread) {
  const auto check_all = [] {
    for (int round = 0; round < 3; ++round) {
      EXPECT_EQ(to_hex(hmac_sha256(Bytes(20, 0x0b), "Hi There")),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");  // RFC 4231 case 1
      EXPECT_EQ(to_hex(hmac_sha256(Bytes{}, "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
      EXPECT_EQ(to_hex(hmac_sha256(to_bytes("Jefe"), "what do ya want for nothing?")),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");  // RFC 4231 case 2
    }
  };
  check_all();
  std::thread other(check_all);
  other.join();
}

TEST(Sha256, MatchesTheFips180ExampleWhenInterleavedWithSha1) {
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(to_hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
}

TEST(Sha1, MatchesTheFips180Example) {
  EXPECT_EQ(to_hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal(to_bytes("abc"), to_bytes("abc")));
  EXPECT_FALSE(constant_time_equal(to_bytes("abc"), to_bytes("abd")));
  EXPECT_FALSE(constant_time_equal(to_bytes("abc"), to_bytes("abcd")));
}

TEST(RandomUuid, IsVersion4AndDistinct) {
  const std::string a = random_uuid();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(a, random_uuid());
}

TEST(TimeOrderedUuid, IsVersion7WithItsMillisecondsFirstAndSortsByTime) {
  const std::int64_t ms = 1'764'000'000'123;  // 0x019ab697e87b
  const std::string a = time_ordered_uuid(ms);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a.substr(0, 13), "019ab697-e87b");
  EXPECT_EQ(a[14], '7');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos) << a;  // the RFC 9562 variant
  EXPECT_NE(a, time_ordered_uuid(ms)) << "the same millisecond must still give distinct ids";
  EXPECT_LT(a, time_ordered_uuid(ms + 1));
  EXPECT_LT(time_ordered_uuid(ms - 1), a);
}

TEST(RandomBelow, StaysInRange) {
  for (int i = 0; i < 1000; ++i) EXPECT_LT(random_below(7), 7u);
}

}  // namespace
}  // namespace sms_auth
