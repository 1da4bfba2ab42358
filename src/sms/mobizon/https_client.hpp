// A small HTTPS/1.1 client for one API host on the server's io_context: verified TLS, deadlines, kept-alive
// connections reused across calls. Beast and OpenSSL stay inside https_client.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"

namespace boost::asio {
class io_context;
}

namespace sms_auth {

struct HttpsClientOptions {
  std::string host;  // DNS name (SNI and certificate name check) or IP literal (certificate IP check)
  std::string port = "443";
  bool host_is_ip = false;
  std::string host_header;  // what the Host header says
  std::string ca_file;      // extra trusted CAs (PEM), on top of the system store; empty: system store only
  std::string user_agent = "sms-auth";
  std::size_t max_idle_connections = 4;
  std::chrono::seconds max_idle_time{30};  // servers close idle connections; we stop trusting ours before that
  std::size_t response_body_limit = 1024 * 1024;
  std::string content_type = "application/x-www-form-urlencoded";  // of every request body
};

// Extra request headers of one call (name, value), e.g. a signature that changes with each request.
using HttpsHeaders = std::vector<std::pair<std::string, std::string>>;

enum class HttpsFailure {
  resolve,     // the host name does not resolve
  connect,     // no TCP connection
  tls_verify,  // the server's certificate chain or name did not verify: nothing was sent
  tls,         // another TLS handshake failure (protocol version, cipher…): nothing was sent
  timeout,     // the deadline passed
  network,     // the connection broke (reset, closed before an answer)
  protocol,    // the answer is not HTTP/1.1 we can read, or too large
  stopped,     // the client was destroyed during the call (shutdown)
};

struct HttpsError {
  HttpsFailure kind = HttpsFailure::network;
  std::string detail;         // for logs: names the host, never the request target (which carries the API key)
  // The whole request was written: the server may have acted on it even though no answer came back. False when the
  // failure came first (resolving, connecting, TLS, or a write that did not complete).
  bool request_sent = false;
};

struct HttpsResponse {
  int status = 0;
  std::string body;
};

// Thread-safe. Each connection lives on its own strand; a connection is used by one call at a time, taken from and
// returned to a small idle pool under a mutex that is never held across an await.
class HttpsClient {
 public:
  // Throws std::runtime_error when the TLS context cannot be built (e.g. ca_file is not a PEM bundle).
  HttpsClient(boost::asio::io_context& io, HttpsClientOptions options);
  // Closes idle connections. Calls still in flight keep what they need alive, end by their deadline, and a second
  // attempt of theirs fails with `stopped`.
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // POSTs `body` (application/x-www-form-urlencoded) to `target` and reads the answer, all before `deadline`.
  // Certificate chain and host name are always verified (TLS 1.2+); there is no way to turn that off. A kept-alive
  // connection is reused only while the server has not closed it (checked just before); one that turns out closed
  // while the request is being written is replaced by a fresh one once. A request that was written is never sent
  // again here: a POST may have been acted on.
  awaitable<result<HttpsResponse, HttpsError>> post(std::string target, std::string body,
                                                    std::chrono::steady_clock::time_point deadline);
  // The same, with extra headers (body of options.content_type).
  awaitable<result<HttpsResponse, HttpsError>> post(std::string target, std::string body,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    HttpsHeaders headers);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sms_auth
