// Beast's messages ⇄ the application's HttpRequest/HttpResponse.
#include "http/beast_message.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>

namespace sms_auth {

namespace http = boost::beast::http;

HttpRequest to_app_request(http::request<http::string_body>&& request, std::string client_address) {
  HttpRequest out;
  out.method = std::string(request.method_string());
  const std::string_view target = request.target();
  const auto question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
  out.headers.reserve(16);
  for (const auto& field : request) {
    out.headers.emplace_back(to_lower_ascii(std::string(field.name_string())), std::string(field.value()));
  }
  out.body = std::move(request.body());
  out.client_address = std::move(client_address);
  return out;
}

http::response<http::string_body> to_beast_response(HttpResponse&& response, unsigned version, bool keep_alive,
                                                    bool head) {
  http::response<http::string_body> out{static_cast<http::status>(response.status), version};
  out.set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) out.insert(name, value);
  out.keep_alive(keep_alive);
  if (response.status == 304) {
    // No body and no Content-Length: in a 304 it would have to be the length of the 200 (RFC 9110 §8.6).
  } else if (head) {
    out.content_length(response.body.size());
  } else {
    out.body() = std::move(response.body);
    out.prepare_payload();
  }
  return out;
}

}  // namespace sms_auth
