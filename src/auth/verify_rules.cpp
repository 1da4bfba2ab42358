// verify-code's decisions: expiry, the per-code attempt budget, the comparison, blocked accounts.
#include "auth/verify_rules.hpp"

#include <algorithm>

namespace sms_auth {

std::vector<WindowLimit> verify_checked_limits(const VerifyCodeRequest& request) {
  std::vector<WindowLimit> checked = request.attempt_limits;
  if (request.failure_limit) {
    checked.push_back(*request.failure_limit);
    checked.back().count = false;  // only wrong codes fill it
  }
  return checked;
}

VerifyAttemptDecision decide_verify_attempt(const std::optional<LimitExceeded>& refusal,
                                            const std::optional<StoredCode>& code, TimePoint now) {
  VerifyAttemptDecision out;
  if (refusal) {
    // A refused attempt is not counted anywhere: the engine writes nothing.
    out.answer.status = VerifyStatus::limited;
    out.answer.limit_name = refusal->name;
    out.answer.retry_after = refusal->retry_after;
    return out;
  }
  out.count_attempt_limits = true;
  if (!code || code->consumed) {
    out.answer.status = VerifyStatus::no_code;
    return out;
  }
  if (now >= code->expires_at) {
    out.answer.status = VerifyStatus::expired;
    return out;
  }
  if (code->attempts >= code->max_attempts) {
    out.answer.status = VerifyStatus::code_locked;
    out.answer.retry_after = std::chrono::duration_cast<Milliseconds>(code->expires_at - now);
    return out;
  }
  out.compare = true;
  return out;
}

CodeComparison decide_comparison(const StoredCode& counted, const Bytes& submitted_code_hash) {
  CodeComparison out;
  out.matched = constant_time_equal(submitted_code_hash, counted.code_hash);
  if (!out.matched) {
    out.answer.status = VerifyStatus::wrong_code;
    out.answer.attempts_left = std::max(counted.max_attempts - counted.attempts, 0);
    out.count_failure = true;
  }
  return out;
}

LoginDecision decide_login(const std::optional<UserRecord>& user) {
  LoginDecision out;
  if (user && user->blocked) {
    out.status = VerifyStatus::user_blocked;
    return out;
  }
  out.create_user = !user;
  out.open_session = true;
  return out;
}

}  // namespace sms_auth
