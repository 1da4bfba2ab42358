// SqliteRepository's SmsMessageLog: sent messages and their delivery status, one BEGIN IMMEDIATE transaction a call.
#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/sqlite/sqlite_repository.hpp"
#include "storage/sqlite/sqlite_support.hpp"

namespace sms_auth {
namespace {

SmsStatusApplied apply_status(SqliteConnection& db, const SmsDeliveryStatus& update, TimePoint now) {
  Prepared current(db, "SELECT status, final, segments FROM sms_messages WHERE message_id = ?");
  current.bind(1, update.message_id);
  if (!current.executeStep()) return SmsStatusApplied::unknown_message;
  const std::string status = current.getColumn(0).getString();
  const bool final = current.getColumn(1).getInt() != 0;
  const int segments = current.getColumn(2).getInt();
  current.reset();
  // A final status is the end of the story: a late or replayed report never turns DELIVRD back into something else.
  if (final) return SmsStatusApplied::unchanged;
  if (status == update.status && (update.segments == 0 || update.segments == segments)) {
    return SmsStatusApplied::unchanged;
  }
  Prepared change(db,
                  "UPDATE sms_messages SET status = ?, final = ?, segments = CASE WHEN ? > 0 THEN ? ELSE "
                  "segments END, gateway_updated_at = COALESCE(?, gateway_updated_at), status_changed_at = ? "
                  "WHERE message_id = ?");
  change.bind(1, update.status);
  change.bind(2, update.final ? 1 : 0);
  change.bind(3, update.segments);
  change.bind(4, update.segments);
  if (update.gateway_updated_at.empty()) {
    change.bind(5);
  } else {
    change.bind(5, update.gateway_updated_at);
  }
  change.bind(6, to_unix_ms(now));
  change.bind(7, update.message_id);
  change.exec();
  if (status == update.status) return SmsStatusApplied::unchanged;  // only the segment count was new
  return update.final ? SmsStatusApplied::became_final : SmsStatusApplied::changed;
}

}  // namespace

void SqliteRepository::record_sent_sms(const SmsMessageRecord& record) {
  with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    Prepared insert(db,
                    "INSERT INTO sms_messages (message_id, phone_number, status, final, held_for_moderation, "
                    "sent_at, status_changed_at, gateway) VALUES (?, ?, ?, 0, ?, ?, ?, ?) ON CONFLICT "
                    "(message_id) DO NOTHING");
    insert.bind(1, record.message_id);
    insert.bind(2, record.phone_number);
    insert.bind(3, record.status);
    insert.bind(4, record.held_for_moderation ? 1 : 0);
    insert.bind(5, to_unix_ms(record.sent_at));
    insert.bind(6, to_unix_ms(record.sent_at));
    insert.bind(7, record.gateway);
    insert.exec();
    tx.commit();
  });
}

std::vector<std::string> SqliteRepository::claim_sms_to_check(TimePoint now, TimePoint sent_after, std::size_t limit,
                                                              const std::string& gateway) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    std::vector<std::string> ids;
    Prepared select(db,
                    "SELECT message_id FROM sms_messages WHERE final = 0 AND sent_at > ? AND gateway = ? "
                    "ORDER BY checked_at IS NOT NULL, checked_at, sent_at LIMIT ?");
    select.bind(1, to_unix_ms(sent_after));
    select.bind(2, gateway);
    select.bind(3, static_cast<std::int64_t>(limit));
    while (select.executeStep()) ids.push_back(select.getColumn(0).getString());
    Prepared mark(db, "UPDATE sms_messages SET checked_at = ? WHERE message_id = ?");
    for (const auto& id : ids) {
      mark.bind(1, to_unix_ms(now));
      mark.bind(2, id);
      mark.exec();
      mark.reset();
    }
    tx.commit();
    return ids;
  });
}

std::vector<SmsStatusApplied> SqliteRepository::apply_sms_statuses(const std::vector<SmsDeliveryStatus>& updates,
                                                                   TimePoint now) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    std::vector<SmsStatusApplied> results;
    results.reserve(updates.size());
    for (const auto& update : updates) results.push_back(apply_status(db, update, now));
    tx.commit();
    return results;
  });
}

SmsStatusApplied SqliteRepository::apply_sms_report(const std::string& event_id, const SmsDeliveryStatus& update,
                                                    TimePoint now) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    Prepared seen(db, "SELECT 1 FROM sms_webhook_events WHERE event_id = ?");
    seen.bind(1, event_id);
    if (seen.executeStep()) return SmsStatusApplied::duplicate_event;
    seen.reset();
    // Every event id is remembered, also one for a message we do not know: a replay of it must not count later.
    const SmsStatusApplied applied = apply_status(db, update, now);
    Prepared remember(db, "INSERT INTO sms_webhook_events (event_id, received_at) VALUES (?, ?)");
    remember.bind(1, event_id);
    remember.bind(2, to_unix_ms(now));
    remember.exec();
    tx.commit();
    return applied;
  });
}

std::vector<SmsMessageRecord> SqliteRepository::recent_sms(const std::string& phone_number, std::size_t limit) {
  return with_database([&](SqliteConnection& db) {
    std::vector<SmsMessageRecord> out;
    Prepared select(db,
                    "SELECT message_id, phone_number, status, final, held_for_moderation, segments, sent_at, "
                    "status_changed_at, gateway_updated_at, gateway FROM sms_messages WHERE phone_number = ? "
                    "ORDER BY sent_at DESC, rowid DESC LIMIT ?");
    select.bind(1, phone_number);
    select.bind(2, static_cast<std::int64_t>(limit));
    while (select.executeStep()) {
      SmsMessageRecord record;
      record.message_id = select.getColumn(0).getString();
      record.phone_number = select.getColumn(1).getString();
      record.status = select.getColumn(2).getString();
      record.final = select.getColumn(3).getInt() != 0;
      record.held_for_moderation = select.getColumn(4).getInt() != 0;
      record.segments = select.getColumn(5).getInt();
      record.sent_at = from_unix_ms(select.getColumn(6).getInt64());
      record.status_changed_at = from_unix_ms(select.getColumn(7).getInt64());
      if (!select.getColumn(8).isNull()) record.gateway_updated_at = select.getColumn(8).getString();
      record.gateway = select.getColumn(9).getString();
      out.push_back(std::move(record));
    }
    return out;
  });
}

std::size_t SqliteRepository::prune_sms(TimePoint messages_before, TimePoint events_before) {
  return with_database([&](SqliteConnection& db) {
    ImmediateTransaction tx(db);
    Prepared messages(db, "DELETE FROM sms_messages WHERE sent_at < ?");
    messages.bind(1, to_unix_ms(messages_before));
    auto removed = static_cast<std::size_t>(messages.exec());
    Prepared events(db, "DELETE FROM sms_webhook_events WHERE received_at < ?");
    events.bind(1, to_unix_ms(events_before));
    removed += static_cast<std::size_t>(events.exec());
    tx.commit();
    return removed;
  });
}

}  // namespace sms_auth
