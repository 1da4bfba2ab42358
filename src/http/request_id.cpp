// Request id validation and generation.
#include "http/request_id.hpp"

#include <algorithm>

#include "core/crypto.hpp"

namespace sms_auth {

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdSize) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == ':';
  });
}

std::string new_request_id() { return to_hex(random_bytes(16)); }

std::string request_id_for(std::string_view offered, bool from_trusted_proxy) {
  if (from_trusted_proxy && is_valid_request_id(offered)) return std::string(offered);
  return new_request_id();
}

}  // namespace sms_auth
