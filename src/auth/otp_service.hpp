// The SMS login flow: send a code, resend it, verify it and open a session. Domain code: no HTTP, no SQL.
#pragma once

#include <string>

#include "auth/jwt.hpp"
#include "auth/otp_code.hpp"
#include "auth/otp_metrics.hpp"
#include "auth/phone_number.hpp"
#include "config/config.hpp"
#include "core/async.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "ratelimit/alert_throttle.hpp"
#include "ratelimit/limit_policy.hpp"
#include "sms/sms_sender.hpp"
#include "storage/stores.hpp"

namespace sms_auth {

struct SendCodeCommand {
  std::string phone_input;     // as typed
  std::string client_address;  // for per-address limits
  bool resend = false;         // resend-code: the live code again, when there is one
  std::string locale;           // the body's `locale` (a well-formed tag) or empty
  std::string accept_language;  // the request's Accept-Language header, or empty
  LogContext log = {};          // the request's, for its log lines
};

struct CodeSent {
  std::string sms_id;
  std::int64_t expires_in = 0;    // seconds the code has left
  std::int64_t resend_after = 0;  // seconds until another SMS to this number is allowed
};

struct VerifyCodeCommand {
  std::string phone_input;
  std::string code;
  std::string client_address;
  LogContext log = {};  // the request's, for its log lines
};

struct LoginSucceeded {
  IssuedAccessToken access_token;
  std::string refresh_token;  // opaque; only its SHA-256 is stored
  UserRecord user;
  bool user_created = false;
};

// The settings groups the service reads (config.hpp), by reference.
struct OtpServiceSettings {
  const OtpSettings& otp;
  const SessionSettings& sessions;  // the lifetime of the session a login opens
  const SmsTextSettings& sms_texts;
};

class OtpService {
 public:
  // Keeps references: every argument outlives the service (the composition root owns them).
  OtpService(OtpServiceSettings settings, const PhoneNumberParser& phones, const OtpCodec& codec,
             const LimitPolicy& limits, const AccessTokens& tokens, AsyncCodeStore& storage, SmsSender& sender,
             const TimeSource& clock, OtpMetrics& metrics);

  // Fails with invalid_phone_number, rate_limited, sms_rejected or sms_unavailable. A send that surely did not go out
  // leaves no new code behind and is refunded (a refused one still counts against the number's and the address's
  // limits: the gateway saw it). A send that may have gone out (the gateway took the request, its answer was lost) is
  // a 503 too, but its code stays live and counted, and the next send to the number sends that same code again.
  awaitable<result<CodeSent>> send_code(SendCodeCommand command);

  // Fails with invalid_request (code not 6 digits), invalid_phone_number, invalid_code (with attempts_left),
  // code_expired, too_many_attempts (with retry_after) or access_denied (blocked account).
  awaitable<result<LoginSucceeded>> verify_code(VerifyCodeCommand command);

 private:
  // The code a number gets: a configured fixed one (test numbers, SMS_TEST_FIXED_CODE) or the one derived from seed.
  std::string code_for(const PhoneNumber& phone, const Bytes& seed) const;
  bool is_test_number(const PhoneNumber& phone) const;
  // The answer to a send refused by a limit: metric, log line, an operator alert for caps and pumping, the error.
  Error send_refused(const PhoneNumber& phone, const SendCodeCommand& command, std::string_view action,
                     const LimitExceeded& refusal, TimePoint now);

  const OtpSettings& otp_;
  const SessionSettings& sessions_;  // of the session a login opens
  const SmsTextSettings& sms_texts_;
  const PhoneNumberParser& phones_;
  const OtpCodec& codec_;
  const LimitPolicy& limits_;
  const AccessTokens& tokens_;
  AsyncCodeStore& storage_;
  SmsSender& sender_;
  const TimeSource& clock_;
  OtpMetrics& metrics_;
  AlertThrottle alerts_;
};

}  // namespace sms_auth
