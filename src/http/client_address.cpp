// X-Forwarded-For handling (ASVS 5.0 4.1.3: believe it only from a trusted proxy).
#include "http/client_address.hpp"

#include "core/text.hpp"

namespace sms_auth {
namespace {

}  // namespace

ClientAddressResolver::ClientAddressResolver(std::vector<IpNetwork> trusted_proxies)
    : trusted_proxies_(std::move(trusted_proxies)) {}

bool ClientAddressResolver::trusted(const IpAddress& address) const {
  for (const auto& network : trusted_proxies_) {
    if (network.contains(address)) return true;
  }
  return false;
}

bool ClientAddressResolver::is_trusted_proxy(std::string_view peer_address) const {
  const auto peer = IpAddress::parse(peer_address);
  return peer && trusted(*peer);
}

std::string ClientAddressResolver::resolve(std::string_view peer_address, std::string_view forwarded_for) const {
  const auto peer = IpAddress::parse(peer_address);
  if (!peer) return std::string(peer_address);
  if (trusted_proxies_.empty() || !trusted(*peer)) return peer->to_string();

  std::string client = peer->to_string();
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const auto entry = trim_spaces(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    const auto address = IpAddress::parse(entry);
    if (!address) break;  // garbage in the chain: stop at the last address a trusted hop gave us
    client = address->to_string();
    if (!trusted(*address)) break;
  }
  return client;
}

}  // namespace sms_auth
