// SMS template rendering.
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

std::string render_sms_text(std::string_view text_template, std::string_view code, long long minutes) {
  const std::string minutes_text = russian_minutes(minutes);
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

}  // namespace sms_auth
