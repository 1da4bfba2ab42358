// Locale tags and Accept-Language negotiation for the SMS text.
#include "auth/sms_locale.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/text.hpp"

namespace sms_auth {
namespace {

constexpr std::array<std::string_view, 3> kSupported = {"ru", "kk", "en"};

bool all_letters(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
}
bool all_letters_or_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
}
bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// RFC 9110 qvalue: 0, 0.x{1,3}, 1, 1.0{1,3}, as thousandths.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  if (text.size() == 1) return text[0] == '1' ? 1000 : 0;
  if (text[1] != '.' || text.size() == 2) return std::nullopt;
  const auto fraction = text.substr(2);
  if (!all_digits(fraction)) return std::nullopt;
  if (text[0] == '1') {
    if (fraction.find_first_not_of('0') != std::string_view::npos) return std::nullopt;
    return 1000;
  }
  int thousandths = 0;
  for (std::size_t i = 0; i < 3; ++i) thousandths = thousandths * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return thousandths;
}

}  // namespace

bool is_locale_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  std::size_t index = 0;
  std::size_t start = 0;
  while (start <= tag.size()) {
    const auto dash = tag.find('-', start);
    const auto part = tag.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    if (index == 0) {
      if (part.size() < 2 || part.size() > 3 || !all_letters(part)) return false;
    } else if (index > 4 || part.empty() || part.size() > 8 || !all_letters_or_digits(part)) {
      return false;
    }
    ++index;
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  return true;
}

std::optional<std::string> supported_sms_locale(std::string_view tag) {
  if (!is_locale_tag(tag)) return std::nullopt;
  const std::string language = to_lower_ascii(std::string(tag.substr(0, tag.find('-'))));
  if (std::find(kSupported.begin(), kSupported.end(), language) == kSupported.end()) return std::nullopt;
  return language;
}

std::optional<std::string> preferred_sms_locale(std::string_view accept_language) {
  std::optional<std::string> best;
  int best_q = 0;
  std::size_t start = 0;
  while (start <= accept_language.size()) {
    const auto comma = accept_language.find(',', start);
    const auto entry =
        accept_language.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const auto semicolon = entry.find(';');
    const auto tag = trim_spaces(entry.substr(0, semicolon));
    int q = 1000;
    bool valid = true;
    if (semicolon != std::string_view::npos) {
      const auto parameter = trim_spaces(entry.substr(semicolon + 1));
      const auto parsed = parameter.size() > 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '='
                              ? parse_qvalue(trim_spaces(parameter.substr(2)))
                              : std::nullopt;
      valid = parsed.has_value();
      q = parsed.value_or(0);
    }
    if (valid && q > best_q) {
      if (auto locale = supported_sms_locale(tag)) {
        best = std::move(locale);
        best_q = q;
      }
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return best;
}

std::string choose_sms_locale(std::string_view requested, std::string_view accept_language,
                              std::string_view default_locale) {
  if (!requested.empty()) return supported_sms_locale(requested).value_or(std::string(default_locale));
  return preferred_sms_locale(accept_language).value_or(std::string(default_locale));
}

}  // namespace sms_auth
