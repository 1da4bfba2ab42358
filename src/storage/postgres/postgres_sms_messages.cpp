// PostgresRepository's SmsMessageLog: sent messages and their delivery status. Status rows are locked while a status
// is applied; several instances polling at once claim disjoint messages (SKIP LOCKED).
#include "storage/postgres/pg_support.hpp"
#include "storage/postgres/postgres_repository.hpp"

namespace sms_auth {
namespace {

constexpr PgStatement kRecordSent{
    "record_sent",
    "INSERT INTO sms_messages (message_id, phone_number, status, final, held_for_moderation, sent_at, "
    "status_changed_at, gateway) VALUES ($1, $2, $3, false, $4, $5, $5, $6) ON CONFLICT (message_id) DO NOTHING"};
constexpr PgStatement kPickToCheck{
    "pick_to_check",
    "SELECT message_id FROM sms_messages WHERE NOT final AND sent_at > $1 AND gateway = $3 "
    "ORDER BY checked_at NULLS FIRST, sent_at LIMIT $2 FOR UPDATE SKIP LOCKED"};
constexpr PgStatement kMarkChecked{"mark_checked",
                                   "UPDATE sms_messages SET checked_at = $1 WHERE message_id = ANY($2::text[])"};
constexpr PgStatement kLockStatus{"lock_status",
                                  "SELECT status, final, segments FROM sms_messages WHERE message_id = $1 FOR UPDATE"};
constexpr PgStatement kChangeStatus{
    "change_status",
    "UPDATE sms_messages SET status = $2, final = $3, segments = CASE WHEN $4::integer > 0 THEN $4::integer ELSE "
    "segments END, gateway_updated_at = COALESCE($5, gateway_updated_at), status_changed_at = $6 "
    "WHERE message_id = $1"};
constexpr PgStatement kRememberEvent{
    "remember_event",
    "INSERT INTO sms_webhook_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING"};
constexpr PgStatement kRecentSms{
    "recent_sms",
    "SELECT message_id, phone_number, status, final, held_for_moderation, segments, sent_at, status_changed_at, "
    "gateway_updated_at, gateway FROM sms_messages WHERE phone_number = $1 ORDER BY sent_at DESC, seq DESC "
    "LIMIT $2"};
constexpr PgStatement kPruneMessages{"prune_messages", "DELETE FROM sms_messages WHERE sent_at < $1"};
constexpr PgStatement kPruneWebhookEvents{"prune_webhook_events",
                                          "DELETE FROM sms_webhook_events WHERE received_at < $1"};

SmsStatusApplied apply_status(PgConnection& c, const SmsDeliveryStatus& update, TimePoint now) {
  const auto current = c.exec(kLockStatus, {update.message_id});
  if (current.empty()) return SmsStatusApplied::unknown_message;
  const std::string status = current.text(0, 0);
  const bool final = current.boolean(0, 1);
  const auto segments = static_cast<int>(current.integer(0, 2));
  // A final status is the end of the story: a late or replayed report never turns DELIVRD back into something else.
  if (final) return SmsStatusApplied::unchanged;
  if (status == update.status && (update.segments == 0 || update.segments == segments)) {
    return SmsStatusApplied::unchanged;
  }
  c.exec_deferred(kChangeStatus,
                  {update.message_id, update.status, update.final, update.segments,
                   update.gateway_updated_at.empty() ? PgParam() : PgParam(update.gateway_updated_at), ms(now)});
  if (status == update.status) return SmsStatusApplied::unchanged;  // only the segment count was new
  return update.final ? SmsStatusApplied::became_final : SmsStatusApplied::changed;
}

}  // namespace

void PostgresRepository::record_sent_sms(const SmsMessageRecord& record) {
  in_transaction([&](PgConnection& c) {
    c.exec_deferred(kRecordSent, {record.message_id, record.phone_number, record.status, record.held_for_moderation,
                                  ms(record.sent_at), record.gateway});
  });
}

std::vector<std::string> PostgresRepository::claim_sms_to_check(TimePoint now, TimePoint sent_after,
                                                                std::size_t limit, const std::string& gateway) {
  return in_transaction([&](PgConnection& c) {
    std::vector<std::string> ids;
    const auto rows = c.exec(kPickToCheck, {ms(sent_after), static_cast<std::int64_t>(limit), gateway});
    for (int row = 0; row < rows.size(); ++row) ids.push_back(rows.text(row, 0));
    if (!ids.empty()) c.exec_deferred(kMarkChecked, {ms(now), text_array(ids)});
    return ids;
  });
}

std::vector<SmsStatusApplied> PostgresRepository::apply_sms_statuses(const std::vector<SmsDeliveryStatus>& updates,
                                                                     TimePoint now) {
  return in_transaction([&](PgConnection& c) {
    std::vector<SmsStatusApplied> results;
    results.reserve(updates.size());
    for (const auto& update : updates) results.push_back(apply_status(c, update, now));
    return results;
  });
}

SmsStatusApplied PostgresRepository::apply_sms_report(const std::string& event_id, const SmsDeliveryStatus& update,
                                                      TimePoint now) {
  return in_transaction([&](PgConnection& c) {
    // Remembering the event first also serializes two deliveries of it: the second waits on the first's key.
    if (c.exec(kRememberEvent, {event_id, ms(now)}).affected() == 0) return SmsStatusApplied::duplicate_event;
    // Every event id is remembered, also one for a message we do not know: a replay of it must not count later.
    return apply_status(c, update, now);
  });
}

std::vector<SmsMessageRecord> PostgresRepository::recent_sms(const std::string& phone_number, std::size_t limit) {
  return in_transaction([&](PgConnection& c) {
    std::vector<SmsMessageRecord> out;
    const auto rows = c.exec(kRecentSms, {phone_number, static_cast<std::int64_t>(limit)});
    for (int row = 0; row < rows.size(); ++row) {
      SmsMessageRecord record;
      record.message_id = rows.text(row, 0);
      record.phone_number = rows.text(row, 1);
      record.status = rows.text(row, 2);
      record.final = rows.boolean(row, 3);
      record.held_for_moderation = rows.boolean(row, 4);
      record.segments = static_cast<int>(rows.integer(row, 5));
      record.sent_at = from_unix_ms(rows.integer(row, 6));
      record.status_changed_at = from_unix_ms(rows.integer(row, 7));
      if (!rows.is_null(row, 8)) record.gateway_updated_at = rows.text(row, 8);
      record.gateway = rows.text(row, 9);
      out.push_back(std::move(record));
    }
    return out;
  });
}

std::size_t PostgresRepository::prune_sms(TimePoint messages_before, TimePoint events_before) {
  return in_transaction([&](PgConnection& c) {
    auto removed = static_cast<std::size_t>(c.exec(kPruneMessages, {ms(messages_before)}).affected());
    removed += static_cast<std::size_t>(c.exec(kPruneWebhookEvents, {ms(events_before)}).affected());
    return removed;
  });
}

}  // namespace sms_auth
