// The relay contract: body, HMAC signature, and the answer table.
#include "sms/http/relay_protocol.hpp"

#include <nlohmann/json.hpp>

#include "core/crypto.hpp"

namespace sms_auth::relay {

std::string request_body(std::string_view recipient_digits, std::string_view text, std::string_view sender,
                         std::string_view id) {
  nlohmann::json body = {
      {"recipient", std::string(recipient_digits)},
      {"text", std::string(text)},
      {"sender", sender.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::string(sender))},
      {"id", std::string(id)},
  };
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string signature_header(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  const std::string t = std::to_string(unix_seconds);
  std::string signed_text = t;
  signed_text += '.';
  signed_text.append(body);
  return "t=" + t + ",v1=" + to_hex(hmac_sha256(to_bytes(secret), signed_text));
}

namespace {

std::string relay_error_text(std::string_view body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    const auto it = parsed.find("error");
    if (it != parsed.end() && it->is_string()) return it->get<std::string>().substr(0, 200);
  }
  return {};
}

}  // namespace

Answer classify_answer(int status, std::string_view body) {
  Answer answer;
  answer.reason = "http_" + std::to_string(status);
  if (status >= 200 && status < 300) {
    const auto parsed = nlohmann::json::parse(body, nullptr, false);
    const auto it = parsed.is_object() ? parsed.find("message_id") : parsed.end();
    if (parsed.is_object() && it != parsed.end()) {
      if (it->is_string() && !it->get<std::string>().empty() && it->get<std::string>().size() <= 128) {
        answer.message_id = it->get<std::string>();
      } else if (it->is_number_unsigned()) {
        answer.message_id = std::to_string(it->get<std::uint64_t>());
      }
    }
    if (answer.message_id.empty()) {
      answer.kind = AnswerKind::unreadable;  // it said yes without an id: the SMS may be on its way
      answer.reason = "bad_answer";
      return answer;
    }
    answer.kind = AnswerKind::sent;
    return answer;
  }
  answer.detail = relay_error_text(body);
  if (status == 401 || status == 403 || status == 408 || status == 429 || (status >= 500 && status < 600)) {
    answer.kind = AnswerKind::not_accepted;
  } else if (status >= 400 && status < 500) {
    answer.kind = AnswerKind::refused;
  } else {
    answer.kind = AnswerKind::unreadable;  // 1xx/3xx: not part of the contract
  }
  return answer;
}

}  // namespace sms_auth::relay
