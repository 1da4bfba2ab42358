// Beast + Asio + OpenSSL: resolve, connect, verified TLS handshake, one request/answer, connection pool.
#include "sms/mobizon/https_client.hpp"

#include <openssl/ssl.h>
#include <poll.h>
#include <openssl/x509v3.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

namespace sms_auth {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

struct Connection {
  Connection(asio::strand<asio::io_context::executor_type> executor, ssl::context& context)
      : stream(executor, context), resolver(executor), resolve_guard(executor) {}

  beast::ssl_stream<beast::tcp_stream> stream;
  tcp::resolver resolver;
  asio::steady_timer resolve_guard;  // the resolver has no expiry of its own
  beast::flat_buffer buffer;
  SteadyTime idle_since{};
  bool established = false;  // TCP connected and TLS handshake done
};

// The result of one exchange on one connection. Default-constructible because co_spawn needs that of its value.
struct ExchangeOutcome {
  std::optional<HttpsResponse> response;
  HttpsError error;
  bool keep_alive = false;
  bool stale = false;  // a reused connection broke while the request was written: the server had closed it
};

// An idle kept-alive connection must have nothing to read: readable means the server closed it (EOF, a TLS
// close_notify) or sent something unasked. Either way it is not safe to write a request on it.
bool is_quiet(Connection& connection) {
  pollfd probe{};
  probe.fd = beast::get_lowest_layer(connection.stream).socket().native_handle();
  probe.events = POLLIN;
  return ::poll(&probe, 1, 0) == 0;
}

bool is_closed_by_peer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

std::string openssl_reason(const beast::error_code& ec) {
  // ssl category messages are OpenSSL's reason strings ("wrong version number", …): short and safe to log.
  return ec.message();
}

}  // namespace

struct HttpsClient::Impl {
  Impl(asio::io_context& io_context, HttpsClientOptions client_options)
      : io(io_context), options(std::move(client_options)), tls(ssl::context::tls_client) {
    // TLS 1.2 or later, the peer always verified against the system store plus the optional extra CA file.
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    tls.set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    tls.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("cannot load the system's trusted CA certificates: " + ec.message());
    if (!options.ca_file.empty()) {
      tls.load_verify_file(options.ca_file, ec);
      if (ec) throw std::runtime_error("cannot load CA certificates from " + options.ca_file + ": " + ec.message());
    }
  }

  std::shared_ptr<Connection> take_idle() {
    std::lock_guard lock(mutex);
    const auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      auto connection = std::move(idle.back());
      idle.pop_back();
      if (now - connection->idle_since < options.max_idle_time && is_quiet(*connection)) return connection;
      // Too old (the server has probably closed it) or closed: dropping the last reference closes the socket.
    }
    return nullptr;
  }

  void give_back(std::shared_ptr<Connection> connection) {
    connection->idle_since = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex);
    if (stopped.load() || idle.size() >= options.max_idle_connections) return;
    idle.push_back(std::move(connection));
  }

  std::shared_ptr<Connection> new_connection() { return std::make_shared<Connection>(asio::make_strand(io), tls); }

  asio::io_context& io;
  HttpsClientOptions options;
  ssl::context tls;
  std::atomic<bool> stopped{false};
  mutable std::mutex mutex;
  std::vector<std::shared_ptr<Connection>> idle;
};

