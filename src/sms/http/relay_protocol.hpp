// The generic HTTPS gateway's contract (docs/sms-gateways.md): the signed JSON request, and what each answer means.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sms_auth::relay {

// The JSON body: {"recipient": "77472367503", "text": "…", "sender": "Memoir" or null, "id": "<our id>"}.
std::string request_body(std::string_view recipient_digits, std::string_view text, std::string_view sender,
                         std::string_view id);

// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>": the X-Sms-Auth-Signature header.
std::string signature_header(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

enum class AnswerKind {
  sent,          // 2xx with a message_id
  refused,       // 4xx other than 401/403/408/429: the relay refused this number or text; not sent
  not_accepted,  // 5xx, 401/403 (signature or secret), 408/429 (busy): the relay says it did not send it
  unreadable,    // 2xx without a usable message_id, or another status: it may have been sent
};

struct Answer {
  AnswerKind kind = AnswerKind::unreadable;
  std::string message_id;  // when sent
  std::string reason;      // for logs and metrics: http_503, http_400, bad_answer…
  std::string detail;      // the relay's own "error" text if it gave one (for the operator's log, bounded)
};

// Classifies an answer by status and body. Ids up to 128 characters, as a string or a non-negative integer.
Answer classify_answer(int status, std::string_view body);

}  // namespace sms_auth::relay
