// Mobizon request building, answer parsing and the answer-code table.
#include "sms/mobizon/mobizon_protocol.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "core/ip_network.hpp"
#include "core/log.hpp"
#include "core/text.hpp"

namespace sms_auth::mobizon {
namespace {

constexpr int kMaxAnswerDepth = 32;

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}

void append_encoded(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; });
}

std::optional<int> code_of(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    const auto code = value.get<long long>();
    if (code < -1000000 || code > 1000000) return std::nullopt;
    return static_cast<int>(code);
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    int code = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    if (ec == std::errc{} && end == text.data() + text.size()) return code;
  }
  return std::nullopt;
}

std::optional<int> int_of(const nlohmann::json& value) {
  if (value.is_number_integer()) return code_of(value);
  if (value.is_string()) return code_of(value);
  return std::nullopt;
}

// Text of a data member that may be a string or a number; "" when absent or of another type.
std::string text_member(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return {};
  const auto it = object.find(name);
  if (it == object.end()) return {};
  if (it->is_number_float()) return it->dump();
  return id_text(*it).value_or(std::string{});
}

// The field names Mobizon's code 1 puts in `data` (which fields are wrong), for the log line.
std::string invalid_fields(const nlohmann::json& data) {
  std::string out;
  auto add = [&out](std::string_view name, const nlohmann::json* why) {
    if (!out.empty()) out += ", ";
    out += log_safe(name, 40);
    if (why != nullptr && why->is_string()) out += " (" + log_safe(why->get_ref<const std::string&>(), 120) + ")";
  };
  if (data.is_object()) {
    for (const auto& [name, why] : data.items()) add(name, &why);
  } else if (data.is_array()) {
    for (const auto& item : data) {
      if (item.is_string()) add(item.get_ref<const std::string&>(), nullptr);
    }
  }
  return out;
}

}  // namespace

std::string ApiEndpoint::host_header() const {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == "443" ? name : name + ":" + port;
}

result<ApiEndpoint, std::string> parse_api_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::string("must start with https://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) return std::string("must not contain a query or fragment");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return std::string("must not contain user information");

  ApiEndpoint endpoint;
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::string("has an unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::string("has garbage after the [IPv6] host");
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  endpoint.host = to_lower_ascii(std::string(host));
  endpoint.host_is_ip = IpAddress::parse(endpoint.host).has_value();
  if (!endpoint.host_is_ip && !is_host_name(endpoint.host)) return std::string("has no valid host name");
  if (!port.empty()) {
    int number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc{} || end != port.data() + port.size() || number < 1 || number > 65535) {
      return std::string("has an invalid port");
    }
    endpoint.port = std::to_string(number);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  for (const char c : path) {
    if (!is_unreserved(static_cast<unsigned char>(c)) && c != '/') return std::string("has an unusual path");
  }
  endpoint.base_path = std::string(path);
  return endpoint;
}

std::string form_encode(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    append_encoded(out, name);
    out += '=';
    append_encoded(out, value);
  }
  return out;
}

std::string request_target(const ApiEndpoint& endpoint, std::string_view module_method, std::string_view api_key) {
  std::string target = endpoint.base_path;
  target += '/';
  target += module_method;
  target += "?output=json&api=v1&apiKey=";
  append_encoded(target, api_key);
  return target;
}

result<Envelope, std::string> parse_envelope(std::string_view body) {
  const auto limit_depth = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxAnswerDepth) throw std::length_error("too deep");
    return true;
  };
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body.begin(), body.end(), limit_depth, true, false);
  } catch (const nlohmann::json::exception&) {
    return std::string("the answer is not JSON");
  } catch (const std::length_error&) {
    return std::string("the answer is nested too deeply");
  }
  if (!parsed.is_object()) return std::string("the answer is not a JSON object");
  const auto code = parsed.find("code");
  if (code == parsed.end()) return std::string("the answer has no code");
  const auto value = code_of(*code);
  if (!value) return std::string("the answer's code is not a whole number");
  Envelope envelope;
  envelope.code = *value;
  if (const auto data = parsed.find("data"); data != parsed.end()) envelope.data = std::move(*data);
  if (const auto message = parsed.find("message"); message != parsed.end() && message->is_string()) {
    envelope.message = message->get<std::string>();
  }
  return envelope;
}

