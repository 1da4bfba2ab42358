// Mobizon's API calls over HTTPS with the answer-code table applied: bounded retries with backoff and jitter within
// one deadline, and every failure turned into a sentence an operator can act on.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"
#include "metrics/metrics.hpp"
#include "sms/mobizon/https_client.hpp"
#include "sms/mobizon/mobizon_protocol.hpp"
#include "sms/sms_sender.hpp"

namespace sms_auth::mobizon {

struct Settings {
  std::string api_url = "https://api.mobizon.kz/service";
  std::string api_key;  // secret: only ever placed in the request target
  std::string ca_file;
  std::chrono::milliseconds timeout{10000};  // the whole call, retries included
  std::string sender;                        // `from`; empty: the account's default sender
};

enum class FailureKind {
  rejected,     // this request was refused as it is (code 1): retrying it unchanged will not help
  unavailable,  // Mobizon cannot be used now, or our configuration is wrong
};

struct Failure {
  FailureKind kind = FailureKind::unavailable;
  std::string reason;       // short label for logs and metrics: code_8, timeout, network, tls_verify, http_502…
  std::string explanation;  // operator-facing: cause and fix, one line; never the key
  std::int64_t retry_after_seconds = 30;
  bool operator_must_act = false;  // key, whitelist, site, account or certificate: an error, not a hiccup
  int attempts = 1;                // requests made, at most kMaxAttempts
  // Whether the (last) request may have been acted on. For a send, `possibly_sent` means the SMS may go out.
  SendOutcome outcome = SendOutcome::not_accepted;
};

// Requests per call, first one included. A request is repeated only when it surely was not acted on: it never left
// (no connection, TLS), or Mobizon answered that it did not act (code 10, 30, 999). Anything after the request was
// written without a usable answer is final: a send may have gone out, and sending again could bill it twice.
inline constexpr int kMaxAttempts = 3;

// Thread-safe; one per process, built by the composition root (or a CLI command) on its io_context.
class Api {
 public:
  // Throws std::invalid_argument for an unusable api_url, std::runtime_error when ca_file cannot be loaded.
  Api(boost::asio::io_context& io, Settings settings, MetricsRegistry& metrics);

  // message/sendsmsmessage: recipient (digits, no '+'), text and from in the form body, never in the URL.
  awaitable<result<SendAnswer, Failure>> send_sms(std::string recipient_digits, std::string text);
  // user/getownbalance.
  awaitable<result<GatewayBalance, Failure>> get_balance();
  // message/getsmsstatus for at most kMaxStatusIds ids (ids[0]=…&ids[1]=… in the body).
  awaitable<result<std::vector<SmsDeliveryStatus>, Failure>> get_sms_status(std::vector<std::string> message_ids);

  const ApiEndpoint& endpoint() const { return endpoint_; }
  const Settings& settings() const { return settings_; }

 private:
  // One API method with retries. Success means code 0 or 100; the envelope is returned for its data.
  awaitable<result<Envelope, Failure>> call(std::string method, FormFields fields);

  Settings settings_;
  ApiEndpoint endpoint_;
  std::unique_ptr<HttpsClient> http_;
  Family<Counter>& requests_;
  Family<Histogram>& latency_;
};

}  // namespace sms_auth::mobizon
