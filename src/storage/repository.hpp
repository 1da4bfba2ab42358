// The storage interface: every promise of the service (one code consumed once, limits held, sessions durable) is one
// atomic call here, so that SQLite (one node) and PostgreSQL (several nodes) can both keep it.
//
// Error policy: a call returns its expected outcomes as values; a broken database (I/O error, lost connection,
// schema missing) throws StorageUnavailable. Every call that returns has committed: a 200 may follow it.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/result.hpp"
#include "ratelimit/window_limit.hpp"
#include "storage/limit_statistics.hpp"
#include "storage/session_store.hpp"
#include "storage/sms_message_log.hpp"

namespace sms_auth {

// The database cannot be used now (down, locked for too long, corrupt): answered 503 `unavailable`.
class StorageUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct UserRecord {
  std::string id;
  std::string phone_number;
  TimePoint created_at;
  std::optional<TimePoint> last_login_at;
  bool blocked = false;
};

// ---- issuing a code (send-code, resend-code) ----

struct IssueCodeRequest {
  std::string phone_number;  // E.164
  TimePoint now;
  // resend-code: keep the number's live code (same code, same attempts) if it has at least this much life left.
  std::optional<std::chrono::milliseconds> reuse_if_remaining;
  // send-code and resend-code: keep a live code whose SMS may have gone out (see mark_delivery_uncertain) if it has
  // at least this much life left, so that the SMS that may arrive carries the code that works.
  std::optional<std::chrono::milliseconds> reuse_uncertain_if_remaining;
  // The new code, used when no live code is kept.
  Bytes new_seed;
  Bytes new_code_hash;
  TimePoint new_expires_at;
  int max_attempts = 5;
  std::vector<WindowLimit> limits;  // all checked; those with `count` are counted, tagged with reservation_id
  std::string reservation_id;       // a random id for this send, so that a failed send can be refunded
  // Buckets that only count this send (never checked here), under the same reservation: what monitors read, e.g.
  // the SMS sent per country for the conversion watch.
  std::vector<std::string> tallies;
};

struct IssuedCode {
  std::string challenge_id;
  Bytes seed;  // of the code to send (the kept one on reuse)
  TimePoint expires_at;
  bool reused = false;
  bool delivery_uncertain = false;  // the kept code's earlier SMS may or may not have gone out
};

// ---- verifying a code (verify-code) ----

// A number's code row as an engine loads it for a verification (auth/verify_rules.hpp decides on it).
struct StoredCode {
  std::string challenge_id;
  Bytes code_hash;
  TimePoint expires_at;
  int attempts = 0;  // tries so far; after the attempt is counted, this one included
  int max_attempts = 0;
  bool consumed = false;  // a verification used it
};

// The session a successful verification opens, prepared by the caller (ids and token hash are random).
struct NewSession {
  std::string session_id;   // the refresh-token family (`sid`)
  std::string new_user_id;  // used if the number has no user yet
  Bytes refresh_token_hash;  // SHA-256 of the opaque refresh token
  TimePoint refresh_expires_at;  // idle expiry of this token
  TimePoint session_expires_at;  // absolute expiry of the family
};

struct VerifyCodeRequest {
  std::string phone_number;
  TimePoint now;
  std::vector<WindowLimit> attempt_limits;  // e.g. per client address: checked and counted on every attempt
  // Wrong codes of this number from this client (failure_tag): checked, counted on a wrong code, cleared on its
  // success. The lock a stranger's guesses put on the number is this one: it holds the guesser, not the owner.
  std::optional<WindowLimit> client_failure_limit;
  // Wrong codes of this number from every client: counted on a wrong code, the client's own cleared on its success.
  // It refuses only clients that have failed for the number (client_failure_limit's bucket is not empty): an address
  // that never failed still gets its try, so strangers can never lock the owner out (NIST SP 800-63B §5.2.2). Without
  // client_failure_limit it refuses every client.
  std::optional<WindowLimit> failure_limit;
  // Wrong codes are counted with this tag (the client's address), and a success clears only the failures with the
  // same tag: "after a success, disregard earlier failures from the same IP" (NIST SP 800-63B §5.2.2), so that a
  // victim's login does not hand a guesser elsewhere a fresh budget. Empty: a success clears every failure.
  std::string failure_tag;
  // Buckets counted once when the code is verified (e.g. verifications per number range, for the conversion watch).
  std::vector<std::string> success_tallies;
  // OtpCodec::hash of the submitted code; compared in constant time with the stored hash, inside the transaction and
  // after the attempt was counted.
  Bytes submitted_code_hash;
  NewSession session;
};

enum class VerifyStatus {
  verified,      // code consumed, user created or updated, session and refresh token stored
  wrong_code,    // counted; attempts_left says how many remain
  no_code,       // no live code for this number (never sent, used, or replaced)
  expired,       // the live code's lifetime passed
  code_locked,   // the code used up its attempts; it is dead
  limited,       // a limit of attempt_limits or a failure lock refused; nothing was checked
  user_blocked,  // the code was right but the account is blocked; the code is consumed
};

struct VerifyCodeResult {
  VerifyStatus status = VerifyStatus::no_code;
  int attempts_left = 0;
  std::chrono::milliseconds retry_after{0};  // limited, code_locked
  std::string limit_name;                    // limited
  UserRecord user;                           // verified
  bool user_created = false;                 // verified
};

// The repository: one database connection's view. Each call is one atomic transaction and blocks the calling
// thread, so it is used from one thread at a time: `serve` awaits it through StorageEngine (storage_engine.hpp), which
// gives every connection a thread of its own; the CLI calls it directly. An engine loads state, asks the domain's
// pure decision functions (auth/verify_rules.hpp, auth/rotation_rules.hpp, ratelimit/limit_verdict.hpp) and applies
// their answer in the same transaction, so every engine keeps the same rules.
// Topic interfaces are inherited so that one object keeps them all: SessionStore (sessions after login: rotation,
// revocation, blocking), LimitStatistics (read-only limit counts for monitoring), SmsMessageLog (sent SMS and their
// delivery status).
class Repository : public SessionStore, public LimitStatistics, public SmsMessageLog {
 public:
  virtual ~Repository() = default;

