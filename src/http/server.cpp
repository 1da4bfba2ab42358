// Beast session loop. Expected network outcomes (client closed, timeout, bad request) are values via
// redirect_error; only bugs throw, and the co_spawn handler logs them.
#include "http/server.hpp"

#include <sys/resource.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/range/iterator_range.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <sstream>

#include "core/ip_network.hpp"
#include "http/beast_message.hpp"
#include "http/error_response.hpp"
#include "http/request_checks.hpp"
#include "http/request_id.hpp"

namespace sms_auth {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// The socket peer a connection is counted under: an IPv6 client gets a /64 (one host's usual share), as the limits do.
std::string peer_key(const tcp::socket& socket) {
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return {};
  auto address = IpAddress::parse(peer.address().to_string());
  if (!address) return peer.address().to_string();
  if (address->is_v4) return address->to_string();
  std::fill(address->bytes.begin() + 8, address->bytes.end(), std::uint8_t{0});
  return address->to_string() + "/64";
}

}  // namespace

struct HttpServer::Connection {
  explicit Connection(tcp::socket socket) : peer(peer_key(socket)), stream(std::move(socket)) {}
  std::string peer;  // peer_key
  beast::tcp_stream stream;
  std::atomic<bool> handling{false};  // a request is being answered: stop() must not cut it
};

