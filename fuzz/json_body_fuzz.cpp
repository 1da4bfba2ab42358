// Fuzzes strict JSON body decoding: any body is refused as a 4xx value or accepted as an object that re-serializes.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "http/json_body.hpp"

using namespace sms_auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/api/auth/sms/send-code";
  request.headers.emplace_back("content-type", "application/json; charset=utf-8");
  request.body = std::string(fuzz::as_text(data, size));

  const auto object = parse_json_object(request);
  if (!object) {
    fuzz::require(
        std::holds_alternative<Error>(object.error()) && std::get<Error>(object.error()).code == errc::invalid_request,
        "a refused body is invalid_request");
    return 0;
  }
  fuzz::require(object->is_object(), "an accepted body is an object");
  const auto phone = required_string(*object, "phone_number");
  fuzz::require(phone.has_value() == (object->contains("phone_number") && (*object)["phone_number"].is_string()),
                "required_string accepts exactly a string member");
  (void)optional_bool(*object, "remember", false);

  // What we accepted, serialized by us, must be accepted again (no duplicate keys, depth and UTF-8 preserved).
  HttpRequest again = request;
  again.body = to_json_text(*object);
  fuzz::require(parse_json_object(again).has_value(), "our own serialization of an accepted body is accepted");
  return 0;
}
