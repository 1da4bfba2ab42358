// Reading parameters from a URL query (application/x-www-form-urlencoded): percent-decoding, '+' as space.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sms_auth {

// The decoded value of the first `name` parameter of `query` (the part after '?'), or nullopt when absent or when its
// percent-encoding is broken.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

}  // namespace sms_auth