namespace {

HttpsError failure(HttpsFailure kind, std::string detail, bool request_sent = false) {
  return HttpsError{kind, std::move(detail), request_sent};
}

// Resolves, connects and completes a verified TLS handshake. Runs on the connection's strand.
awaitable<std::optional<HttpsError>> establish(std::shared_ptr<HttpsClient::Impl> impl,
                                               std::shared_ptr<Connection> connection, SteadyTime deadline) {
  const HttpsClientOptions& options = impl->options;
  const std::string where = options.host + ":" + options.port;
  beast::error_code ec;

  connection->resolve_guard.expires_at(deadline);
  connection->resolve_guard.async_wait([weak = std::weak_ptr<Connection>(connection)](const beast::error_code& wait) {
    if (wait) return;  // cancelled: resolving finished first
    if (auto alive = weak.lock()) alive->resolver.cancel();
  });
  const auto endpoints = co_await connection->resolver.async_resolve(options.host, options.port,
                                                                     asio::redirect_error(asio::use_awaitable, ec));
  connection->resolve_guard.cancel();
  if (ec) {
    if (std::chrono::steady_clock::now() >= deadline)
      co_return failure(HttpsFailure::timeout, "resolving " + where + " timed out");
    co_return failure(HttpsFailure::resolve, "cannot resolve " + options.host + ": " + ec.message());
  }

  auto& tcp_layer = beast::get_lowest_layer(connection->stream);
  tcp_layer.expires_at(deadline);
  co_await tcp_layer.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) co_return failure(HttpsFailure::timeout, "connecting to " + where + " timed out");
  if (ec) co_return failure(HttpsFailure::connect, "cannot connect to " + where + ": " + ec.message());
  // Calls are small and latency-bound: Nagle's algorithm must not hold a segment back waiting for a delayed ACK.
  tcp_layer.socket().set_option(tcp::no_delay(true), ec);

  SSL* ssl_handle = connection->stream.native_handle();
  SSL_set_hostflags(ssl_handle, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (options.host_is_ip) {
    // RFC 6066: no SNI for address literals; the certificate must then name the IP address itself.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), options.host.c_str()) != 1) {
      co_return failure(HttpsFailure::tls, "cannot set up the certificate IP check for " + options.host);
    }
  } else {
    // SSL_set_tlsext_host_name spelled out: the macro's (void*) cast trips -Wold-style-cast.
    if (SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(options.host.c_str())) != 1 ||
        SSL_set1_host(ssl_handle, options.host.c_str()) != 1) {
      co_return failure(HttpsFailure::tls, "cannot set up SNI and the certificate name check for " + options.host);
    }
  }
  co_await connection->stream.async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    const long verified = SSL_get_verify_result(ssl_handle);
    if (verified != X509_V_OK) {
      co_return failure(HttpsFailure::tls_verify, "the TLS certificate of " + where + " did not verify (" +
                                                      X509_verify_cert_error_string(verified) + ")");
    }
    if (ec == beast::error::timeout)
      co_return failure(HttpsFailure::timeout, "the TLS handshake with " + where + " timed out");
    if (ec.category() == asio::error::get_ssl_category()) {
      co_return failure(HttpsFailure::tls, "the TLS handshake with " + where + " failed: " + openssl_reason(ec));
    }
    co_return failure(HttpsFailure::network, "the TLS handshake with " + where + " broke off: " + ec.message());
  }
  connection->established = true;
  co_return std::nullopt;
}

