// Fuzzes the Mobizon answer parser: any body a gateway (or a man in the middle) sends is a value, never a crash.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "sms/mobizon/mobizon_protocol.hpp"

using namespace sms_auth;
using namespace sms_auth::mobizon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  const auto answer = parse_envelope(body);
  if (answer) {
    const CodeRule rule = rule_for_code(answer->code);
    fuzz::require(rule.code == answer->code, "the rule is for the code asked");
    fuzz::require(answer->code == 0 || answer->code == 100 || rule.action != CodeAction::success,
                  "only codes 0 and 100 are success");
    static const ApiEndpoint endpoint = *parse_api_url("https://api.mobizon.kz/service");
    const std::string explanation = explain_code(*answer, "message/sendsmsmessage", endpoint, "Sender");
    fuzz::require(!explanation.empty(), "every failure is explained");
    (void)suggested_domain(answer->data);
    (void)parse_send_data(answer->data);
    (void)parse_balance_data(answer->data);
    if (const auto statuses = parse_status_data(answer->data)) {
      for (const auto& status : *statuses) (void)is_final_status(status.status);
    }
    (void)id_text(answer->data);
  }
  // The same bytes as MOBIZON_API_URL: the endpoint parser sees operator input of any shape too.
  if (const auto endpoint = parse_api_url(body)) {
    fuzz::require(!endpoint->host.empty(), "an accepted API URL has a host");
    (void)request_target(*endpoint, "message/sendsmsmessage", "key");
  }
  return 0;
}
