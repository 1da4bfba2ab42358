// PostgreSQL DDL, the same tables and meaning as SQLite's: times are bigint milliseconds since the Unix epoch (UTC),
// secrets are stored only as hashes (bytea). Bucket names use the "C" collation so that a prefix is a byte range.
#include "storage/postgres/pg_schema.hpp"

namespace sms_auth {

const std::vector<Migration>& postgres_migrations() {
  static const std::vector<Migration> migrations = {
      {1, R"sql(
CREATE TABLE users (
  id            text PRIMARY KEY,
  phone_number  text NOT NULL UNIQUE,
  created_at    bigint NOT NULL,
  last_login_at bigint,
  blocked_at    bigint
);

-- One row per number: only the newest code of a number exists, so only it can be verified.
CREATE TABLE otp_codes (
  phone_number  text PRIMARY KEY,
  challenge_id  text NOT NULL,
  seed          bytea NOT NULL,    -- the code is HMAC(server key, seed): the code itself is never stored
  code_hash     bytea NOT NULL,    -- HMAC(server key, phone, code)
  created_at    bigint NOT NULL,
  expires_at    bigint NOT NULL,
  attempts      integer NOT NULL DEFAULT 0,
  max_attempts  integer NOT NULL,
  consumed_at   bigint
);

-- A session is one login: the family of refresh tokens it rotates through.
CREATE TABLE sessions (
  id             text PRIMARY KEY,
  user_id        text NOT NULL REFERENCES users(id),
  created_at     bigint NOT NULL,
  expires_at     bigint NOT NULL,  -- absolute lifetime
  last_used_at   bigint NOT NULL,
  revoked_at     bigint,
  revoked_reason text
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE refresh_tokens (
  token_hash  bytea PRIMARY KEY,    -- SHA-256 of the opaque token
  session_id  text NOT NULL REFERENCES sessions(id),
  issued_at   bigint NOT NULL,
  expires_at  bigint NOT NULL,      -- idle lifetime
  rotated_at  bigint,
  replaced_by bytea
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);

-- Sliding-window limit events: one row per counted event.
CREATE TABLE rate_events (
  bucket      text COLLATE "C" NOT NULL,
  at_ms       bigint NOT NULL,
  reservation text
);
CREATE INDEX rate_events_by_bucket ON rate_events(bucket, at_ms);
CREATE INDEX rate_events_by_reservation ON rate_events(reservation) WHERE reservation IS NOT NULL;
)sql"},
      {2, R"sql(
CREATE TABLE sms_messages (
  message_id          text PRIMARY KEY,   -- the gateway's id (Mobizon messageId), our response's sms_id
  phone_number        text NOT NULL,      -- E.164
  status              text NOT NULL,      -- SENT until the gateway reports (NEW, ENQUEUD, ACCEPTD, DELIVRD…)
  final               boolean NOT NULL DEFAULT false,
  held_for_moderation boolean NOT NULL DEFAULT false,
  segments            integer NOT NULL DEFAULT 0,
  sent_at             bigint NOT NULL,
  status_changed_at   bigint NOT NULL,
  gateway_updated_at  text,               -- the gateway's timestamp text of the status
  checked_at          bigint,             -- last status poll
  seq                 bigint GENERATED ALWAYS AS IDENTITY  -- insertion order (SQLite's rowid)
);
CREATE INDEX sms_messages_by_phone ON sms_messages(phone_number, sent_at);
CREATE INDEX sms_messages_to_check ON sms_messages(checked_at) WHERE NOT final;
CREATE INDEX sms_messages_by_sent_at ON sms_messages(sent_at);

-- Delivery-report webhook events already applied (Mobizon retries an event with the same id).
CREATE TABLE sms_webhook_events (
  event_id    text PRIMARY KEY,
  received_at bigint NOT NULL
);
)sql"},
      {5, R"sql(
-- Per-minute totals of rate_events, so that a limit of thousands (the global caps) is checked by summing at most one
-- row per minute of its window. Kept in step with rate_events by every write.
CREATE TABLE rate_totals (
  bucket text COLLATE "C" NOT NULL,
  slot   bigint NOT NULL,  -- at_ms / 60000
  events integer NOT NULL,
  PRIMARY KEY (bucket, slot)
);
INSERT INTO rate_totals (bucket, slot, events) SELECT bucket, at_ms / 60000, COUNT(*) FROM rate_events GROUP BY 1, 2;
)sql"},
      {7, R"sql(
-- The gateway took the request for this code's SMS and its answer was lost: the SMS may arrive, so the next send
-- sends this same code again instead of a new one that the arriving SMS would not match.
ALTER TABLE otp_codes ADD COLUMN delivery_uncertain boolean NOT NULL DEFAULT false;
)sql"},
      {9, R"sql(
-- Which gateway sent the message (mobizon, http): only the messages of the gateway that reports statuses are polled.
ALTER TABLE sms_messages ADD COLUMN gateway text NOT NULL DEFAULT 'mobizon';
)sql"},
      {11, R"sql(
-- Every SMS sent (or possibly sent) until its code is verified: the unverified-SMS budget counts the rows of the last
-- hour. A refunded send (surely not sent) deletes its row, a verification the rows of its code.
CREATE TABLE unverified_sms (
  reservation  text PRIMARY KEY,   -- the send's reservation id (cancel_issue)
  phone_number text NOT NULL,
  challenge_id text NOT NULL,      -- the code the SMS carried (a resend may carry a kept code)
  sent_at_ms   bigint NOT NULL
);
CREATE INDEX unverified_sms_by_time ON unverified_sms(sent_at_ms);
CREATE INDEX unverified_sms_by_code ON unverified_sms(phone_number, challenge_id);
)sql"},
      {12, R"sql(
-- Siblings a rotated token got within the reuse grace: one is allowed, a further replay ends the family.
ALTER TABLE refresh_tokens ADD COLUMN grace_siblings integer NOT NULL DEFAULT 0;
)sql"},
      {13, R"sql(
-- Per-minute totals in shards: each server connection adds to (and takes from) its own row of a bucket's minute
-- (shard = its backend's pid % 8), so
-- that transactions counting the same hot bucket at once (the global caps, the unverified-SMS budget, the country's
-- tallies) do not wait on one row's lock until each other's commit. A minute's total is the sum of its shards (a
-- shard may hold a negative part); prune folds the shards of past minutes back into shard 0.
ALTER TABLE rate_totals ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE rate_totals DROP CONSTRAINT rate_totals_pkey;
ALTER TABLE rate_totals ADD PRIMARY KEY (bucket, slot, shard);
)sql"},
  };
  return migrations;
}

}  // namespace sms_auth
