// The HTTP/1.1 server on Boost.Beast + Asio coroutines: accept, read with limits and a deadline, dispatch, write.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/async.hpp"
#include "http/client_address.hpp"
#include "http/router.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

namespace sms_auth {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  // The whole request (headers and body), and the idle wait between keep-alive requests, must fit in this: a client
  // dribbling bytes (slowloris) is cut off when it ends.
  std::chrono::seconds read_timeout{15};
  std::chrono::seconds write_timeout{15};
  std::size_t body_limit = 16 * 1024;   // over it: 413
  std::size_t header_limit = 8 * 1024;  // over it: 431
  // Connections open at once, and from one socket peer (TRUSTED_PROXIES exempt; 0: no per-peer cap). One over either
  // is answered 503 at once and closed, never kept.
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_client = 256;
  // After a refused request, what the client still sends is read and dropped for this long at most, in all.
  std::chrono::milliseconds drain_time{2000};
};

// The default MAX_CONNECTIONS: what the process's file-descriptor limit leaves after a reserve for the database, the
// gateway's connections, logs and the refusals themselves.
std::size_t connections_for_descriptor_limit(std::size_t descriptors);
// The soft RLIMIT_NOFILE of this process.
std::size_t descriptor_limit();

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, ServerOptions options, const Router& router,
             const ClientAddressResolver& client_addresses);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens now (throws std::system_error naming the address if it cannot), then accepts in the background.
  void start();
  // The bound port (useful with port 0).
  std::uint16_t port() const { return bound_port_; }
  // Graceful stop, from any thread: stop accepting, close idle connections, let requests in flight finish and be
  // answered (with Connection: close). The io_context runs out of work when the last one is done.
  void stop();

  struct Connection;

 private:
  awaitable<void> accept_loop();
  awaitable<void> run_session(std::shared_ptr<Connection> connection);
  // Takes a connection in if the caps allow; false: it must be refused.
  bool admit(const std::shared_ptr<Connection>& connection);
  // One warning per interval for a repeating accept-side event, with how often it happened meanwhile.
  void warn_throttled(const char* event, const std::string& detail);

  boost::asio::io_context& io_;
  ServerOptions options_;
  const Router& router_;
  const ClientAddressResolver& client_addresses_;
  boost::asio::strand<boost::asio::io_context::executor_type> acceptor_strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t bound_port_ = 0;
  std::atomic<bool> stopping_{false};

  std::mutex connections_mutex_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
  std::unordered_map<std::string, std::size_t> connections_per_peer_;

  // Accept-side warnings (only touched on the acceptor's strand).
  struct Throttle {
    std::chrono::steady_clock::time_point last{};
    std::size_t suppressed = 0;
  };
  std::unordered_map<std::string, Throttle> warnings_;
};

}  // namespace sms_auth
