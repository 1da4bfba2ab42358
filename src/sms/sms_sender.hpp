// The SMS sender interface: the domain hands over a recipient and a text, and gets a gateway message id or a reason.
#pragma once

#include <string>
#include <string_view>

#include "core/async.hpp"
#include "core/result.hpp"

namespace sms_auth {

struct OutgoingSms {
  std::string recipient_e164;  // "+77472367503"
  std::string text;
};

struct SentSms {
  std::string message_id;            // the gateway's id; returned to the client as `sms_id`
  bool held_for_moderation = false;  // Mobizon status 1: delivered after a moderator's check (1-10 minutes)
};

// Fails with errc::sms_rejected (this message or number was refused: do not retry as is) or errc::sms_unavailable
// (the gateway cannot be used now; retry_after_seconds says when to try again). Never throws for gateway answers.
class SmsSender {
 public:
  virtual ~SmsSender() = default;
  virtual awaitable<result<SentSms>> send(OutgoingSms sms) = 0;
};

}  // namespace sms_auth
