// The files of web/ (the login page), compiled into the binary at build time (cmake/embed_files.cmake), so the
// server serves them from wherever it is started, an installed binary included.
#pragma once

#include <span>
#include <string_view>

namespace sms_auth {

struct EmbeddedFile {
  std::string_view name;     // the path under web/, e.g. "app.js"
  std::string_view content;  // the bytes, exactly as in the file
};

// Every file of web/ as it was at build time, sorted by name. Defined by the generated web_assets_data.cpp.
std::span<const EmbeddedFile> embedded_web_files() noexcept;

}  // namespace sms_auth
