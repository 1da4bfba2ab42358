// Code derivation and hashing over HMAC-SHA256.
#include "auth/otp_code.hpp"

#include <stdexcept>

namespace sms_auth {

OtpCodec::OtpCodec(Bytes key) : key_(std::move(key)) {
  if (key_.size() < 32) throw std::invalid_argument("OtpCodec: the key must be at least 32 bytes");
}

Bytes OtpCodec::new_seed() { return random_bytes(16); }

std::string OtpCodec::code_for_seed(const Bytes& seed) const {
  std::string message = "sms-auth/code/";
  message.append(as_string_view(seed));
  const Bytes mac = hmac_sha256(key_, message);
  // 64 bits reduced mod 10^6: the modulo bias is at most 10^6 / 2^64 ≈ 2^-44.
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | mac[static_cast<std::size_t>(i)];
  std::string code = std::to_string(value % 1000000);
  return std::string(kCodeDigits - code.size(), '0') + code;
}

Bytes OtpCodec::hash(std::string_view phone_e164, std::string_view code) const {
  std::string message = "sms-auth/verify/";
  message.append(phone_e164);
  message += ':';
  message.append(code);
  return hmac_sha256(key_, message);
}

bool OtpCodec::matches(std::string_view phone_e164, std::string_view submitted_code, const Bytes& stored_hash) const {
  return constant_time_equal(hash(phone_e164, submitted_code), stored_hash);
}

bool is_well_formed_code(std::string_view code) noexcept {
  if (code.size() != kCodeDigits) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace sms_auth
