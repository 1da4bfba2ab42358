// Refresh tokens as the service hands them out and keeps them: random and opaque to the client, hashed in storage.
#pragma once

#include <string>
#include <string_view>

#include "core/crypto.hpp"

namespace sms_auth {

// A new refresh token: 32 CSPRNG bytes, base64url (43 characters).
std::string new_refresh_token();
// What the database keeps of a refresh token: its SHA-256, so a copy of the database opens no session.
Bytes refresh_token_hash(std::string_view refresh_token);

}  // namespace sms_auth
