// The rules of verify-code as pure functions: a storage engine loads the state inside its transaction, asks these
// functions what to do, and applies the answer in the same transaction. Every engine follows the same three steps,
// so none of them carries its own copy of the state machine:
//
//   1. check the limits (verify_checked_limits, answered by verify_refusal) and load the number's code row;
//      decide_verify_attempt → answer now (limited: write nothing; no_code, expired, code_locked: count the attempt
//      limits and commit), or go on;
//   2. count the attempt on the code (attempts + 1) BEFORE comparing, so that a crash or a parallel request can never
//      get a free try; decide_comparison → wrong_code (count the failure, commit), or consume the code and go on;
//   3. load the number's user; decide_login → user_blocked (the code stays consumed) or verified (create the user if
//      new, log in, open the session, forgive this client's failures, count the success tallies).
#pragma once

#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "ratelimit/window_limit.hpp"
#include "storage/repository.hpp"

namespace sms_auth {

// What step 1 checks (wrong codes fill the failure locks in step 2; here they are only checked).
struct VerifyLimitChecks {
  std::vector<WindowLimit> in_order;           // the per-attempt limits, then this client's lock for the number
  std::optional<WindowLimit> number_lock;      // the number-wide lock, refusing only clients that failed before
  std::optional<WindowLimit> client_has_failed;  // refuses iff this client has a wrong code for the number
  // Every bucket above, for an engine that locks them before reading (PostgreSQL's advisory locks).
  std::vector<WindowLimit> all() const;
};
VerifyLimitChecks verify_checked_limits(const VerifyCodeRequest& request);

// What the engine read for those checks: the first refusal of `in_order`, the number lock's refusal, and whether
// `client_has_failed` refused (false when there was no such check: then the client counts as one that failed).
struct VerifyLimitReadings {
  std::optional<LimitExceeded> in_order;
  std::optional<LimitExceeded> number_lock;
  bool client_is_new = false;
};

// The refusal that answers the attempt, if any: the first of `in_order`, else the number lock unless this client
// never failed for the number. Guessing stays bounded without the number lock for new clients: every code dies after
// its max_attempts wrong tries, and codes cost the number's SMS budget.
std::optional<LimitExceeded> verify_refusal(const VerifyLimitReadings& readings);

// The failure limits a wrong code counts (this client's, the number's), tagged with request.failure_tag.
std::vector<WindowLimit> verify_failure_limits(const VerifyCodeRequest& request);

struct VerifyAttemptDecision {
  VerifyCodeResult answer;            // the result, unless `compare`
  bool compare = false;               // go on: count the attempt on the code, then decide_comparison
  bool count_attempt_limits = false;  // count request.attempt_limits (every try no limit refused) and commit
};

// Step 1. `refusal`: what verify_refusal answered; `code`: the number's code row, if any.
VerifyAttemptDecision decide_verify_attempt(const std::optional<LimitExceeded>& refusal,
                                            const std::optional<StoredCode>& code, TimePoint now);

struct CodeComparison {
  bool matched = false;        // consume the code and go on to decide_login
  VerifyCodeResult answer;     // wrong_code with attempts_left, when not matched
  bool count_failure = false;  // count verify_failure_limits(request), tagged with request.failure_tag
};

// Step 2. `counted`: the code row with this attempt counted. Constant-time comparison of the hashes.
CodeComparison decide_comparison(const StoredCode& counted, const Bytes& submitted_code_hash);

struct LoginDecision {
  VerifyStatus status = VerifyStatus::verified;  // verified or user_blocked
  bool create_user = false;                      // no user has this number yet: insert request.session.new_user_id
  bool open_session = false;                     // log in, store session and token, forgive, count success tallies
};

// Step 3, the code consumed. `user`: the number's user row, if any.
LoginDecision decide_login(const std::optional<UserRecord>& user);

}  // namespace sms_auth
