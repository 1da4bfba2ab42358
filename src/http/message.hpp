// HTTP request and response as the application sees them: plain strings, no Beast types past the server.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.hpp"
#include "core/text.hpp"

namespace sms_auth {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string path;    // without the query
  std::string query;   // after '?', undecoded
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string client_address;  // the socket peer, or the X-Forwarded-For entry a trusted proxy vouches for
  std::string request_id;      // http/request_id.hpp; echoed as X-Request-Id and in every log line of the request

  // What the request's log lines carry (core/log.hpp).
  LogContext log_context() const { return LogContext{request_id}; }

  // The first header of that (lower-case) name, or "".
  std::string_view header(std::string_view lower_case_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_case_name) return value;
    }
    return {};
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  bool has_header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (equals_ignoring_case(key, name)) return true;
    }
    return false;
  }
};

}  // namespace sms_auth