  // Creates or upgrades the schema. Idempotent.
  virtual void migrate() = 0;
  // The applied schema version, and the version this build expects.
  virtual int schema_version() = 0;
  virtual int expected_schema_version() const = 0;
  // Throws StorageUnavailable unless the database answers.
  virtual void ping() = 0;

  // Checks and counts `limits`; then keeps the live code (when asked and possible) or replaces the number's code
  // with the new one. Only the newest code of a number can ever be verified.
  virtual result<IssuedCode, LimitExceeded> issue_code(const IssueCodeRequest& request) = 0;

  // Undoes issue_code after the SMS surely was not sent: refunds the events counted under `reservation_id`, except
  // those in `keep_buckets`, and, if asked (the code was new), removes the code (no live code is left behind).
  virtual void cancel_issue(const std::string& phone_number, const std::string& challenge_id,
                            const std::string& reservation_id, bool remove_code,
                            const std::vector<std::string>& keep_buckets) = 0;

  // Marks the number's code `challenge_id` as one whose SMS may or may not have gone out (the gateway took the request
  // and its answer was lost), or clears the mark once an SMS with it surely went out. A marked code is kept by the
  // next issue_code (reuse_uncertain_if_remaining). Nothing happens if the code was replaced meanwhile.
  virtual void mark_delivery_uncertain(const std::string& phone_number, const std::string& challenge_id,
                                       bool uncertain) = 0;

  // Counts the attempt, then checks the code and, if right, consumes it, upserts the user and opens the session:
  // all in one transaction.
  virtual VerifyCodeResult verify_code(const VerifyCodeRequest& request) = 0;

  virtual std::optional<UserRecord> find_user_by_id(const std::string& user_id) = 0;
  virtual std::optional<UserRecord> find_user_by_phone(const std::string& phone_number) = 0;

  // Deletes what no window or lifetime needs any more (old limit events, dead codes). Returns rows removed.
  virtual std::size_t prune(TimePoint now, std::chrono::seconds longest_window) = 0;
};

}  // namespace sms_auth
