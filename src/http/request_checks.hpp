// Checks on a request's header that the HTTP parser lets through but that make a message ambiguous (request smuggling).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sms_auth {

// The field lines of one header name as one value, joined with ", " in their order (RFC 9110 §5.3).
std::string join_field_lines(const std::vector<std::string_view>& lines);

// Where a whole header block ends in `received` (just past its empty line), if it is all there. Empty lines before
// the request line are skipped, as RFC 9112 §2.2 allows.
std::optional<std::size_t> header_block_end(std::string_view received);

// True if a header block folds a line (a line starting with a space or a tab): obs-fold, refused (RFC 9112 §5.2).
bool has_obs_fold(std::string_view header_block);

// Why a request's header is refused (a sentence for the client's 400), or nothing. `transfer_encoding` is every
// Transfer-Encoding line joined; `host_lines` is how many Host lines came.
std::optional<std::string> header_problem(unsigned version, std::string_view transfer_encoding, bool has_transfer_encoding,
                                          std::size_t host_lines);

}  // namespace sms_auth
