// Request ids: which offered ids are kept, and what a new one looks like.
#include "http/request_id.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

TEST(RequestId, AcceptsProxyIdsOfSafeCharacters) {
  EXPECT_TRUE(is_valid_request_id("0f8fad5b-d9cb-469f-a165-70867728950e"));
  EXPECT_TRUE(is_valid_request_id("abc_DEF.1:2"));
  EXPECT_TRUE(is_valid_request_id(std::string(kMaxRequestIdSize, 'a')));
}

TEST(RequestId, RefusesEmptyLongOrUnsafeIds) {
  EXPECT_FALSE(is_valid_request_id(""));
  EXPECT_FALSE(is_valid_request_id(std::string(kMaxRequestIdSize + 1, 'a')));
  for (const char* id : {"a b", "a\nb", "a\"b", "a=b", "a;b", "a/b", "\xc3\xa9"}) {
    EXPECT_FALSE(is_valid_request_id(id)) << id;
  }
}

TEST(RequestId, NewIdsAreRandom32HexCharacters) {
  const std::string a = new_request_id();
  const std::string b = new_request_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_TRUE(is_valid_request_id(a));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(RequestId, KeepsTheOfferedIdOnlyFromATrustedProxy) {
  EXPECT_EQ(request_id_for("proxy-id-1", true), "proxy-id-1");
  EXPECT_NE(request_id_for("client-id-1", false), "client-id-1");
  const std::string replaced = request_id_for("bad id", true);
  EXPECT_NE(replaced, "bad id");
  EXPECT_EQ(replaced.size(), 32u);
}

}  // namespace
}  // namespace sms_auth
