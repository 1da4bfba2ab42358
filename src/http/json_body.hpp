// Strict JSON request bodies: media type, UTF-8, no BOM, no duplicate keys, bounded nesting, typed fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/result.hpp"
#include "http/http_error.hpp"
#include "http/message.hpp"

namespace sms_auth {

// The body as a JSON object. Fails with unsupported_media_type (Content-Type not application/json) or
// invalid_request (empty, not JSON, truncated, trailing bytes, BOM, invalid UTF-8, duplicate keys, deeper than 16
// levels, not an object).
result<nlohmann::json, BodyError> parse_json_object(const HttpRequest& request);

// A required string member; fails with invalid_request naming the field.
result<std::string> required_string(const nlohmann::json& object, const char* name);

// An optional boolean member (absent: `fallback`); fails with invalid_request if present and not a boolean.
result<bool> optional_bool(const nlohmann::json& object, const char* name, bool fallback);

// An optional string member (absent or null: ""); fails with invalid_request if present and not a string.
result<std::string> optional_string(const nlohmann::json& object, const char* name);

// Serializes a response body; invalid UTF-8 in strings is replaced, never thrown.
std::string to_json_text(const nlohmann::json& value);

HttpResponse json_response(int status, const nlohmann::json& body);

}  // namespace sms_auth
