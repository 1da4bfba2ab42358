// The load test's ceiling: an HTTP/1.1 server that answers every request with the same small JSON 200 and does nothing.
// Same transport as sms-auth (Beast over one io_context on N threads), so the ratio to it is what our work costs.
// Usage: null_server PORT [THREADS]  (binds 127.0.0.1)
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

namespace {

asio::awaitable<void> serve_connection(tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response{http::status::ok, 11};
  response.set(http::field::content_type, "application/json");
  response.body() = R"({"success":true})";
  response.prepare_payload();
  boost::system::error_code error;
  for (;;) {
    http::request<http::string_body> request;
    co_await http::async_read(socket, buffer, request, asio::redirect_error(asio::use_awaitable, error));
    if (error) break;
    response.keep_alive(request.keep_alive());
    co_await http::async_write(socket, response, asio::redirect_error(asio::use_awaitable, error));
    if (error || !request.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, error);
}

asio::awaitable<void> accept_loop(tcp::acceptor acceptor) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    socket.set_option(tcp::no_delay(true));
    auto executor = socket.get_executor();
    asio::co_spawn(asio::make_strand(executor), serve_connection(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: null_server PORT [THREADS]\n";
    return 2;
  }
  const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
  asio::io_context io(threads);
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  asio::co_spawn(io, accept_loop(std::move(acceptor)), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& thread : pool) thread.join();
}
