// IPv4/IPv6 addresses and CIDR networks, parsed with inet_pton: enough to decide whether a peer is a trusted proxy.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sms_auth {

// An address normalized to 16 bytes (IPv4 as ::ffff:a.b.c.d), so that v4 and v4-mapped v6 compare equal.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool is_v4 = false;

  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

// A CIDR block such as 10.0.0.0/8 or fd00::/8; a bare address is a /32 or /128.
struct IpNetwork {
  IpAddress base;
  int prefix_bits = 0;  // counted over the 16-byte form

  static std::optional<IpNetwork> parse(std::string_view text);
  bool contains(const IpAddress& address) const noexcept;
};

}  // namespace sms_auth
