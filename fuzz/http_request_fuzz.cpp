// Fuzzes the HTTP request path without sockets: Beast's parser with the server's limits, pipelined requests, the
// client address behind a trusted proxy, the router (the real page handlers, and routes reading JSON bodies, queries
// and bearer tokens the way the API handlers do), and the response as it would be written, which must parse back.
// <utility> first: Boost 1.74's asio/awaitable.hpp needs std::exchange without including it.
#include <utility>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>

#include "auth/jwt.hpp"
#include "auth/phone_number.hpp"
#include "fuzz_support.hpp"
#include "http/bearer_auth.hpp"
#include "http/beast_message.hpp"
#include "http/client_address.hpp"
#include "http/error_response.hpp"
#include "http/handlers/web_page_handlers.hpp"
#include "http/json_body.hpp"
#include "http/query_string.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

using namespace sms_auth;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

struct Service {
  MetricsRegistry metrics;
  Router router{metrics, false};  // no access line per input: the fuzzer runs millions
  ClientAddressResolver client_addresses{{*IpNetwork::parse("127.0.0.1/32"), *IpNetwork::parse("10.0.0.0/8")}};
  PhoneNumberParser phones{"KZ", {"KZ"}};
  AccessTokens tokens{{std::make_shared<Hs256Key>(Bytes(32, 0x5a))}, "sms-auth", "sms-auth-api",
                      std::chrono::seconds(900)};
  WebPageHandlers page{embedded_web_files(), WebPageSettings{}};
  ServerOptions limits;  // the server's defaults: body and header limits

  Service() {
    router.add(page.routes());
    router.add({
        {"POST", "/api/auth/sms/send-code", [this](HttpRequest request) { return send_code(std::move(request)); }},
        {"GET", "/api/user/me", [this](HttpRequest request) { return me(std::move(request)); }},
        {"GET", "/api/sms/status", [](HttpRequest request) { return status(std::move(request)); }},
    });
  }

  // As the send-code handler reads its input: strict JSON, then the phone number.
  awaitable<HttpResponse> send_code(HttpRequest request) {
    const auto body = parse_json_object(request);
    if (!body) co_return error_response(body.error());
    const auto text = required_string(*body, "phone_number");
    if (!text) co_return error_response(text.error());
    const auto phone = phones.parse(*text);
    if (!phone) co_return error_response(phone.error());
    co_return json_response(200, {{"success", true}, {"phone_number", phone->e164}});
  }

  // As protected endpoints authenticate: the bearer token, then its verification.
  awaitable<HttpResponse> me(HttpRequest request) {
    const auto token = bearer_token(request);
    if (!token) co_return error_response(token.error());
    const auto claims = tokens.verify(*token, from_unix_ms(1'767'225'600'000));
    if (!claims) co_return error_response(claims.error());
    co_return json_response(200, {{"success", true}, {"user_id", claims->subject}});
  }

  static awaitable<HttpResponse> status(HttpRequest request) {
    const auto id = query_parameter(request.query, "message_id");
    co_return json_response(200, {{"success", true}, {"message_id", id.value_or("")}});
  }
};

// What the server answers when Beast refuses a request (run_session's mapping).
HttpResponse refusal_for(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return error_response(HttpError{http_errc::payload_too_large, "body too large"});
  if (ec == http::error::header_limit)
    return error_response(HttpError{http_errc::headers_too_large, "headers too large"});
  return error_response(make_error(errc::invalid_request, "The request is not valid HTTP/1.1"));
}

// Serializes as the server writes, and parses it back: our responses must be valid HTTP whatever the request was.
void check_response(HttpResponse&& response, unsigned version, bool keep_alive, bool head) {
  const int status = response.status;
  fuzz::require(status >= 200 && status < 600 && status != 500, "every request gets a status, never 500");
  auto written = to_beast_response(std::move(response), version, keep_alive, head);
  std::ostringstream wire;
  wire << written;
  const std::string text = wire.str();
  http::response_parser<http::string_body> reader;
  reader.skip(head || status == 304);
  reader.eager(true);
  beast::error_code ec;
  reader.put(asio::buffer(text), ec);
  fuzz::require(!ec && reader.is_done(), "the response parses back as one complete HTTP message");
  fuzz::require(reader.get().result_int() == static_cast<unsigned>(status), "the response keeps its status");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Service service;
  static asio::io_context io;
  if (size == 0) return 0;
  // The first byte picks who is on the other end of the socket: a trusted proxy or a client on the Internet.
  static const char* const kPeers[] = {"127.0.0.1", "10.1.2.3", "203.0.113.9", "2001:db8::7"};
  const std::string peer = kPeers[data[0] % 4];
  const bool peer_trusted = data[0] % 4 < 2;
  std::string_view wire = fuzz::as_text(data + 1, size - 1);

  // Keep-alive: up to four pipelined requests from one connection's bytes.
  for (int index = 0; index < 4 && !wire.empty(); ++index) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(service.limits.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(service.limits.header_limit));
    parser.eager(true);
    beast::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done()) {
      const std::size_t step = parser.put(asio::buffer(wire.data() + used, wire.size() - used), ec);
      used += step;
      if (ec || step == 0) break;
    }
    fuzz::require(used <= wire.size(), "the parser consumes only the bytes it was given");
    if (ec == http::error::need_more || (!ec && !parser.is_done())) return 0;  // the server waits, then times out
    if (ec) {
      check_response(refusal_for(ec), 11, false, false);
      return 0;
    }
    wire.remove_prefix(used);

    auto request = parser.release();
    std::string client = service.client_addresses.resolve(peer, request["X-Forwarded-For"]);
    fuzz::require(peer_trusted || client == peer, "an untrusted peer cannot choose its address");
    fuzz::require(!client.empty(), "every request has a client address");
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    const bool head = request.method() == http::verb::head;
    HttpRequest app_request = to_app_request(std::move(request), std::move(client));

    HttpResponse response;
    bool answered = false;
    asio::co_spawn(io, service.router.dispatch(std::move(app_request)),
                   [&](std::exception_ptr failure, HttpResponse out) {
                     fuzz::require(!failure, "the router never throws");
                     response = std::move(out);
                     answered = true;
                   });
    io.restart();
    io.run();
    fuzz::require(answered, "the router answers without any I/O");
    check_response(std::move(response), version, keep_alive, head);
    if (!keep_alive) return 0;
  }
  return 0;
}
