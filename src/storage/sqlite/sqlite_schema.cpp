// SQLite DDL. Times are INTEGER milliseconds since the Unix epoch (UTC); secrets are stored only as hashes.
#include "storage/sqlite/sqlite_schema.hpp"

namespace sms_auth {

const std::vector<Migration>& sqlite_migrations() {
  static const std::vector<Migration> migrations = {
      {1, R"sql(
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  phone_number  TEXT NOT NULL UNIQUE,
  created_at    INTEGER NOT NULL,
  last_login_at INTEGER,
  blocked_at    INTEGER
);

-- One row per number: only the newest code of a number exists, so only it can be verified.
CREATE TABLE otp_codes (
  phone_number  TEXT PRIMARY KEY,
  challenge_id  TEXT NOT NULL,
  seed          BLOB NOT NULL,     -- the code is HMAC(server key, seed): the code itself is never stored
  code_hash     BLOB NOT NULL,     -- HMAC(server key, phone, code)
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  max_attempts  INTEGER NOT NULL,
  consumed_at   INTEGER
);

-- A session is one login: the family of refresh tokens it rotates through.
CREATE TABLE sessions (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users(id),
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,  -- absolute lifetime
  last_used_at   INTEGER NOT NULL,
  revoked_at     INTEGER,
  revoked_reason TEXT
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE refresh_tokens (
  token_hash  BLOB PRIMARY KEY,     -- SHA-256 of the opaque token
  session_id  TEXT NOT NULL REFERENCES sessions(id),
  issued_at   INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,     -- idle lifetime
  rotated_at  INTEGER,
  replaced_by BLOB
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);

-- Sliding-window limit events: one row per counted event.
CREATE TABLE rate_events (
  bucket      TEXT NOT NULL,
  at_ms       INTEGER NOT NULL,
  reservation TEXT
);
CREATE INDEX rate_events_by_bucket ON rate_events(bucket, at_ms);
CREATE INDEX rate_events_by_reservation ON rate_events(reservation) WHERE reservation IS NOT NULL;
)sql"},
      // Issue 4: every SMS the gateway accepted, with its delivery status (polled and from the webhook).
      {2, R"sql(
CREATE TABLE sms_messages (
  message_id          TEXT PRIMARY KEY,   -- the gateway's id (Mobizon messageId), our response's sms_id
  phone_number        TEXT NOT NULL,      -- E.164
  status              TEXT NOT NULL,      -- SENT until the gateway reports (NEW, ENQUEUD, ACCEPTD, DELIVRD…)
  final               INTEGER NOT NULL DEFAULT 0,
  held_for_moderation INTEGER NOT NULL DEFAULT 0,
  segments            INTEGER NOT NULL DEFAULT 0,
  sent_at             INTEGER NOT NULL,
  status_changed_at   INTEGER NOT NULL,
  gateway_updated_at  TEXT,               -- the gateway's timestamp text of the status (time zone undocumented)
  checked_at          INTEGER             -- last status poll
);
CREATE INDEX sms_messages_by_phone ON sms_messages(phone_number, sent_at);
CREATE INDEX sms_messages_to_check ON sms_messages(checked_at) WHERE final = 0;
CREATE INDEX sms_messages_by_sent_at ON sms_messages(sent_at);

-- Delivery-report webhook events already applied (Mobizon retries an event with the same id).
CREATE TABLE sms_webhook_events (
  event_id    TEXT PRIMARY KEY,
  received_at INTEGER NOT NULL
);
)sql"},
      {5, R"sql(
-- Per-minute totals of rate_events, so that a limit of thousands (the global caps) is checked by summing at most one
-- row per minute of its window instead of walking every event. Kept in step with rate_events by every write.
CREATE TABLE rate_totals (
  bucket TEXT NOT NULL,
  slot   INTEGER NOT NULL,  -- at_ms / 60000
  events INTEGER NOT NULL,
  PRIMARY KEY (bucket, slot)
) WITHOUT ROWID;
INSERT INTO rate_totals (bucket, slot, events) SELECT bucket, at_ms / 60000, COUNT(*) FROM rate_events GROUP BY 1, 2;
)sql"},
      // Issue 13 (numbered apart from parallel branches' migrations).
      {7, R"sql(
-- 1: the gateway took the request for this code's SMS and its answer was lost: the SMS may arrive, so the next send
-- sends this same code again instead of a new one that the arriving SMS would not match.
ALTER TABLE otp_codes ADD COLUMN delivery_uncertain INTEGER NOT NULL DEFAULT 0;
)sql"},
      // Issue 14 (numbered apart from parallel branches' migrations).
      {9, R"sql(
-- Which gateway sent the message (mobizon, http): only Mobizon's messages are polled for their status there.
ALTER TABLE sms_messages ADD COLUMN gateway TEXT NOT NULL DEFAULT 'mobizon';
)sql"},
      // Issue 15 (numbered apart from parallel branches' migrations).
      {11, R"sql(
-- Every SMS sent (or possibly sent) until its code is verified: the unverified-SMS budget counts the rows of the last
-- hour. A refunded send (surely not sent) deletes its row, a verification the rows of its code.
CREATE TABLE unverified_sms (
  reservation  TEXT PRIMARY KEY,   -- the send's reservation id (cancel_issue)
  phone_number TEXT NOT NULL,
  challenge_id TEXT NOT NULL,      -- the code the SMS carried (a resend may carry a kept code)
  sent_at_ms   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX unverified_sms_by_time ON unverified_sms(sent_at_ms);
CREATE INDEX unverified_sms_by_code ON unverified_sms(phone_number, challenge_id);
)sql"},
      // Issue 13, refresh grace replay (numbered apart from parallel branches' migrations).
      {12, R"sql(
-- Siblings a rotated token got within the reuse grace: one is allowed, a further replay ends the family.
ALTER TABLE refresh_tokens ADD COLUMN grace_siblings INTEGER NOT NULL DEFAULT 0;
)sql"},
  };
  return migrations;
}

}  // namespace sms_auth
