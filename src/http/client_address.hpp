// Who the client is: the socket peer, unless the peer is a trusted proxy, then what the proxies say it was.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/ip_network.hpp"

namespace sms_auth {

class ClientAddressResolver {
 public:
  explicit ClientAddressResolver(std::vector<IpNetwork> trusted_proxies);

  // With an untrusted peer, the peer (a forged X-Forwarded-For changes nothing). With a trusted peer, the right-most
  // X-Forwarded-For entry that is not itself a trusted proxy: the last hop no trusted party could have forged.
  // `forwarded_for` is every X-Forwarded-For line, joined in order (join_field_lines): a proxy that appends a line of
  // its own instead of extending the client's must not leave the client's line to be read as the last hop.
  std::string resolve(std::string_view peer_address, std::string_view forwarded_for) const;
  // The socket peer is one of TRUSTED_PROXIES (its connections carry many clients).
  bool is_trusted_proxy(std::string_view peer_address) const;

 private:
  bool trusted(const IpAddress& address) const;
  std::vector<IpNetwork> trusted_proxies_;
};

}  // namespace sms_auth
