// OpenSSL-backed primitives; MAC and digest algorithms and their contexts are made once per thread, not per call.
#include "core/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace sms_auth {
namespace {

struct MacDeleter {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};
struct MdDeleter {
  void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// One HMAC-SHA256 context per thread, its digest set once: EVP_MAC_init with only a key re-keys it without fetching
// the digest by name again (a lookup under OpenSSL's global lock on every call otherwise).
EVP_MAC_CTX* thread_hmac_sha256() {
  struct Context {
    std::unique_ptr<EVP_MAC, MacDeleter> mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
    std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx{mac ? EVP_MAC_CTX_new(mac.get()) : nullptr};
    Context() {
      char digest_name[] = "SHA256";
      const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                                   OSSL_PARAM_construct_end()};
      if (ctx && EVP_MAC_CTX_set_params(ctx.get(), params) != 1) ctx.reset();
    }
  };
  thread_local Context context;
  if (!context.ctx) throw std::runtime_error("OpenSSL: HMAC-SHA256 is not available");
  return context.ctx.get();
}

// Explicitly fetched digests and one reusable digest context per thread: EVP_sha256() would fetch implicitly on
// every EVP_DigestInit.
struct ThreadDigests {
  std::unique_ptr<EVP_MD, MdDeleter> sha256{EVP_MD_fetch(nullptr, "SHA256", nullptr)};
  std::unique_ptr<EVP_MD, MdDeleter> sha1{EVP_MD_fetch(nullptr, "SHA1", nullptr)};
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx{EVP_MD_CTX_new()};
};

ThreadDigests& thread_digests() {
  thread_local ThreadDigests digests;
  if (!digests.sha256 || !digests.sha1 || !digests.ctx) throw std::runtime_error("OpenSSL: digests are not available");
  return digests;
}

}  // namespace

Bytes random_bytes(std::size_t count) {
  Bytes out(count);
  if (count > 0 && RAND_bytes(out.data(), static_cast<int>(count)) != 1) {
    throw std::runtime_error("OpenSSL: RAND_bytes failed");
  }
  return out;
}

std::uint32_t random_below(std::uint32_t bound) {
  if (bound == 0) throw std::invalid_argument("random_below: bound must be positive");
  // Reject the top partial range of 2^32 so that every result is equally likely.
  const std::uint32_t limit = UINT32_MAX - (UINT32_MAX % bound);
  for (;;) {
    std::uint32_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) {
      throw std::runtime_error("OpenSSL: RAND_bytes failed");
    }
    if (value < limit) return value % bound;
  }
}

Bytes hmac_sha256(const Bytes& key, std::string_view message) {
  EVP_MAC_CTX* ctx = thread_hmac_sha256();
  // A null key would mean "keep the previous key" to EVP_MAC_init: an empty key must still be a (zero-length) key.
  static const unsigned char kNoKeyBytes[1] = {0};
  const unsigned char* key_bytes = key.empty() ? kNoKeyBytes : key.data();
  Bytes out(32);
  std::size_t size = 0;
  if (EVP_MAC_init(ctx, key_bytes, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &size, out.size()) != 1 || size != out.size()) {
    throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  }
  return out;
}

namespace {
Bytes digest(std::string_view message, const EVP_MD* algorithm, EVP_MD_CTX* ctx, std::size_t digest_size,
             const char* name) {
  Bytes out(digest_size);
  unsigned int size = 0;
  if (EVP_DigestInit_ex2(ctx, algorithm, nullptr) != 1 || EVP_DigestUpdate(ctx, message.data(), message.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &size) != 1 || size != digest_size) {
    throw std::runtime_error(std::string("OpenSSL: ") + name + " failed");
  }
  return out;
}
}  // namespace

Bytes sha256(std::string_view message) {
  ThreadDigests& digests = thread_digests();
  return digest(message, digests.sha256.get(), digests.ctx.get(), 32, "SHA-256");
}

Bytes sha1(std::string_view message) {
  ThreadDigests& digests = thread_digests();
  return digest(message, digests.sha1.get(), digests.ctx.get(), 20, "SHA-1");
}

Bytes hkdf_sha256(const Bytes& secret, std::string_view label, std::size_t length) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf{EVP_KDF_fetch(nullptr, "HKDF", nullptr), &EVP_KDF_free};
  if (!kdf) throw std::runtime_error("OpenSSL: HKDF is not available");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx{EVP_KDF_CTX_new(kdf.get()), &EVP_KDF_CTX_free};
  char digest_name[] = "SHA256";
  std::string info(label);
  Bytes key = secret;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key.data(), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  Bytes out(length);
  if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    throw std::runtime_error("OpenSSL: HKDF-SHA256 failed");
  }
  return out;
}

bool constant_time_equal(const Bytes& a, const Bytes& b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
constexpr char kBase64UrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
}  // namespace

std::string base64url_encode(const std::uint8_t* data, std::size_t size) {
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kBase64UrlAlphabet[(n >> 18) & 63];
    out += kBase64UrlAlphabet[(n >> 12) & 63];
    out += kBase64UrlAlphabet[(n >> 6) & 63];
    out += kBase64UrlAlphabet[n & 63];
  }
  if (size - i == 1) {
    const std::uint32_t n = std::uint32_t{data[i]} << 16;
    out += kBase64UrlAlphabet[(n >> 18) & 63];
    out += kBase64UrlAlphabet[(n >> 12) & 63];
  } else if (size - i == 2) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += kBase64UrlAlphabet[(n >> 18) & 63];
    out += kBase64UrlAlphabet[(n >> 12) & 63];
    out += kBase64UrlAlphabet[(n >> 6) & 63];
  }
  return out;
}

bool base64url_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 == 1) return false;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = base64url_value(c);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, so that every byte string has exactly one encoding (no malleable tokens).
  return (buffer & ((1u << bits) - 1)) == 0;
}

std::string to_hex(const Bytes& data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (auto b : data) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

namespace {

// The canonical text form of 16 bytes with their version nibble and RFC 9562 variant set.
std::string uuid_text(Bytes b, std::uint8_t version) {
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | (version << 4));
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);
  const std::string hex = to_hex(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

}  // namespace

std::string random_uuid() { return uuid_text(random_bytes(16), 4); }

// Written here: neither Boost.Uuid (1.81) nor libuuid (util-linux 2.38) on Debian 12 makes version 7 yet.
std::string time_ordered_uuid(std::int64_t unix_ms) {
  Bytes b = random_bytes(16);
  const auto ms = static_cast<std::uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  return uuid_text(std::move(b), 7);
}

}  // namespace sms_auth
