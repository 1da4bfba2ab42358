// Internal to storage/postgres: parameter and row helpers shared by the PostgresRepository translation units.
#pragma once

#include <string>
#include <vector>

#include "storage/postgres/pg_connection.hpp"
#include "storage/repository.hpp"

namespace sms_auth {

inline PgParam ms(TimePoint t) { return PgParam(to_unix_ms(t)); }

inline std::optional<TimePoint> optional_time(const PgRows& rows, int row, int column) {
  if (rows.is_null(row, column)) return std::nullopt;
  return from_unix_ms(rows.integer(row, column));
}

// A text[] literal ({"a","b"}) for `$n::text[]`: one parameter for a whole list, so that a statement stays prepared.
inline PgParam text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return PgParam(out);
}

inline constexpr const char* kPgUserColumns = "id, phone_number, created_at, last_login_at, blocked_at";

// Reads the five columns of kPgUserColumns, starting at `first`.
inline UserRecord read_user(const PgRows& rows, int row, int first = 0) {
  UserRecord user;
  user.id = rows.text(row, first);
  user.phone_number = rows.text(row, first + 1);
  user.created_at = from_unix_ms(rows.integer(row, first + 2));
  user.last_login_at = optional_time(rows, row, first + 3);
  user.blocked = !rows.is_null(row, first + 4);
  return user;
}

}  // namespace sms_auth
