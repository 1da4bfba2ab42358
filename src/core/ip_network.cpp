// Address and CIDR parsing over inet_pton/inet_ntop.
#include "core/ip_network.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sms_auth {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string zero_terminated(text);
  IpAddress out;
  in_addr v4{};
  if (inet_pton(AF_INET, zero_terminated.c_str(), &v4) == 1) {
    out.is_v4 = true;
    out.bytes[10] = 0xFF;
    out.bytes[11] = 0xFF;
    std::memcpy(out.bytes.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, zero_terminated.c_str(), &v6) == 1) {
    std::memcpy(out.bytes.data(), &v6, 16);
    static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    out.is_v4 = std::memcmp(out.bytes.data(), kMappedPrefix, 12) == 0;
    return out;
  }
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (is_v4) {
    inet_ntop(AF_INET, bytes.data() + 12, buffer, sizeof buffer);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buffer, sizeof buffer);
  }
  return buffer;
}

std::optional<IpNetwork> IpNetwork::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int max_bits = address->is_v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || bits < 0 || bits > max_bits) {
      return std::nullopt;
    }
  }
  return IpNetwork{*address, address->is_v4 ? bits + 96 : bits};
}

bool IpNetwork::contains(const IpAddress& address) const noexcept {
  int remaining = prefix_bits;
  for (std::size_t i = 0; i < 16 && remaining > 0; ++i, remaining -= 8) {
    const std::uint8_t mask = remaining >= 8 ? 0xFF : static_cast<std::uint8_t>(0xFF << (8 - remaining));
    if ((address.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace sms_auth
