// verify-code's decisions: the failure locks, expiry, the per-code attempt budget, the comparison, blocked accounts.
#include "auth/verify_rules.hpp"

#include <algorithm>

namespace sms_auth {

std::vector<WindowLimit> VerifyLimitChecks::all() const {
  std::vector<WindowLimit> out = in_order;
  if (number_lock) out.push_back(*number_lock);
  if (client_has_failed) out.push_back(*client_has_failed);
  return out;
}

VerifyLimitChecks verify_checked_limits(const VerifyCodeRequest& request) {
  VerifyLimitChecks checks;
  checks.in_order = request.attempt_limits;
  if (request.client_failure_limit) {
    checks.in_order.push_back(*request.client_failure_limit);
    checks.in_order.back().count = false;  // only wrong codes fill it
    // One event in the client's bucket is enough to make it a client that failed for this number.
    checks.client_has_failed = *request.client_failure_limit;
    checks.client_has_failed->limit = 1;
    checks.client_has_failed->count = false;
  }
  if (request.failure_limit) {
    checks.number_lock = *request.failure_limit;
    checks.number_lock->count = false;
  }
  return checks;
}

std::optional<LimitExceeded> verify_refusal(const VerifyLimitReadings& readings) {
  if (readings.in_order) return readings.in_order;
  // A client that never failed for the number may be its owner: strangers' guesses must not lock it out. It gets
  // tries until its first wrong code; each of them still spends an attempt of the live code.
  if (readings.number_lock && !readings.client_is_new) return readings.number_lock;
  return std::nullopt;
}

std::vector<WindowLimit> verify_failure_limits(const VerifyCodeRequest& request) {
  std::vector<WindowLimit> out;
  if (request.client_failure_limit) out.push_back(*request.client_failure_limit);
  if (request.failure_limit) out.push_back(*request.failure_limit);
  for (auto& limit : out) limit.count = true;
  return out;
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
