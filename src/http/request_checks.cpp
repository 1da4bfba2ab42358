// Transfer-Encoding, Host and obs-fold rules of RFC 9112, checked before a request is read further.
#include "http/request_checks.hpp"

#include <algorithm>
#include <cctype>

#include "core/text.hpp"

namespace sms_auth {
namespace {

}  // namespace

std::string join_field_lines(const std::vector<std::string_view>& lines) {
  std::string joined;
  for (const auto line : lines) {
    const auto value = trim_spaces(line);
    if (value.empty()) continue;
    if (!joined.empty()) joined += ", ";
    joined += value;
  }
  return joined;
}

std::optional<std::size_t> header_block_end(std::string_view received) {
  std::size_t start = 0;
  while (received.substr(start, 2) == "\r\n") start += 2;
  // Bare LF line ends are not HTTP/1.1 we accept, but they end a block too, so that the parser can refuse it now.
  const auto crlf = received.find("\r\n\r\n", start);
  const auto lf = received.find("\n\n", start);
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::nullopt;
  if (lf != std::string_view::npos && (crlf == std::string_view::npos || lf < crlf + 2)) return lf + 2;
  return crlf + 4;
}

bool has_obs_fold(std::string_view header_block) {
  while (header_block.substr(0, 2) == "\r\n") header_block.remove_prefix(2);
  // Every line after the request line: one that starts with whitespace continues the previous one.
  for (auto at = header_block.find('\n'); at != std::string_view::npos; at = header_block.find('\n', at + 1)) {
    if (at + 1 < header_block.size() && (header_block[at + 1] == ' ' || header_block[at + 1] == '\t')) return true;
  }
  return false;
}

std::optional<std::string> header_problem(unsigned version, std::string_view transfer_encoding,
                                          bool has_transfer_encoding, std::size_t host_lines) {
  if (version >= 11 && host_lines == 0) return "An HTTP/1.1 request must have a Host header";
  if (host_lines > 1) return "A request must have one Host header";
  if (has_transfer_encoding) {
    // We decode no transfer coding but chunked: anything else (or chunked not last) would leave the body's end
    // unknown, and the rest of the connection could be read as another request.
    if (version < 11) return "Transfer-Encoding is not allowed in an HTTP/1.0 request";
    if (!equals_ignoring_case(trim_spaces(transfer_encoding), "chunked")) {
      return "Transfer-Encoding must be chunked, and only chunked";
    }
  }
  return std::nullopt;
}

}  // namespace sms_auth
