// SMS template rendering per locale, and the autofill lines.
#include "auth/sms_text.hpp"

namespace sms_auth {

std::string russian_minutes(long long minutes) {
  const long long last_two = minutes % 100;
  const long long last = minutes % 10;
  const char* word = "минут";
  if (last_two < 11 || last_two > 14) {
    if (last == 1) {
      word = "минуту";
    } else if (last >= 2 && last <= 4) {
      word = "минуты";
    }
  }
  return std::to_string(minutes) + " " + word;
}

std::string kazakh_minutes(long long minutes) { return std::to_string(minutes) + " минут"; }

std::string english_minutes(long long minutes) {
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

std::string minutes_phrase(std::string_view locale, long long minutes) {
  if (locale == "kk") return kazakh_minutes(minutes);
  if (locale == "en") return english_minutes(minutes);
  return russian_minutes(minutes);
}

std::string render_sms_text(std::string_view text_template, std::string_view code, long long minutes,
                            std::string_view locale) {
  const std::string minutes_text = minutes_phrase(locale, minutes);
  std::string out;
  std::size_t pos = 0;
  while (pos < text_template.size()) {
    const auto brace = text_template.find('{', pos);
    if (brace == std::string_view::npos) {
      out.append(text_template.substr(pos));
      break;
    }
    out.append(text_template.substr(pos, brace - pos));
    const auto rest = text_template.substr(brace);
    if (rest.rfind("{code}", 0) == 0) {
      out.append(code);
      pos = brace + 6;
    } else if (rest.rfind("{minutes}", 0) == 0) {
      out.append(minutes_text);
      pos = brace + 9;
    } else {
      out += '{';
      pos = brace + 1;
    }
  }
  return out;
}

std::string with_autofill(std::string text, std::string_view code, std::string_view webotp_domain,
                          std::string_view android_app_hash) {
  if (!android_app_hash.empty()) {
    text += '\n';
    text.append(android_app_hash);
  }
  if (!webotp_domain.empty()) {
    text += "\n@";
    text.append(webotp_domain);
    text += " #";
    text.append(code);
  }
  return text;
}

std::string compose_sms_text(const SmsTextSettings& texts, std::string_view locale, std::string_view code,
                             long long minutes) {
  auto found = texts.templates.find(std::string(locale));
  std::string_view used_locale = locale;
  if (found == texts.templates.end()) {
    found = texts.templates.find(texts.default_locale);
    used_locale = texts.default_locale;
  }
  const std::string_view text_template =
      found != texts.templates.end() ? std::string_view(found->second) : std::string_view(texts.default_template);
  return with_autofill(render_sms_text(text_template, code, minutes, used_locale), code, texts.webotp_domain,
                       texts.android_app_hash);
}

std::vector<SmsTextSize> measure_sms_texts(const SmsTextSettings& texts, std::chrono::seconds code_ttl) {
  std::vector<SmsTextSize> out;
  const long long minutes = (code_ttl.count() + 59) / 60;
  for (const auto& [locale, text_template] : texts.templates) {
    (void)text_template;
    out.push_back({locale, measure_sms(compose_sms_text(texts, locale, "123456", minutes))});
  }
  return out;
}

std::string describe_sms_text_size(const SmsTextSize& text) {
  const auto& size = text.size;
  std::string line = "sms text " + text.locale + ": " + std::to_string(size.characters) + " characters, " +
                     encoding_name(size.encoding) + " (" + std::to_string(size.units) +
                     (size.encoding == SmsEncoding::gsm7 ? " septets" : " units") + "), " +
                     std::to_string(size.segments) + (size.segments == 1 ? " segment" : " segments");
  if (size.segments > 1) {
    line += "; warning: more than one segment, each billed (" +
            std::string(size.encoding == SmsEncoding::gsm7 ? "GSM-7 fits 160" : "UCS-2 fits 70") +
            " in one SMS): shorten SMS_TEMPLATE_" + (text.locale == "kk" ? "KK" : text.locale == "en" ? "EN" : "RU");
  }
  return line;
}

}  // namespace sms_auth