std::optional<std::string> id_text(const nlohmann::json& value) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty()) return std::nullopt;
    return text;
  }
  if (value.is_number_unsigned()) return std::to_string(value.get<unsigned long long>());
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  return std::nullopt;
}

CodeRule rule_for_code(int code) {
  static constexpr std::array kRules = {
      CodeRule{0, CodeAction::success, "success", false},
      CodeRule{1, CodeAction::reject, "a parameter is invalid", false},
      CodeRule{2, CodeAction::unavailable, "record not found or no access", false},
      CodeRule{3, CodeAction::unavailable, "unknown application error", false},
      CodeRule{4, CodeAction::unavailable, "unknown module", false},
      CodeRule{5, CodeAction::unavailable, "unknown method", false},
      CodeRule{6, CodeAction::unavailable, "unsupported output format", false},
      CodeRule{8, CodeAction::unavailable, "authentication failed", true},
      CodeRule{9, CodeAction::unavailable, "no access to this method", true},
      CodeRule{10, CodeAction::retry, "could not save (concurrent access)", false},
      CodeRule{11, CodeAction::unavailable, "a required parameter is missing", false},
      CodeRule{12, CodeAction::unavailable, "a parameter exceeds its limits", false},
      CodeRule{13, CodeAction::unavailable, "wrong API server for this account", true},
      CodeRule{14, CodeAction::unavailable, "account blocked or deleted", true},
      CodeRule{15, CodeAction::unavailable, "operation failed", false},
      CodeRule{30, CodeAction::retry, "rate limit on this method", false},
      CodeRule{98, CodeAction::unavailable, "bulk operation partly done", false},
      CodeRule{99, CodeAction::unavailable, "bulk operation not done", false},
      CodeRule{100, CodeAction::success, "queued as a background task", false},
      CodeRule{999, CodeAction::retry, "general service error", false},
  };
  for (const auto& rule : kRules) {
    if (rule.code == code) return rule;
  }
  return CodeRule{code, CodeAction::unavailable, "an undocumented code", false, false};
}

std::optional<std::string> suggested_domain(const nlohmann::json& data) {
  auto host_in = [](std::string text) -> std::optional<std::string> {
    text = to_lower_ascii(std::move(text));
    if (const auto scheme = text.find("://"); scheme != std::string::npos) text = text.substr(scheme + 3);
    text = text.substr(0, text.find_first_of("/:?#"));
    if (text.find('.') == std::string::npos || !is_host_name(text)) return std::nullopt;
    return text;
  };
  if (data.is_string()) return host_in(data.get<std::string>());
  if (data.is_object() || data.is_array()) {
    // A field name such as "server" or "domain" is not documented: take the first string that is a host name.
    for (const auto& item : data) {
      if (item.is_string()) {
        if (auto host = host_in(item.get<std::string>())) return host;
      }
    }
  }
  return std::nullopt;
}

