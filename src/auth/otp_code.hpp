// One-time codes: how a 6-digit code is made from a random seed and how it is kept (an HMAC, never the code).
#pragma once

#include <string>
#include <string_view>

#include "core/crypto.hpp"

namespace sms_auth {

inline constexpr std::size_t kCodeDigits = 6;

// Codes are derived, not stored: code = HMAC(key, "code" ‖ seed) reduced to 6 digits, where the seed is 16 bytes from
// the CSPRNG. HMAC-SHA256 is a PRF, so under a secret key the code is as unpredictable as a CSPRNG draw, and it lets
// `resend-code` send the same live code again while the database holds only the seed and an HMAC of the code: a
// database dump without the key reveals neither the code nor anything to brute-force it with.
class OtpCodec {
 public:
  explicit OtpCodec(Bytes key);

  static Bytes new_seed();  // 16 CSPRNG bytes

  // The 6-digit code (leading zeros kept) for `seed`. Uniform over 000000-999999 up to a bias below 2^-40.
  std::string code_for_seed(const Bytes& seed) const;

  // What is stored to check a code: HMAC(key, "verify" ‖ phone ‖ code). Binding the phone number means one number's
  // code hash says nothing about another's.
  Bytes hash(std::string_view phone_e164, std::string_view code) const;

  // Constant-time check of a submitted code against the stored hash.
  bool matches(std::string_view phone_e164, std::string_view submitted_code, const Bytes& stored_hash) const;

 private:
  Bytes key_;
};

// Exactly six ASCII digits.
bool is_well_formed_code(std::string_view code) noexcept;

}  // namespace sms_auth
