// Query parameters: decoding, '+' as space, absent and broken values.
#include "http/query_string.hpp"

#include <gtest/gtest.h>

namespace sms_auth {
namespace {

TEST(QueryParameter, DecodesPercentAndPlus) {
  EXPECT_EQ(query_parameter("phone=%2B77472367503", "phone"), "+77472367503");
  EXPECT_EQ(query_parameter("a=1&phone=8+(747)+236&b=2", "phone"), "8 (747) 236");
  EXPECT_EQ(query_parameter("phone=", "phone"), "");
  EXPECT_EQ(query_parameter("phone", "phone"), "");
  EXPECT_EQ(query_parameter("p%68one=1", "phone"), "1");
}

TEST(QueryParameter, AbsentOrBrokenIsNullopt) {
  EXPECT_FALSE(query_parameter("", "phone"));
  EXPECT_FALSE(query_parameter("phones=1", "phone"));
  EXPECT_FALSE(query_parameter("phone=%2", "phone"));
  EXPECT_FALSE(query_parameter("phone=%zz", "phone"));
}

}  // namespace
}  // namespace sms_auth
