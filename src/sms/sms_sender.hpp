// The SMS sender interface: the domain hands over a recipient and a text, and gets a gateway message id or a reason.
#pragma once

#include <string>
#include <string_view>

#include "core/async.hpp"
#include "core/log.hpp"
#include "core/result.hpp"
#include "core/sms_message.hpp"

namespace sms_auth {

// What a failed send means for the message. Only the last one leaves the recipient possibly holding the SMS (and the
// account possibly billed): the caller must not send it again automatically, nor through another gateway.
enum class SendOutcome {
  refused,        // the gateway answered and refused this message or number: not sent, and retrying as is will not help
  not_accepted,   // the gateway answered that it did not take the message (rate limit, service error, key, account)
  unreached,      // the request never fully left this server (no connection, TLS failure, shutting down): not sent
  possibly_sent,  // the request was written and no usable answer came back (timeout, broken connection, unreadable
                  // answer, an HTTP error page from a proxy in front of the gateway)
};

struct SendFailure {
  SendOutcome outcome = SendOutcome::possibly_sent;
  Error error;  // errc::sms_rejected for `refused`; errc::sms_unavailable with retry_after_seconds otherwise

  bool surely_not_sent() const { return outcome != SendOutcome::possibly_sent; }
  // The gateway saw a request for this number (it answered, or may have acted on it).
  bool reached_gateway() const { return outcome != SendOutcome::unreached; }
};

std::string_view send_outcome_name(SendOutcome outcome) noexcept;

// One send() makes at most a few requests to the gateway, repeating only requests that surely were not acted on.
// Never throws for gateway answers.
class SmsSender {
 public:
  virtual ~SmsSender() = default;
  virtual awaitable<result<SentSms, SendFailure>> send(OutgoingSms sms) = 0;
};

}  // namespace sms_auth
