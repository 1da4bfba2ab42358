// The request id every request carries: a trusted proxy's X-Request-Id when it is safe to log, else a new one.
#pragma once

#include <string>
#include <string_view>

namespace sms_auth {

// At most this many characters, each a letter, digit, '-', '_', '.' or ':' (UUIDs, nginx's $request_id, W3C trace
// ids): nothing that could end a log field or a header.
constexpr std::size_t kMaxRequestIdSize = 64;
bool is_valid_request_id(std::string_view id);

// 16 random bytes in lower-case hex.
std::string new_request_id();

// The id of a request: `offered` (its X-Request-Id) only when the socket peer is a trusted proxy and the id is valid;
// a client's own header is never believed, so one client cannot make its lines pass for another request's.
std::string request_id_for(std::string_view offered, bool from_trusted_proxy);

}  // namespace sms_auth
