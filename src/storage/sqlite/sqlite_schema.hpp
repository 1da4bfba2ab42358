// The SQLite schema as a list of migrations, applied in list order; the highest version is the one this build needs.
#pragma once

#include <string_view>
#include <vector>

namespace sms_auth {

struct Migration {
  int version;
  std::string_view sql;
};

// Applied in order, each in its own transaction; never edit a released step, add a new one.
const std::vector<Migration>& sqlite_migrations();

}  // namespace sms_auth
