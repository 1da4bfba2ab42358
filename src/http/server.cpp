// Beast session loop. Expected network outcomes (client closed, timeout, bad request) are values via
// redirect_error; only bugs throw, and the co_spawn handler logs them.
#include "http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "http/beast_message.hpp"
#include "http/error_response.hpp"

namespace sms_auth {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  std::atomic<bool> handling{false};  // a request is being answered: stop() must not cut it
};

namespace {

// Answers a request we will not serve, and closes: the connection's state is unknown after a bad request.
awaitable<void> write_refusal(std::shared_ptr<HttpServer::Connection> connection, HttpResponse refusal,
                              std::chrono::seconds timeout) {
  beast::tcp_stream& stream = connection->stream;
  auto response = to_beast_response(std::move(refusal), 11, false, false);
  stream.expires_after(timeout);
  beast::error_code ec;
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
}

// After refusing a request whose body we did not read, read (and drop) what the client still sends for a moment:
// closing with unread data makes the kernel send RST, and the client may never see our answer.
awaitable<void> linger_and_drain(std::shared_ptr<HttpServer::Connection> connection) {
  beast::tcp_stream& stream = connection->stream;
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  char sink[4096];
  std::size_t drained = 0;
  while (drained < 1024 * 1024) {
    stream.expires_after(std::chrono::seconds(2));
    drained += co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, ServerOptions options, const Router& router,
                       const ClientAddressResolver& client_addresses)
    : io_(io), options_(std::move(options)), router_(router), client_addresses_(client_addresses),
      acceptor_strand_(asio::make_strand(io)), acceptor_(acceptor_strand_) {}

HttpServer::~HttpServer() = default;

void HttpServer::start() {
  const tcp::endpoint endpoint{asio::ip::make_address(options_.host), options_.port};
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  beast::error_code ec;
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + options_.host + ":" + std::to_string(options_.port));
  acceptor_.listen(asio::socket_base::max_listen_connections);
  bound_port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(acceptor_strand_, accept_loop(), LogFailure{"http.accept"});
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  asio::post(acceptor_strand_, [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  std::lock_guard lock(connections_mutex_);
  for (auto& [raw, weak] : connections_) {
    if (auto connection = weak.lock()) {
      // On the connection's strand, so it never races the session; a request being answered is left to finish.
      asio::post(connection->stream.get_executor(), [connection] {
        if (!connection->handling.load()) connection->stream.cancel();
      });
    }
  }
}

awaitable<void> HttpServer::accept_loop() {
  while (!stopping_.load()) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_.load() || ec == asio::error::operation_aborted) break;
      spdlog::warn("http.accept failed: {}", ec.message());  // e.g. out of file descriptors: keep serving
      continue;
    }
    auto connection = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(connections_mutex_);
      connections_.emplace(connection.get(), connection);
    }
    auto executor = connection->stream.get_executor();
    asio::co_spawn(executor, run_session(std::move(connection)),
                   LogFailure{"http.session"});
  }
}

awaitable<void> HttpServer::run_session(std::shared_ptr<Connection> connection) {
  beast::tcp_stream& stream = connection->stream;
  beast::error_code ec;
  const auto peer = stream.socket().remote_endpoint(ec);
  const std::string peer_address = ec ? std::string{} : peer.address().to_string();
  beast::flat_buffer buffer;

  while (!stopping_.load()) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
    stream.expires_after(options_.read_timeout);

    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && parser.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> proceed{http::status::continue_, 11};
      co_await http::async_write(stream, proceed, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec && !parser.is_done()) {
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec == http::error::body_limit) {
      co_await write_refusal(connection, error_response(make_error(errc::payload_too_large, "The request body is larger "
                                                                                   "than 16 KiB")),
                             options_.write_timeout);
      co_await linger_and_drain(connection);
      break;
    }
    if (ec == http::error::header_limit) {
      co_await write_refusal(connection, error_response(make_error(errc::headers_too_large, "The request headers are "
                                                                                              "larger than 8 KiB")),
                             options_.write_timeout);
      break;
    }
    if (ec && ec.category() == beast::error_code(http::error::body_limit).category() && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      co_await write_refusal(connection, error_response(make_error(errc::invalid_request, "The request is not valid HTTP/1.1")),
                             options_.write_timeout);
      break;
    }
    if (ec) break;  // closed, reset, timed out or cancelled by stop(): nothing to answer

    connection->handling.store(true);
    auto request = parser.release();
    std::string client_address = client_addresses_.resolve(peer_address, request["X-Forwarded-For"]);
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    const bool head = request.method() == http::verb::head;
    HttpRequest app_request = to_app_request(std::move(request), std::move(client_address));  // named: GCC PR 100611
    HttpResponse app_response = co_await router_.dispatch(std::move(app_request));
    auto response = to_beast_response(std::move(app_response), version, keep_alive && !stopping_.load(), head);
    stream.expires_after(options_.write_timeout);
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    connection->handling.store(false);
    if (ec || !response.keep_alive()) break;
  }

  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
  std::lock_guard lock(connections_mutex_);
  connections_.erase(connection.get());
}

}  // namespace sms_auth
