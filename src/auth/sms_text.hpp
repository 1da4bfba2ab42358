// The SMS text: the locale's template with {code} and {minutes} filled in (minutes in the language's plural form),
// then the autofill lines (SMS Retriever hash, WebOTP origin-bound line) when configured.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sms/sms_segments.hpp"

namespace sms_auth {

// "1 минуту", "2 минуты", "5 минут", "21 минуту", "11 минут": the accusative forms the original backend's text needs.
std::string russian_minutes(long long minutes);
// Kazakh nouns after a numeral stay singular: "1 минут", "5 минут" (the template adds "ішінде").
std::string kazakh_minutes(long long minutes);
// "1 minute", "5 minutes".
std::string english_minutes(long long minutes);
// The phrase for `locale` ("ru", "kk", "en"); Russian for any other.
std::string minutes_phrase(std::string_view locale, long long minutes);

// Replaces every {code} and {minutes} in `text_template`; minutes in Russian unless `locale` says otherwise.
std::string render_sms_text(std::string_view text_template, std::string_view code, long long minutes,
                            std::string_view locale = "ru");

// Appends the autofill markers to a rendered text. With an Android app hash, a line with the hash; with a WebOTP
// domain, the last line "@domain #code" (WebOTP requires it last; SMS Retriever only requires the hash be present).
std::string with_autofill(std::string text, std::string_view code, std::string_view webotp_domain,
                          std::string_view android_app_hash);

// The whole SMS for `locale` (a supported one; any other gets the default locale's template) as configured.
std::string compose_sms_text(const SmsTextSettings& texts, std::string_view locale, std::string_view code,
                             long long minutes);

// The size of each locale's final text (sample code, a code lifetime of `code_ttl`, autofill lines included): what the
// operator is told at start-up and by check-config, since every extra segment is billed.
struct SmsTextSize {
  std::string locale;
  SmsSize size;
};
std::vector<SmsTextSize> measure_sms_texts(const SmsTextSettings& texts, std::chrono::seconds code_ttl);

// "sms text kk: 64 characters, UCS-2, 1 segment", plus a warning sentence when it takes more than one segment.
std::string describe_sms_text_size(const SmsTextSize& text);

}  // namespace sms_auth