namespace {

using std::chrono::milliseconds;
constexpr milliseconds kAcceptBackoff{100};
constexpr std::chrono::seconds kWarningInterval{10};

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
// closing with unread data makes the kernel send RST, and the client may never see our answer. One deadline for the
// whole drain: a client trickling a byte at a time must not keep the connection.
awaitable<void> linger_and_drain(std::shared_ptr<HttpServer::Connection> connection, milliseconds drain_time) {
  beast::tcp_stream& stream = connection->stream;
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  char sink[4096];
  std::size_t drained = 0;
  const auto deadline = std::chrono::steady_clock::now() + drain_time;
  while (drained < 1024 * 1024 && std::chrono::steady_clock::now() < deadline) {
    stream.expires_at(deadline);
    drained += co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
}

// Reads until `buffer` holds a whole header block, or more than `limit` bytes (the parser then answers 431), so that
// the raw lines can be checked before the parser folds them.
awaitable<beast::error_code> read_header_block(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                               std::size_t limit) {
  beast::error_code ec;
  while (true) {
    const std::string_view received(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (header_block_end(received) || received.size() > limit) co_return ec;
    const std::size_t got =
        co_await stream.async_read_some(buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
    buffer.commit(got);
    if (ec) co_return ec;
  }
}

// The answer to a connection over a cap, as bytes: written without waiting, so a refusal never holds a descriptor.
std::string too_many_connections_answer() {
  Error error = make_error(errc::unavailable, "The server has too many connections open; try again shortly");
  error.retry_after_seconds = 1;
  auto response = to_beast_response(error_response(error), 11, false, false);
  std::ostringstream out;
  out << response;
  return out.str();
}

// Answers 503 and closes, all without blocking: what the client already sent is read first (so that closing does not
// reset the connection before it reads the answer), the short answer fits the socket's send buffer.
void refuse_at_once(tcp::socket& socket, const std::string& answer) {
  beast::error_code ec;
  socket.non_blocking(true, ec);
  char sink[4096];
  for (int reads = 0; reads < 4 && !ec; ++reads) socket.read_some(asio::buffer(sink), ec);
  ec = {};
  socket.write_some(asio::buffer(answer), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

bool out_of_resources(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory;
}

}  // namespace

std::size_t descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  // Unlimited is the largest rlim_t: no process gets near a million descriptors anyway.
  return static_cast<std::size_t>(std::min<rlim_t>(limit.rlim_cur, rlim_t{1} << 20));
}

std::size_t connections_for_descriptor_limit(std::size_t descriptors) {
  const std::size_t reserve = std::clamp<std::size_t>(descriptors / 4, 16, 256);
  return descriptors > reserve + 8 ? descriptors - reserve : 8;
}

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
  const std::string refusal = too_many_connections_answer();
  asio::steady_timer backoff(acceptor_strand_);
  while (!stopping_.load()) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_.load() || ec == asio::error::operation_aborted) break;
      if (!out_of_resources(ec)) {
        warn_throttled("http.accept failed", ec.message());
        continue;
      }
      // The connection waits in the listen queue; accepting again at once would fail the same way, in a busy loop.
      warn_throttled("http.accept failed",
                     ec.message() + ": accepting pauses " + std::to_string(kAcceptBackoff.count()) +
                         " ms at a time; raise the file-descriptor limit (ulimit -n, LimitNOFILE) or lower "
                         "MAX_CONNECTIONS");
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto connection = std::make_shared<Connection>(std::move(socket));
    if (!admit(connection)) {
      refuse_at_once(connection->stream.socket(), refusal);
      warn_throttled("http.refused",
                     "a connection over MAX_CONNECTIONS=" + std::to_string(options_.max_connections) +
                         " or MAX_CONNECTIONS_PER_CLIENT=" + std::to_string(options_.max_connections_per_client) +
                         " got 503 (last from " + connection->peer + ")");
      continue;
    }
    auto executor = connection->stream.get_executor();
    asio::co_spawn(executor, run_session(std::move(connection)),
                   LogFailure{"http.session"});
  }
}

bool HttpServer::admit(const std::shared_ptr<Connection>& connection) {
  const bool peer_capped = options_.max_connections_per_client > 0 && !connection->peer.empty() &&
                           !client_addresses_.is_trusted_proxy(connection->peer);
  std::lock_guard lock(connections_mutex_);
  if (connections_.size() >= options_.max_connections) return false;
  const auto open = connections_per_peer_.find(connection->peer);
  if (peer_capped && open != connections_per_peer_.end() && open->second >= options_.max_connections_per_client) {
    return false;
  }
  connections_.emplace(connection.get(), connection);
  ++connections_per_peer_[connection->peer];
  return true;
}

void HttpServer::warn_throttled(const char* event, const std::string& detail) {
  Throttle& throttle = warnings_[event];
  const auto now = std::chrono::steady_clock::now();
  if (throttle.last != std::chrono::steady_clock::time_point{} && now - throttle.last < kWarningInterval) {
    ++throttle.suppressed;
    return;
  }
  if (throttle.suppressed > 0) {
    spdlog::warn("{}: {} (and {} more times in the last {}s)", event, detail, throttle.suppressed,
                 std::chrono::duration_cast<std::chrono::seconds>(now - throttle.last).count());
  } else {
    spdlog::warn("{}: {}", event, detail);
  }
  throttle.last = now;
  throttle.suppressed = 0;
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

    auto reading_block = read_header_block(stream, buffer, options_.header_limit);  // named (core/async.hpp)
    ec = co_await std::move(reading_block);
    if (ec) break;  // closed, reset, timed out or cancelled by stop() before a whole header: nothing to answer
    {
      const std::string_view received(static_cast<const char*>(buffer.data().data()), buffer.size());
      const auto end = header_block_end(received);
      if (end && has_obs_fold(received.substr(0, *end))) {
        HttpResponse folded = error_response(
            make_error(errc::invalid_request, "A header line is folded (obs-fold); send each field on one line"));
        co_await write_refusal(connection, std::move(folded), options_.write_timeout);  // named (core/async.hpp)
        co_await linger_and_drain(connection, options_.drain_time);
        break;
      }
    }
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      const auto& header = parser.get();
      std::vector<std::string_view> codings;
      for (const auto& field : boost::make_iterator_range(header.equal_range(http::field::transfer_encoding))) {
        codings.push_back(field.value());
      }
      const auto hosts = header.count(http::field::host);
      if (auto problem = header_problem(header.version(), join_field_lines(codings), !codings.empty(), hosts)) {
        HttpResponse refused = error_response(make_error(errc::invalid_request, *problem));
        co_await write_refusal(connection, std::move(refused), options_.write_timeout);  // named (core/async.hpp)
        co_await linger_and_drain(connection, options_.drain_time);
        break;
      }
    }
    if (!ec && parser.get()[http::field::expect] == "100-continue") {
      http::response<http::empty_body> proceed{http::status::continue_, 11};
      co_await http::async_write(stream, proceed, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec && !parser.is_done()) {
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec == http::error::body_limit) {
      HttpResponse too_large =
          error_response(HttpError{http_errc::payload_too_large, "The request body is larger than 16 KiB"});
      co_await write_refusal(connection, std::move(too_large), options_.write_timeout);  // named (core/async.hpp)
      co_await linger_and_drain(connection, options_.drain_time);
      break;
    }
    if (ec == http::error::header_limit) {
      HttpResponse too_large =
          error_response(HttpError{http_errc::headers_too_large, "The request headers are larger than 8 KiB"});
      co_await write_refusal(connection, std::move(too_large), options_.write_timeout);  // named (core/async.hpp)
      co_await linger_and_drain(connection, options_.drain_time);
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
    std::vector<std::string_view> forwarded_for;
    for (const auto& field : boost::make_iterator_range(request.equal_range("X-Forwarded-For"))) {
      forwarded_for.push_back(field.value());
    }
    std::string client_address = client_addresses_.resolve(peer_address, join_field_lines(forwarded_for));
    std::string request_id =
        request_id_for(request["X-Request-Id"], !peer_address.empty() && client_addresses_.is_trusted_proxy(peer_address));
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    const bool head = request.method() == http::verb::head;
    HttpRequest app_request = to_app_request(std::move(request), std::move(client_address));  // named (core/async.hpp)
    app_request.request_id = std::move(request_id);
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
  if (const auto open = connections_per_peer_.find(connection->peer); open != connections_per_peer_.end()) {
    if (--open->second == 0) connections_per_peer_.erase(open);
  }
}

}  // namespace sms_auth
