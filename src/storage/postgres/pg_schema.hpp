// The PostgreSQL schema as versioned migrations, numbered like SQLite's so that both report the same version.
#pragma once

#include "storage/sqlite/sqlite_schema.hpp"

namespace sms_auth {

// Applied in order inside one transaction under an advisory lock; never edit a released step, add a new one.
const std::vector<Migration>& postgres_migrations();

}  // namespace sms_auth
