// The SMS vocabulary every layer shares: the message to send, what a gateway answered, and where it stands now. The
// senders and gateways (sms/), the delivery record (auth/) and storage use these same types, so nothing is copied
// field by field from one layer's struct into another's.
#pragma once

#include <string>

#include "core/log.hpp"

namespace sms_auth {

// A message to send.
struct OutgoingSms {
  std::string recipient_e164;  // "+77472367503"
  std::string text;
  LogContext log = {};  // the request that sends it, for the sender's log lines
};

// A message a gateway accepted.
struct SentSms {
  std::string message_id;            // the gateway's id; returned to the client as `sms_id`
  bool held_for_moderation = false;  // Mobizon status 1: delivered after a moderator's check (1-10 minutes)
  std::string gateway;               // which gateway sent it ("mobizon", "http"), set by the failover list
};

// Where one message stands, as the gateway last reported it (a status poll or a delivery report).
struct SmsDeliveryStatus {
  std::string message_id;
  std::string status;              // the gateway's word, e.g. DELIVRD; unknown words are kept as they come
  bool final = false;              // no later status can follow (delivered, undeliverable, rejected, expired…)
  int segments = 0;                // SMS parts billed; 0 when not reported
  std::string gateway_updated_at;  // the gateway's own timestamp text (its time zone is not documented)
};

}  // namespace sms_auth
