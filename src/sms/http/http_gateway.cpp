// The HTTPS relay client: sign, post, classify; failures as SendFailure with an operator's log line.
#include "sms/http/http_gateway.hpp"

#include <stdexcept>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "sms/http/relay_protocol.hpp"
#include "sms/mobizon/mobizon_protocol.hpp"

namespace sms_auth::relay {
namespace {

Error unavailable_error() {
  Error error = make_error(errc::sms_unavailable, "SMS sending is temporarily unavailable; try again later");
  error.retry_after_seconds = 30;
  return error;
}

Error rejected_error() {
  return make_error(errc::sms_rejected, "The SMS gateway refused this message; check the phone number");
}

// What a transport failure means for the SMS: before the request was written it surely was not sent.
SendOutcome transport_outcome(const HttpsError& error) {
  switch (error.kind) {
    case HttpsFailure::resolve:
    case HttpsFailure::connect:
    case HttpsFailure::tls_verify:
    case HttpsFailure::tls:
    case HttpsFailure::stopped:
      return SendOutcome::unreached;
    case HttpsFailure::timeout:
    case HttpsFailure::network:
    case HttpsFailure::protocol:
      return error.request_sent ? SendOutcome::possibly_sent : SendOutcome::unreached;
  }
  return SendOutcome::possibly_sent;
}

const char* transport_reason(HttpsFailure kind) {
  switch (kind) {
    case HttpsFailure::resolve: return "resolve";
    case HttpsFailure::connect: return "connect";
    case HttpsFailure::tls_verify: return "tls_verify";
    case HttpsFailure::tls: return "tls";
    case HttpsFailure::timeout: return "timeout";
    case HttpsFailure::network: return "network";
    case HttpsFailure::protocol: return "protocol";
    case HttpsFailure::stopped: return "stopped";
  }
  return "network";
}

}  // namespace

HttpGateway::HttpGateway(boost::asio::io_context& io, Settings settings, const TimeSource& clock)
    : settings_(std::move(settings)), clock_(clock) {
  // The same URL rules as Mobizon's (https only, host, port, path; no query or user information).
  auto endpoint = mobizon::parse_api_url(settings_.url);
  if (!endpoint) throw std::invalid_argument(endpoint.error());
  target_ = endpoint->base_path.empty() ? "/" : endpoint->base_path;
  where_ = endpoint->host + ":" + endpoint->port;
  HttpsClientOptions options;
  options.host = endpoint->host;
  options.port = endpoint->port;
  options.host_is_ip = endpoint->host_is_ip;
  options.host_header = endpoint->host_header();
  options.ca_file = settings_.ca_file;
  options.user_agent = "sms-auth (HTTPS SMS gateway client)";
  options.content_type = "application/json";
  options.response_body_limit = 64 * 1024;
  http_ = std::make_unique<HttpsClient>(io, std::move(options));
}

awaitable<result<SentSms, SendFailure>> HttpGateway::send(OutgoingSms sms) {
  const std::string digits = sms.recipient_e164.size() > 1 ? sms.recipient_e164.substr(1) : sms.recipient_e164;
  const std::string masked = mask_phone(sms.recipient_e164);
  const std::string id = random_uuid();
  std::string body = request_body(digits, sms.text, settings_.sender, id);
  HttpsHeaders headers{{"X-Sms-Auth-Signature", signature_header(settings_.secret, to_unix_seconds(clock_.now()), body)}};
  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  auto posting = http_->post(target_, std::move(body), deadline, std::move(headers));  // named (core/async.hpp)
  auto answered = co_await std::move(posting);

  if (!answered) {
    const HttpsError& error = answered.error();
    const SendOutcome outcome = transport_outcome(error);
    const bool must_act = error.kind == HttpsFailure::tls_verify || error.kind == HttpsFailure::resolve;
    log_event(must_act ? LogLevel::error : LogLevel::warn, sms.log, "relay.send",
              {{"result", "failed"},
               {"phone", masked},
               {"id", id},
               {"reason", transport_reason(error.kind)},
               {"outcome", send_outcome_name(outcome)}},
              error.detail + (must_act ? " (check SMS_HTTP_URL and, for a private CA, SMS_HTTP_CA_FILE)" : ""));
    co_return SendFailure{outcome, unavailable_error()};
  }

  const Answer answer = classify_answer(answered->status, answered->body);
  switch (answer.kind) {
    case AnswerKind::sent:
      log_event(LogLevel::info, sms.log, "relay.send",
                {{"result", "ok"}, {"phone", masked}, {"id", id}, {"sms_id", log_safe(answer.message_id)}});
      co_return SentSms{answer.message_id, false, ""};  // the failover list names the gateway
    case AnswerKind::refused:
      log_event(LogLevel::warn, sms.log, "relay.send",
                {{"result", "refused"}, {"phone", masked}, {"id", id}, {"reason", answer.reason}},
                "the relay refused this number or text (" + log_safe(answer.detail, 200) + ")");
      co_return SendFailure{SendOutcome::refused, rejected_error()};
    case AnswerKind::not_accepted: {
      const bool must_act = answered->status == 401 || answered->status == 403;
      log_event(
          must_act ? LogLevel::error : LogLevel::warn, sms.log, "relay.send",
          {{"result", "failed"}, {"phone", masked}, {"id", id}, {"reason", answer.reason}, {"outcome", "not_accepted"}},
          log_safe(answer.detail, 200) +
              (must_act ? " (the relay refused our signature: SMS_HTTP_SECRET must equal the relay's secret, "
                          "and both clocks must be right)"
                        : " (the relay did not send it)"));
      co_return SendFailure{SendOutcome::not_accepted, unavailable_error()};
    }
    case AnswerKind::unreadable:
      log_event(LogLevel::warn, sms.log, "relay.send",
                {{"result", "failed"},
                 {"phone", masked},
                 {"id", id},
                 {"reason", answer.reason},
                 {"outcome", "possibly_sent"}},
                "the relay's answer is not the contract's (2xx with a message_id, 4xx or 5xx); the SMS may have "
                "been sent");
      co_return SendFailure{SendOutcome::possibly_sent, unavailable_error()};
  }
  co_return SendFailure{SendOutcome::possibly_sent, unavailable_error()};
}

awaitable<result<GatewayBalance>> HttpGateway::balance() {
  co_return make_error(errc::sms_unavailable, "the HTTPS SMS gateway reports no balance");
}

awaitable<result<std::vector<SmsDeliveryStatus>>> HttpGateway::delivery_statuses(std::vector<std::string>) {
  co_return std::vector<SmsDeliveryStatus>{};
}

}  // namespace sms_auth::relay
