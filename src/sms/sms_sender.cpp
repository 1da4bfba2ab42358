// Names of send outcomes, for logs and metric labels.
#include "sms/sms_sender.hpp"

namespace sms_auth {

std::string_view send_outcome_name(SendOutcome outcome) noexcept {
  switch (outcome) {
    case SendOutcome::refused:
      return "refused";
    case SendOutcome::not_accepted:
      return "not_accepted";
    case SendOutcome::unreached:
      return "unreached";
    case SendOutcome::possibly_sent:
      return "possibly_sent";
  }
  return "possibly_sent";
}

}  // namespace sms_auth
