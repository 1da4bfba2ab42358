// Which language an SMS is written in: the client's explicit choice, else its Accept-Language, else the default.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sms_auth {

// A short BCP 47-like tag: a 2-3 letter language, then up to four `-` subtags of 1-8 letters or digits ("kk",
// "kk-KZ", "ru-Cyrl-KZ"); at most 35 characters.
bool is_locale_tag(std::string_view tag);

// The supported SMS locale ("ru", "kk", "en") a tag's language names, case-insensitive ("KK-kz" → "kk").
std::optional<std::string> supported_sms_locale(std::string_view tag);

// The supported locale the client prefers most by an Accept-Language header (RFC 9110 q-values; q=0 means "not
// this"; equal q keeps the header's order; `*` and malformed entries are ignored), or nothing.
std::optional<std::string> preferred_sms_locale(std::string_view accept_language);

// `requested` (the body's `locale`, empty when absent) wins; an unsupported one falls back to the default, not to
// the header. Without it, the header's best supported language; else `default_locale`.
std::string choose_sms_locale(std::string_view requested, std::string_view accept_language,
                              std::string_view default_locale);

}  // namespace sms_auth
