// Client address: X-Forwarded-For is believed only from trusted proxies.
#include "http/client_address.hpp"

#include <gtest/gtest.h>

#include "http/request_checks.hpp"

namespace sms_auth {
namespace {

TEST(ClientAddressResolver, WithoutTrustedProxiesTheSocketPeerIsTheClient) {
  const ClientAddressResolver resolver({});
  EXPECT_EQ(resolver.resolve("203.0.113.7", "1.2.3.4"), "203.0.113.7");
}

TEST(ClientAddressResolver, ForgedHeaderFromAnUntrustedPeerChangesNothing) {
  const ClientAddressResolver resolver({*IpNetwork::parse("10.0.0.0/8")});
  EXPECT_EQ(resolver.resolve("203.0.113.7", "1.2.3.4"), "203.0.113.7");
}

TEST(ClientAddressResolver, TrustedProxyGivesTheRightMostUntrustedEntry) {
  const ClientAddressResolver resolver({*IpNetwork::parse("10.0.0.0/8"), *IpNetwork::parse("127.0.0.1")});
  // The client forged "1.2.3.4"; the proxy appended the real address 198.51.100.9.
  EXPECT_EQ(resolver.resolve("10.1.2.3", "1.2.3.4, 198.51.100.9"), "198.51.100.9");
  EXPECT_EQ(resolver.resolve("127.0.0.1", "198.51.100.9, 10.0.0.5"), "198.51.100.9");
  EXPECT_EQ(resolver.resolve("10.1.2.3", ""), "10.1.2.3");
  EXPECT_EQ(resolver.resolve("10.1.2.3", "garbage, 198.51.100.9"), "198.51.100.9");
  EXPECT_EQ(resolver.resolve("10.1.2.3", "198.51.100.9, garbage"), "10.1.2.3");
}

TEST(ClientAddressResolver, AClientsOwnHeaderLineBeforeTheProxysLineIsNotTheClient) {
  const ClientAddressResolver resolver({*IpNetwork::parse("127.0.0.1")});
  // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy added a second line with the real address.
  EXPECT_EQ(resolver.resolve("127.0.0.1", join_field_lines({"1.2.3.4", "198.51.100.9"})), "198.51.100.9");
  EXPECT_EQ(resolver.resolve("127.0.0.1", join_field_lines({"5.6.7.8, 1.2.3.4", "198.51.100.9"})), "198.51.100.9");
  EXPECT_TRUE(resolver.is_trusted_proxy("127.0.0.1"));
  EXPECT_FALSE(resolver.is_trusted_proxy("198.51.100.9"));
  EXPECT_FALSE(resolver.is_trusted_proxy("not an address"));
}

TEST(IpNetwork, ContainsAddressesOfItsBlockOnly) {
  const auto v4 = *IpNetwork::parse("192.168.0.0/16");
  EXPECT_TRUE(v4.contains(*IpAddress::parse("192.168.4.5")));
  EXPECT_FALSE(v4.contains(*IpAddress::parse("192.169.0.1")));
  EXPECT_TRUE(v4.contains(*IpAddress::parse("::ffff:192.168.1.1")));
  const auto v6 = *IpNetwork::parse("fd00::/8");
  EXPECT_TRUE(v6.contains(*IpAddress::parse("fd12::1")));
  EXPECT_FALSE(v6.contains(*IpAddress::parse("fe80::1")));
  EXPECT_FALSE(IpNetwork::parse("10.0.0.0/33"));
  EXPECT_FALSE(IpNetwork::parse("10.0.0.0/"));
  EXPECT_FALSE(IpNetwork::parse("example.com"));
}

}  // namespace
}  // namespace sms_auth