// One request and its answer on `connection` (established first if new). Runs on the connection's strand.
awaitable<ExchangeOutcome> exchange(std::shared_ptr<HttpsClient::Impl> impl, std::shared_ptr<Connection> connection,
                                    std::string target, std::string body, SteadyTime deadline,
                                    HttpsHeaders headers) {
  const HttpsClientOptions& options = impl->options;
  const std::string where = options.host + ":" + options.port;
  ExchangeOutcome outcome;
  const bool reused = connection->established;
  if (!reused) {
    auto establishing = establish(impl, connection, deadline);  // named (core/async.hpp)
    auto refused = co_await std::move(establishing);
    if (refused) {
      outcome.error = std::move(*refused);
      co_return outcome;
    }
  }

  auto& tcp_layer = beast::get_lowest_layer(connection->stream);
  tcp_layer.expires_at(deadline);
  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, options.host_header);
  request.set(http::field::user_agent, options.user_agent);
  request.set(http::field::accept, "application/json");
  request.set(http::field::content_type, options.content_type);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.keep_alive(true);
  request.body() = std::move(body);
  request.prepare_payload();

  beast::error_code ec;
  co_await http::async_write(connection->stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    // The write did not complete, so the server cannot have read a whole request (its length is in the header).
    outcome.stale = reused && is_closed_by_peer(ec);
    outcome.error = ec == beast::error::timeout
                        ? failure(HttpsFailure::timeout, "sending to " + where + " timed out")
                        : failure(HttpsFailure::network, "sending to " + where + " failed: " + ec.message());
    co_return outcome;
  }

  http::response_parser<http::string_body> parser;
  parser.body_limit(options.response_body_limit);
  co_await http::async_read(connection->stream, connection->buffer, parser,
                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    // From here on the request was written: whatever broke, the server may have acted on it.
    if (ec == beast::error::timeout) {
      outcome.error = failure(HttpsFailure::timeout, where + " did not answer in time", true);
    } else if (ec == http::error::body_limit) {
      outcome.error = failure(HttpsFailure::protocol, "the answer of " + where + " is too large", true);
    } else if (ec.category() == beast::error_code(http::error::bad_version).category() && !is_closed_by_peer(ec)) {
      outcome.error =
          failure(HttpsFailure::protocol, "the answer of " + where + " is not valid HTTP: " + ec.message(), true);
    } else {
      outcome.error = failure(HttpsFailure::network,
                              "the connection to " + where + " broke before an answer: " + ec.message(), true);
    }
    co_return outcome;
  }
  auto& answer = parser.get();
  // Reuse only a connection in a known state: the server keeps it open and sent nothing beyond this answer.
  outcome.keep_alive = answer.keep_alive() && connection->buffer.size() == 0;
  outcome.response = HttpsResponse{static_cast<int>(answer.result_int()), std::move(answer.body())};
  co_return outcome;
}

}  // namespace

HttpsClient::HttpsClient(asio::io_context& io, HttpsClientOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

HttpsClient::~HttpsClient() {
  impl_->stopped.store(true);
  std::vector<std::shared_ptr<Connection>> closing;
  {
    std::lock_guard lock(impl_->mutex);
    closing.swap(impl_->idle);
  }
  // Idle connections have no operation pending; releasing them (outside the lock) closes their sockets.
}

awaitable<result<HttpsResponse, HttpsError>> HttpsClient::post(std::string target, std::string body,
                                                               SteadyTime deadline) {
  auto posting = post(std::move(target), std::move(body), deadline, HttpsHeaders{});  // named (core/async.hpp)
  co_return co_await std::move(posting);
}

awaitable<result<HttpsResponse, HttpsError>> HttpsClient::post(std::string target, std::string body,
                                                               SteadyTime deadline, HttpsHeaders headers) {
  std::shared_ptr<Impl> impl = impl_;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (impl->stopped.load()) co_return failure(HttpsFailure::stopped, "the client is stopping");
    std::shared_ptr<Connection> connection = attempt == 0 ? impl->take_idle() : nullptr;
    const bool reused = connection != nullptr;
    if (!connection) connection = impl->new_connection();
    // The exchange runs on the connection's strand, where its stream's timer also fires. Each step is named before
    // it is awaited (core/async.hpp).
    auto work = exchange(impl, connection, target, body, deadline, headers);
    auto on_connection_strand = asio::co_spawn(connection->stream.get_executor(), std::move(work), asio::use_awaitable);
    ExchangeOutcome outcome = co_await std::move(on_connection_strand);
    if (outcome.stale && reused) continue;  // the server had closed the idle connection: once more on a fresh one
    if (!outcome.response) co_return std::move(outcome.error);
    if (outcome.keep_alive) impl->give_back(std::move(connection));
    co_return std::move(*outcome.response);
  }
  co_return failure(HttpsFailure::network, "the connection to " + impl->options.host + " closed twice");
}

}  // namespace sms_auth