std::string explain_code(const Envelope& answer, std::string_view method, const ApiEndpoint& endpoint,
                         std::string_view sender) {
  const CodeRule rule = rule_for_code(answer.code);
  const std::string says =
      answer.message.empty() ? std::string{} : " Mobizon says: \"" + log_safe(answer.message, 160) + "\".";
  const std::string head = "Mobizon answered code " + std::to_string(answer.code) + " (" + std::string(rule.meaning) +
                           ") to " + std::string(method) + ": ";
  switch (answer.code) {
    case 1: {
      const std::string fields = invalid_fields(answer.data);
      return head + "the request was refused" + (fields.empty() ? std::string{} : " (fields: " + fields + ")") +
             ". The number may be one Mobizon cannot reach, the text may be refused" +
             (sender.empty() ? std::string{}
                             : ", or SMS_SENDER \"" + log_safe(sender, 11) +
                                   "\" is not a sender name registered in the Mobizon panel") +
             ". If every send fails like this, check the balance (sms-auth balance)." + says;
    }
    case 8:
      return head +
             "MOBIZON_API_KEY was refused (wrong, regenerated or disabled). Fix: copy the key again from the "
             "Mobizon panel (Settings > API) and make sure API access is enabled; if the key is right, check "
             "that this server's IP address is in the key's IP whitelist." +
             says;
    case 9:
      return head +
             "this server may not call the API. Most likely its public IP address is not in the key's IP "
             "whitelist: add it in the Mobizon panel's API settings (or check that API access is enabled)." +
             says;
    case 13: {
      const auto domain = suggested_domain(answer.data);
      if (domain) {
        return head + "this key belongs to another Mobizon site than " + endpoint.host +
               ". Fix: set MOBIZON_API_URL=https://" + *domain + "/service" + "." + says;
      }
      return head + "this key belongs to another Mobizon site than " + endpoint.host +
             ", and Mobizon did not say which. Fix: set MOBIZON_API_URL to the API of the site where the account was "
             "registered (https://api.mobizon.kz/service, .ua, .com.br, .gmbh…)." +
             says;
    }
    case 14:
      return head +
             "the Mobizon account is blocked or deleted; nothing can be sent until Mobizon support unblocks it." + says;
    case 30:
      return head +
             "too many calls to this method in a short time; sms-auth retried with backoff and gave up within "
             "MOBIZON_TIMEOUT_MS." +
             says;
    case 10:
    case 999:
      return head +
             "a temporary Mobizon failure; sms-auth retried with backoff and gave up within MOBIZON_TIMEOUT_MS." + says;
    default:
      return head + "sms-auth does not expect this answer to its calls; please report this line." + says;
  }
}

result<SendAnswer, std::string> parse_send_data(const nlohmann::json& data) {
  if (!data.is_object()) return std::string("the send answer's data is not an object");
  SendAnswer out;
  out.message_id = text_member(data, "messageId");
  if (out.message_id.empty()) return std::string("the send answer has no messageId");
  out.campaign_id = text_member(data, "campaignId");
  if (const auto status = data.find("status"); status != data.end()) out.status = int_of(*status).value_or(0);
  return out;
}

result<GatewayBalance, std::string> parse_balance_data(const nlohmann::json& data) {
  if (!data.is_object()) return std::string("the balance answer's data is not an object");
  GatewayBalance out;
  out.amount = text_member(data, "balance");
  out.currency = text_member(data, "currency");
  double value = 0;
  const auto [end, ec] = std::from_chars(out.amount.data(), out.amount.data() + out.amount.size(), value);
  if (out.amount.empty() || ec != std::errc{} || end != out.amount.data() + out.amount.size()) {
    return std::string("the balance answer has no numeric balance");
  }
  if (out.currency.size() > 8) return std::string("the balance answer has an odd currency");
  return out;
}

result<std::vector<SmsDeliveryStatus>, std::string> parse_status_data(const nlohmann::json& data) {
  std::vector<SmsDeliveryStatus> out;
  if (data.is_null()) return out;
  if (!data.is_array() && !data.is_object()) return std::string("the status answer's data is not a list");
  for (const auto& item : data) {
    if (!item.is_object()) continue;
    SmsDeliveryStatus status;
    status.message_id = text_member(item, "id");
    status.status = text_member(item, "status");
    if (status.message_id.empty() || status.status.empty() || status.status.size() > 32) continue;
    status.final = is_final_status(status.status);
    if (const auto segments = item.find("segNum"); segments != item.end()) {
      status.segments = std::max(0, int_of(*segments).value_or(0));
    }
    status.gateway_updated_at = text_member(item, "statusUpdateTs").substr(0, 32);
    out.push_back(std::move(status));
  }
  return out;
}

bool is_final_status(std::string_view status) {
  for (std::string_view final_status : {"DELIVRD", "UNDELIV", "REJECTD", "EXPIRED", "DELETED"}) {
    if (status == final_status) return true;
  }
  return false;
}

}  // namespace sms_auth::mobizon
