// Ed25519 over OpenSSL 3: EVP_DigestSign/EVP_DigestVerify in one shot (EdDSA signs the message, not a digest).
#include "auth/ed25519_key.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace sms_auth {
namespace {

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kSignatureSize = 64;

struct BioDeleter {
  void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return {key, [](EVP_PKEY* k) { EVP_PKEY_free(k); }}; }

// OpenSSL keeps failures in a per-thread queue; a refused input must not leave entries for the next caller to trip on.
[[noreturn]] void refuse(const char* why) {
  ERR_clear_error();
  throw std::invalid_argument(why);
}

// Never ask for a passphrase: without this callback OpenSSL would prompt on the terminal for an encrypted PEM.
int no_passphrase(char*, int, int, void*) { return -1; }

BioPtr memory_bio(std::string_view text) {
  BioPtr bio{BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))};
  if (!bio) throw std::runtime_error("OpenSSL: BIO_new_mem_buf failed");
  return bio;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

bool is_ed25519(const EVP_PKEY* key) { return key != nullptr && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519; }

}  // namespace

std::string ed25519_thumbprint(const Bytes& public_key) {
  // Members in lexicographic order, no whitespace (RFC 7638 §3.2); x is base64url, so nothing needs escaping.
  const std::string canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" + base64url_encode(public_key) + R"("})";
  return base64url_encode(sha256(canonical));
}

Ed25519Key::Ed25519Key(std::shared_ptr<EVP_PKEY> key, bool has_private)
    : key_(std::move(key)), has_private_(has_private), public_key_(kKeySize) {
  std::size_t size = public_key_.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), public_key_.data(), &size) != 1 || size != kKeySize) {
    refuse("cannot read the Ed25519 public key");
  }
  key_id_ = ed25519_thumbprint(public_key_);
}

Ed25519Key Ed25519Key::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) throw std::runtime_error("OpenSSL: Ed25519 key generation failed");
  return Ed25519Key(own(key), true);
}

Ed25519Key Ed25519Key::from_private_pem(std::string_view pem) {
  const auto bio = memory_bio(pem);
  auto key = own(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) refuse("not an unencrypted PEM private key");
  if (!is_ed25519(key.get())) refuse("the private key is not an Ed25519 key");
  return Ed25519Key(std::move(key), true);
}

Ed25519Key Ed25519Key::from_public_pem(std::string_view pem) {
  auto key = own(PEM_read_bio_PUBKEY(memory_bio(pem).get(), nullptr, no_passphrase, nullptr));
  if (!key) {
    ERR_clear_error();
    key = own(PEM_read_bio_PrivateKey(memory_bio(pem).get(), nullptr, no_passphrase, nullptr));
  }
  if (!key) refuse("not a PEM public key");
  if (!is_ed25519(key.get())) refuse("the public key is not an Ed25519 key");
  // Keep only the public half, so that a verification key can never sign.
  const Ed25519Key full(std::move(key), false);
  return from_raw_public(full.raw_public_key());
}

Ed25519Key Ed25519Key::from_raw_private(const Bytes& private_key) {
  if (private_key.size() != kKeySize) refuse("an Ed25519 private key is 32 bytes");
  auto key = own(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, private_key.data(), private_key.size()));
  if (!key) refuse("not an Ed25519 private key");
  return Ed25519Key(std::move(key), true);
}

Ed25519Key Ed25519Key::from_raw_public(const Bytes& public_key) {
  if (public_key.size() != kKeySize) refuse("an Ed25519 public key is 32 bytes");
  auto key = own(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  if (!key) refuse("not an Ed25519 public key");
  return Ed25519Key(std::move(key), false);
}

Bytes Ed25519Key::sign(std::string_view signing_input) const {
  if (!has_private_) throw std::logic_error("Ed25519Key: a verification-only key cannot sign");
  MdCtxPtr ctx{EVP_MD_CTX_new()};
  Bytes signature(kSignatureSize);
  std::size_t size = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), signature.data(), &size, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1 ||
      size != kSignatureSize) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL: Ed25519 signing failed");
  }
  return signature;
}

bool Ed25519Key::verify(std::string_view signing_input, const Bytes& signature) const {
  if (signature.size() != kSignatureSize) return false;
  MdCtxPtr ctx{EVP_MD_CTX_new()};
  const bool valid = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
                     EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                                      reinterpret_cast<const unsigned char*>(signing_input.data()),
                                      signing_input.size()) == 1;
  if (!valid) ERR_clear_error();
  return valid;
}

std::optional<PublicJwk> Ed25519Key::public_jwk() const {
  return PublicJwk{"OKP", "Ed25519", base64url_encode(public_key_), key_id_, "EdDSA"};
}

Bytes Ed25519Key::raw_private_key() const {
  if (!has_private_) throw std::logic_error("Ed25519Key: a verification-only key has no private half");
  Bytes out(kKeySize);
  std::size_t size = out.size();
  if (EVP_PKEY_get_raw_private_key(key_.get(), out.data(), &size) != 1 || size != kKeySize) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL: cannot read the Ed25519 private key");
  }
  return out;
}

std::string Ed25519Key::private_pem() const {
  if (!has_private_) throw std::logic_error("Ed25519Key: a verification-only key has no private half");
  BioPtr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL: cannot write the private key");
  }
  return drain(bio.get());
}

std::string Ed25519Key::public_pem() const {
  BioPtr bio{BIO_new(BIO_s_mem())};
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL: cannot write the public key");
  }
  return drain(bio.get());
}

}  // namespace sms_auth
