// What this binary was built from, for sms_auth_build_info (cmake/build_info.cmake generates the definition).
#pragma once

#include <string_view>

namespace sms_auth {

struct BuildInfo {
  std::string_view version;  // CMake's project version
  std::string_view commit;   // git's short commit at configure time, or "unknown"
};

BuildInfo build_info();

}  // namespace sms_auth
