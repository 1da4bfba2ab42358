// The SMS text: the template with {code} and {minutes} filled in, minutes in correct Russian plural form.
#pragma once

#include <string>
#include <string_view>

namespace sms_auth {

// "1 минуту", "2 минуты", "5 минут", "21 минуту", "11 минут": the accusative forms the original backend's text needs.
std::string russian_minutes(long long minutes);

// Replaces every {code} and {minutes} in `text_template`.
std::string render_sms_text(std::string_view text_template, std::string_view code, long long minutes);

}  // namespace sms_auth
