// Cryptographic primitives over OpenSSL: CSPRNG bytes, HMAC-SHA256, SHA-256, constant-time compare, base64url.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sms_auth {

using Bytes = std::vector<std::uint8_t>;

// `count` bytes from OpenSSL's CSPRNG. Throws std::runtime_error if the generator fails (never returns weak bytes).
Bytes random_bytes(std::size_t count);

// A uniform integer in [0, bound) from the CSPRNG, by rejection sampling (no modulo bias).
std::uint32_t random_below(std::uint32_t bound);

// HMAC-SHA256(key, message): 32 bytes.
Bytes hmac_sha256(const Bytes& key, std::string_view message);

// SHA-256(message): 32 bytes.
Bytes sha256(std::string_view message);

// SHA-1(message): 20 bytes. Only for protocols that demand it (Mobizon's webhook signature); never for our own secrets.
Bytes sha1(std::string_view message);

// HKDF-SHA256 (RFC 5869) expanding `secret` into `length` bytes bound to `label`: separate keys from one secret.
Bytes hkdf_sha256(const Bytes& secret, std::string_view label, std::size_t length);

// Equal length and content, in time that depends only on the length (CRYPTO_memcmp).
bool constant_time_equal(const Bytes& a, const Bytes& b) noexcept;

// RFC 4648 §5 base64url without padding.
std::string base64url_encode(const std::uint8_t* data, std::size_t size);
inline std::string base64url_encode(const Bytes& data) { return base64url_encode(data.data(), data.size()); }
inline std::string base64url_encode(std::string_view data) {
  return base64url_encode(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
}
// Decodes unpadded base64url; false on any character outside the alphabet or an impossible length.
bool base64url_decode(std::string_view text, std::string& out);

// Lower-case hexadecimal.
std::string to_hex(const Bytes& data);

// A random (version 4) UUID in its canonical text form.
std::string random_uuid();

// A time-ordered (version 7, RFC 9562) UUID: `unix_ms` in its first 48 bits, then 74 random bits. Ids made later sort
// after earlier ones, so rows keyed by them are appended to their B-tree instead of landing on a random page each
// (one page written per insert less, on either engine). Only for ids whose creation time is no secret.
std::string time_ordered_uuid(std::int64_t unix_ms);

inline std::string_view as_string_view(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace sms_auth
