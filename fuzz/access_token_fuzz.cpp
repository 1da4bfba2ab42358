// Fuzzes access-token verification (HS256 and EdDSA): arbitrary text never verifies, and any change to a good token
// that changes what is signed or the signature is refused.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "auth/ed25519_key.hpp"
#include "auth/jwt.hpp"
#include "fuzz_support.hpp"

using namespace sms_auth;

namespace {

const TimePoint kNow = from_unix_ms(1'767'225'600'000);  // 2026-01-01T00:00:00Z

const AccessTokens& hs256_tokens() {
  static const AccessTokens tokens({std::make_shared<Hs256Key>(Bytes(32, 0x5a))}, "sms-auth", "sms-auth-api",
                                   std::chrono::seconds(900));
  return tokens;
}

const AccessTokens& eddsa_tokens() {
  static const AccessTokens tokens({std::make_shared<Ed25519Key>(Ed25519Key::from_raw_private(Bytes(32, 0x42)))},
                                   "sms-auth", "sms-auth-api", std::chrono::seconds(900));
  return tokens;
}

// The signature bytes of a token (empty if it does not decode), to tell a real change from a non-canonical spelling.
std::string signature_of(std::string_view token) {
  std::string bytes;
  const auto dot = token.rfind('.');
  if (dot == std::string_view::npos || !base64url_decode(token.substr(dot + 1), bytes)) return {};
  return bytes;
}

void check(const AccessTokens& tokens, std::string_view input) {
  const auto verified = tokens.verify(input, kNow);
  if (!verified) fuzz::require(verified.error().code == errc::invalid_token, "a refused token is invalid_token");

  // A token issued for fuzzed claims verifies and gives them back; then one byte the fuzzer picks is changed.
  if (input.size() < 3) return;
  // User ids are ours (UUIDs), never client text: printable ASCII is the whole range they can take.
  std::string user(input.substr(2, input.size() / 3));
  for (char& c : user) c = static_cast<char>(' ' + static_cast<unsigned char>(c) % 95);
  const IssuedAccessToken issued = tokens.issue(user, "session-1", "+77472367503", kNow);
  const auto good = tokens.verify(issued.token, kNow);
  fuzz::require(good.has_value() && good->subject == user && good->session_id == "session-1",
                "an issued token verifies with its claims");
  std::string changed = issued.token;
  const std::size_t at = (static_cast<unsigned char>(input[0]) * 256u + static_cast<unsigned char>(input[1])) %
                         changed.size();
  changed[at] = input.back() == changed[at] ? static_cast<char>(changed[at] ^ 1) : input.back();
  const bool signed_part = at < issued.token.rfind('.');
  if (signed_part || signature_of(changed) != signature_of(issued.token)) {
    fuzz::require(!tokens.verify(changed, kNow), "a changed token is refused");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  check(hs256_tokens(), input);
  check(eddsa_tokens(), input);
  return 0;
}
