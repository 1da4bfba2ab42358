// Mobizon's HTTP API v1 as pure functions: the URL, the form body, the {code, data, message} envelope, the answer
// code table and what each code tells an operator. No I/O, so every rule here is unit-tested.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "sms/sms_gateway.hpp"

namespace sms_auth::mobizon {

// Where the API lives, from MOBIZON_API_URL (e.g. https://api.mobizon.kz/service).
struct ApiEndpoint {
  std::string host;  // lower case; a DNS name or an IP literal (IPv6 without brackets)
  std::string port = "443";
  std::string base_path;  // "/service"; no trailing slash
  bool host_is_ip = false;

  // The Host header: host, plus the port when it is not 443.
  std::string host_header() const;
};

// Accepts https://host[:port][/path] only: no user info, query or fragment (the key must never sit in this URL).
// Fails with a sentence naming what is wrong.
result<ApiEndpoint, std::string> parse_api_url(std::string_view url);

using FormFields = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded, spaces as '+' (Mobizon's docs), everything outside RFC 3986's unreserved set
// percent-encoded byte by byte (UTF-8 text stays intact).
std::string form_encode(const FormFields& fields);

// "<base>/<module>/<method>?output=json&api=v1&apiKey=<key>". Mobizon takes the key only in the query; callers must
// never log this string (and the logger redacts apiKey= anyway).
std::string request_target(const ApiEndpoint& endpoint, std::string_view module_method, std::string_view api_key);

// The envelope every Mobizon answer has. `code` may come as a number or a numeric string.
struct Envelope {
  int code = 0;
  nlohmann::json data;
  std::string message;
};

// Fails with a short description when the body is not JSON, not an object, or has no usable `code`. Nesting deeper
// than 32 levels is refused (the parser never recurses without bound on what a server sends).
result<Envelope, std::string> parse_envelope(std::string_view body);

// Mobizon sends ids and counters as JSON strings ("6300284") but sometimes as numbers: both become text.
std::optional<std::string> id_text(const nlohmann::json& value);

// What an answer code means for us.
enum class CodeAction {
  success,      // 0, and 100 (queued as a background task)
  reject,       // this request is refused as it is (1: a parameter, e.g. the number): do not retry
  unavailable,  // the account or our configuration is wrong (8, 9, 13, 14, …): retrying will not help
  retry,        // transient (10, 30, 999): retry with backoff within the deadline
};

struct CodeRule {
  int code = 0;
  CodeAction action = CodeAction::unavailable;
  std::string_view meaning;        // Mobizon's documented meaning, for logs
  bool operator_must_act = false;  // the log line is an error an operator must fix (key, whitelist, site, account)
  bool documented = true;          // false: a code the docs do not list
};

// The table (Mobizon's API documentation, result codes; README, What each Mobizon answer does). Undocumented codes are `unavailable`, never success.
CodeRule rule_for_code(int code);

// What a failed call means, in one operator-facing sentence that names the cause and the fix. `method` is e.g.
// "message/sendsmsmessage"; `sender` the configured SMS_SENDER (may be empty). Never contains the key.
std::string explain_code(const Envelope& answer, std::string_view method, const ApiEndpoint& endpoint,
                         std::string_view sender);

// Code 13 names the site the key belongs to in `data`, in a shape the docs leave open (a string, an object or a
// URL): the API host found there, if it looks like a host name.
std::optional<std::string> suggested_domain(const nlohmann::json& data);

// message/sendsmsmessage success data: {campaignId, messageId, status}; status 1 = held for moderation.
struct SendAnswer {
  std::string message_id;
  std::string campaign_id;
  int status = 0;
  bool held_for_moderation() const { return status == 1; }
};
result<SendAnswer, std::string> parse_send_data(const nlohmann::json& data);

// user/getownbalance success data: {balance: "4043.0656", currency: "KZT"}.
result<GatewayBalance, std::string> parse_balance_data(const nlohmann::json& data);

// message/getsmsstatus success data: [{id, status, segNum, startSendTs, statusUpdateTs}, …]. Items without an id or
// a status are skipped.
result<std::vector<SmsDeliveryStatus>, std::string> parse_status_data(const nlohmann::json& data);

// DELIVRD, UNDELIV, REJECTD, EXPIRED and DELETED are final; every other word (NEW, ENQUEUD, ACCEPTD, PDLIVRD, and
// anything undocumented) is not.
bool is_final_status(std::string_view status);

// At most this many ids per getSMSStatus call (Mobizon answers code 12 above it).
inline constexpr std::size_t kMaxStatusIds = 100;

}  // namespace sms_auth::mobizon
