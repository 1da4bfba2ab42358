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
};

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
};

}  // namespace sms_auth
