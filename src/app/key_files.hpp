// Ed25519 key files: reading JWT_PRIVATE_KEY_FILE and JWT_PREVIOUS_PUBLIC_KEY_FILES, writing `keys generate` output.
#pragma once

#include <string>

#include "auth/ed25519_key.hpp"

namespace sms_auth {

// The signing key of JWT_PRIVATE_KEY_FILE (PEM PKCS#8). Throws ConfigurationError naming the variable when the file
// cannot be read or holds no unencrypted Ed25519 private key.
Ed25519Key read_signing_key_file(const std::string& path);

// A verification-only key of JWT_PREVIOUS_PUBLIC_KEY_FILES (PEM public key; a private key file gives its public
// half). Throws ConfigurationError naming the variable.
Ed25519Key read_verification_key_file(const std::string& path);

// True if group or others may read the file: a signing key should be readable by its owner only.
bool readable_by_others(const std::string& path);

// Writes `key` as PEM PKCS#8 to a new file of mode 0600 and syncs it. Never overwrites: throws std::runtime_error if
// the file exists or cannot be written.
void write_private_key_file(const std::string& path, const Ed25519Key& key);

}  // namespace sms_auth
