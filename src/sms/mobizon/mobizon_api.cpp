// Mobizon calls: the retry loop, the transport/answer classification, and the typed methods.
#include "sms/mobizon/mobizon_api.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

#include "core/crypto.hpp"
#include "core/log.hpp"

namespace sms_auth::mobizon {
namespace {

namespace asio = boost::asio;

// The `data` of a call's answer, parsed by `parse`; an answer whose `data` is unusable becomes a `bad_answer` failure,
// which is reported and never retried (Mobizon said it succeeded: for a send, the message may well have gone out).
template <class T>
result<T, Failure> parsed_data(result<Envelope, Failure> answer,
                               result<T, std::string> (*parse)(const nlohmann::json&), const std::string& method) {
  if (!answer) return std::move(answer.error());
  auto data = parse(answer->data);
  if (!data) {
    Failure failure;
    failure.reason = "bad_answer";
    failure.explanation = "Mobizon's answer to " + method + " is unusable: " + data.error();
    failure.outcome = SendOutcome::possibly_sent;
    return failure;
  }
  return std::move(*data);
}
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{250};
constexpr milliseconds kMaxBackoff{4000};
// Not worth starting another attempt with less time than this left before the deadline.
constexpr milliseconds kLeastAttemptTime{200};

constexpr std::int64_t kRetryAfterTransient = 30;
constexpr std::int64_t kRetryAfterRateLimit = 60;
constexpr std::int64_t kRetryAfterOperator = 300;

// Exponential backoff with "equal jitter": half fixed, half random, so that callers spread out but still wait.
milliseconds backoff_for(int attempt) {
  const auto grown = std::min(kMaxBackoff.count(), kFirstBackoff.count() << std::min(attempt - 1, 10));
  const auto half = grown / 2;
  return milliseconds{half + static_cast<std::int64_t>(random_below(static_cast<std::uint32_t>(half) + 1))};
}

// Mobizon's own words may quote the number back (code 1: "wrong number 7747…"): logs and CLI output keep it masked.
std::string without_number(std::string text, const std::string& digits) {
  if (digits.size() < 5) return text;
  const std::string masked = mask_phone("+" + digits);
  for (auto at = text.find(digits); at != std::string::npos; at = text.find(digits, at + masked.size())) {
    text.replace(at, digits.size(), masked);
  }
  return text;
}

struct Classified {
  Failure failure;
  bool retryable = false;
  std::string metric_label;  // when not failure.reason
};

Classified classify_transport(const HttpsError& error, const Settings& settings) {
  Classified out;
  out.failure.kind = FailureKind::unavailable;
  out.failure.retry_after_seconds = kRetryAfterTransient;
  // Once the request was written, Mobizon may have acted on it: the call ends here, whatever broke.
  out.failure.outcome = error.request_sent ? SendOutcome::possibly_sent : SendOutcome::unreached;
  switch (error.kind) {
    case HttpsFailure::timeout:
      out.failure.reason = "timeout";
      out.failure.explanation =
          "Mobizon did not answer within MOBIZON_TIMEOUT_MS=" + std::to_string(settings.timeout.count()) + " ms (" +
          error.detail + ")";
      out.retryable = !error.request_sent;
      break;
    case HttpsFailure::resolve:
    case HttpsFailure::connect:
    case HttpsFailure::network:
      out.failure.reason = error.kind == HttpsFailure::network ? "network" : "connect";
      out.failure.explanation =
          "cannot reach Mobizon: " + error.detail + ". Check this server's outbound HTTPS and DNS, and MOBIZON_API_URL";
      out.retryable = !error.request_sent;
      break;
    case HttpsFailure::tls_verify:
      out.failure.reason = "tls_verify";
      out.failure.explanation = error.detail +
                                ": sms-auth refuses to send the API key to a server it cannot verify. Check "
                                "MOBIZON_API_URL, the system clock, that no proxy intercepts TLS, and the system CA "
                                "store (or MOBIZON_CA_FILE for a private CA)";
      out.failure.operator_must_act = true;
      out.failure.retry_after_seconds = kRetryAfterOperator;
      break;
    case HttpsFailure::tls:
      out.failure.reason = "tls";
      out.failure.explanation = error.detail + " (sms-auth requires TLS 1.2 or later)";
      out.failure.operator_must_act = true;
      out.failure.retry_after_seconds = kRetryAfterOperator;
      break;
    case HttpsFailure::protocol:
      out.failure.reason = "bad_answer";
      out.failure.explanation = error.detail;
      break;
    case HttpsFailure::stopped:
      out.failure.reason = "stopped";
      out.failure.explanation = "the server is shutting down";
      break;
  }
  return out;
}

}  // namespace

Api::Api(boost::asio::io_context& io, Settings settings, MetricsRegistry& metrics)
    : settings_(std::move(settings)),
      requests_(metrics.counter("sms_auth_mobizon_requests_total",
                                "HTTPS requests to Mobizon by API method and outcome (ok, code_N, timeout, network, "
                                "connect, tls_verify, tls, http_N, bad_answer)",
                                {"method", "outcome"})),
      latency_(metrics.histogram("sms_auth_mobizon_request_duration_seconds",
                                 "Time of one HTTPS request to Mobizon (one attempt), by API method",
                                 {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}, {"method"})) {
  auto endpoint = parse_api_url(settings_.api_url);
  if (!endpoint) throw std::invalid_argument("MOBIZON_API_URL " + endpoint.error());
  endpoint_ = std::move(*endpoint);
  HttpsClientOptions options;
  options.host = endpoint_.host;
  options.port = endpoint_.port;
  options.host_is_ip = endpoint_.host_is_ip;
  options.host_header = endpoint_.host_header();
  options.ca_file = settings_.ca_file;
  options.user_agent = "sms-auth (Mobizon API v1 client)";
  http_ = std::make_unique<HttpsClient>(io, std::move(options));
}

awaitable<result<Envelope, Failure>> Api::call(std::string method, FormFields fields) {
  const auto deadline = SteadyClock::now() + settings_.timeout;
  const std::string target = request_target(endpoint_, method, settings_.api_key);
  const std::string body = form_encode(fields);
  std::string recipient;
  for (const auto& [name, value] : fields) {
    if (name == "recipient") recipient = value;
  }

  for (int attempt = 1;; ++attempt) {
    const auto started = SteadyClock::now();
    auto exchange = http_->post(target, body, deadline);  // named (core/async.hpp)
    auto answer = co_await std::move(exchange);
    latency_.labels({method}).observe(std::chrono::duration<double>(SteadyClock::now() - started).count());

    Classified outcome;
    if (!answer) {
      outcome = classify_transport(answer.error(), settings_);
    } else if (answer->status != 200) {
      // Mobizon answers 200 with the code in the body; anything else comes from a proxy or an outage in front of it.
      outcome.failure.reason = "http_" + std::to_string(answer->status);
      outcome.failure.explanation = "Mobizon answered HTTP " + std::to_string(answer->status) + " to " + method +
                                    " instead of 200 with a JSON envelope";
      // 503 says the request was not served (maintenance, overload), and a 4xx is a proxy refusing: neither sent
      // anything, so another gateway may. Any other 5xx (502/504 from a proxy whose upstream answer was lost, a 500
      // from a crash halfway) may come after Mobizon acted, so the SMS may be on its way.
      outcome.failure.outcome =
          answer->status >= 500 && answer->status != 503 ? SendOutcome::possibly_sent : SendOutcome::not_accepted;
    } else if (auto envelope = parse_envelope(answer->body); !envelope) {
      outcome.failure.outcome = SendOutcome::possibly_sent;
      outcome.failure.reason = "bad_answer";
      outcome.failure.explanation = "Mobizon's answer to " + method + " is unusable: " + envelope.error() +
                                    " (starts with \"" + log_safe(answer->body, 60) + "\")";
    } else {
      const CodeRule rule = rule_for_code(envelope->code);
      if (rule.action == CodeAction::success) {
        requests_.labels({method, "ok"}).inc();
        co_return std::move(*envelope);
      }
      outcome.failure.reason = "code_" + std::to_string(envelope->code);
      // Undocumented codes share one label: a misbehaving server cannot grow the metric without bound.
      if (!rule.documented) outcome.metric_label = "code_other";
      outcome.failure.explanation = explain_code(*envelope, method, endpoint_, settings_.sender);
      outcome.failure.operator_must_act = rule.operator_must_act;
      switch (rule.action) {
        case CodeAction::reject:
          outcome.failure.kind = FailureKind::rejected;
          outcome.failure.outcome = SendOutcome::refused;
          break;
        case CodeAction::retry:
          outcome.failure.retry_after_seconds = envelope->code == 30 ? kRetryAfterRateLimit : kRetryAfterTransient;
          outcome.retryable = true;
          break;
        case CodeAction::success:
        case CodeAction::unavailable:
          outcome.failure.retry_after_seconds = rule.operator_must_act ? kRetryAfterOperator : kRetryAfterRateLimit;
          break;
      }
      // "Partly done": for one message, it may have gone out.
      if (envelope->code == 98) outcome.failure.outcome = SendOutcome::possibly_sent;
    }
    requests_.labels({method, outcome.metric_label.empty() ? outcome.failure.reason : outcome.metric_label}).inc();
    outcome.failure.attempts = attempt;
    outcome.failure.explanation = without_number(std::move(outcome.failure.explanation), recipient);
    if (!outcome.retryable || attempt >= kMaxAttempts) co_return std::move(outcome.failure);

    const auto wait = backoff_for(attempt);
    if (SteadyClock::now() + wait + kLeastAttemptTime >= deadline) co_return std::move(outcome.failure);
    spdlog::warn("mobizon.retry method={} attempt={} reason={} wait_ms={}: {}", method, attempt, outcome.failure.reason,
                 wait.count(), outcome.failure.explanation);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(wait);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

awaitable<result<SendAnswer, Failure>> Api::send_sms(std::string recipient_digits, std::string text) {
  FormFields fields{{"recipient", std::move(recipient_digits)}, {"text", std::move(text)}};
  if (!settings_.sender.empty()) fields.emplace_back("from", settings_.sender);
  const std::string method = "message/sendsmsmessage";
  auto calling = call(method, std::move(fields));  // named (core/async.hpp)
  auto answer = co_await std::move(calling);
  co_return parsed_data(std::move(answer), &parse_send_data, method);
}

awaitable<result<GatewayBalance, Failure>> Api::get_balance() {
  const std::string method = "user/getownbalance";
  auto calling = call(method, FormFields{});  // named (core/async.hpp)
  auto answer = co_await std::move(calling);
  co_return parsed_data(std::move(answer), &parse_balance_data, method);
}

awaitable<result<std::vector<SmsDeliveryStatus>, Failure>> Api::get_sms_status(std::vector<std::string> message_ids) {
  if (message_ids.size() > kMaxStatusIds) throw std::invalid_argument("get_sms_status: more than 100 ids");
  FormFields fields;
  for (std::size_t i = 0; i < message_ids.size(); ++i) {
    fields.emplace_back("ids[" + std::to_string(i) + "]", std::move(message_ids[i]));
  }
  const std::string method = "message/getsmsstatus";
  auto calling = call(method, std::move(fields));  // named (core/async.hpp)
  auto answer = co_await std::move(calling);
  co_return parsed_data(std::move(answer), &parse_status_data, method);
}

}  // namespace sms_auth::mobizon
