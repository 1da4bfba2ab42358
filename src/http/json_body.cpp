// JSON body parsing with nlohmann's callback parser, refusing what RFC 8259 / I-JSON do not allow.
#include "http/json_body.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "core/text.hpp"

namespace sms_auth {
namespace {

constexpr int kMaxDepth = 16;

struct Refused {
  const char* why;
};

bool is_json_media_type(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  return equals_ignoring_case(trim_spaces(content_type.substr(0, semicolon)), "application/json");
}

Error bad(std::string detail) { return make_error(errc::invalid_request, std::move(detail)); }
BodyError bad_body(std::string detail) {
  return bad(std::move(detail));
}

}  // namespace

result<nlohmann::json, BodyError> parse_json_object(const HttpRequest& request) {
  if (!is_json_media_type(request.header("content-type"))) {
    return BodyError{HttpError{http_errc::unsupported_media_type, "Content-Type must be application/json"}};
  }
  const std::string& body = request.body;
  if (body.empty()) return bad_body("the request body is empty; send a JSON object");
  if (body.size() >= 3 && static_cast<unsigned char>(body[0]) == 0xEF && static_cast<unsigned char>(body[1]) == 0xBB &&
      static_cast<unsigned char>(body[2]) == 0xBF) {
    return bad_body("the request body must not start with a byte order mark");  // RFC 8259 §8.1
  }

  // One set of keys per open object, to refuse duplicate names (I-JSON §2.3): parsers disagree on which wins.
  std::vector<std::set<std::string>> open_objects;
  const auto check = [&open_objects](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using event_t = nlohmann::json::parse_event_t;
    if (depth > kMaxDepth) throw Refused{"the request body is nested too deeply"};
    switch (event) {
      case event_t::object_start: open_objects.emplace_back(); break;
      case event_t::object_end: open_objects.pop_back(); break;
      case event_t::key:
        if (!open_objects.back().insert(parsed.get<std::string>()).second) {
          throw Refused{"the request body repeats a key"};
        }
        break;
      default: break;
    }
    return true;
  };
  try {
    auto value = nlohmann::json::parse(body, check, true, false);
    if (!value.is_object()) return bad_body("the request body must be a JSON object");
    return value;
  } catch (const Refused& refused) {
    return bad_body(refused.why);
  } catch (const nlohmann::json::exception&) {
    return bad_body("the request body is not valid JSON");
  }
}

result<std::string> required_string(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return bad(std::string(name) + " is required");
  if (!it->is_string()) return bad(std::string(name) + " must be a string");
  return it->get<std::string>();
}

result<bool> optional_bool(const nlohmann::json& object, const char* name, bool fallback) {
  const auto it = object.find(name);
  if (it == object.end()) return fallback;
  if (!it->is_boolean()) return bad(std::string(name) + " must be true or false");
  return it->get<bool>();
}

result<std::string> optional_string(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::string{};
  if (!it->is_string()) return bad(std::string(name) + " must be a string");
  return it->get<std::string>();
}

std::string to_json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse json_response(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  response.body = to_json_text(body);
  return response;
}

}  // namespace sms_auth
