// Storage of the SMS messages we sent and their delivery status (issue 4): what the status poller, the delivery
// webhook and the admin listing need. Each call is one atomic transaction, like every Repository call.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/sms_message.hpp"

namespace sms_auth {

// A message we sent, as stored: written when the gateway accepted it (record_sent_sms: id, number, first status,
// moderation, sent_at, gateway; the rest start empty), then moved on by the statuses it reports.
struct SmsMessageRecord {
  std::string message_id{};
  std::string phone_number{};
  std::string status{};
  bool final = false;
  bool held_for_moderation = false;
  int segments = 0;
  TimePoint sent_at{};
  TimePoint status_changed_at{};     // when we learnt the current status
  std::string gateway_updated_at{};  // the gateway's own timestamp text for it, if given
  std::string gateway{};             // which gateway sent it
};

enum class SmsStatusApplied {
  unknown_message,  // not a message we sent: ignored
  unchanged,        // same status again, or the message already has a final status (never replaced)
  changed,          // a new non-final status
  became_final,     // the message reached a final status now (count it once)
  duplicate_event,  // this webhook event id was applied before: ignored
  stale_event,      // (decided before storage) the event was created outside the replay window: ignored
};

class SmsMessageLog {
 public:
  virtual ~SmsMessageLog() = default;

  // Records a message the gateway accepted (status_changed_at is its sent_at). A repeated message id is ignored (the
  // first record stays).
  virtual void record_sent_sms(const SmsMessageRecord& record) = 0;

  // Up to `limit` ids of messages `gateway` sent, not final yet and sent after `sent_after`, those checked longest ago
  // first; marks them checked at `now`, so that successive rounds walk through all of them.
  virtual std::vector<std::string> claim_sms_to_check(TimePoint now, TimePoint sent_after, std::size_t limit,
                                                      const std::string& gateway) = 0;

  // Applies polled statuses, one result per status, in one transaction.
  virtual std::vector<SmsStatusApplied> apply_sms_statuses(const std::vector<SmsDeliveryStatus>& updates,
                                                           TimePoint now) = 0;

  // Applies one webhook report, at most once per event id (Mobizon retries an event with the same id).
  virtual SmsStatusApplied apply_sms_report(const std::string& event_id, const SmsDeliveryStatus& update,
                                            TimePoint now) = 0;

  // The newest `limit` messages to `phone_number`, newest first.
  virtual std::vector<SmsMessageRecord> recent_sms(const std::string& phone_number, std::size_t limit) = 0;

  // Deletes messages sent before `messages_before` and webhook event ids seen before `events_before`. Returns rows
  // removed.
  virtual std::size_t prune_sms(TimePoint messages_before, TimePoint events_before) = 0;
};

}  // namespace sms_auth
