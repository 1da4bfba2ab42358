// LimitStatistics on SQLite: event counts per bucket for the monitors, read in one statement.
#include "storage/sqlite/sqlite_support.hpp"

namespace sms_auth {

std::map<std::string, std::int64_t, std::less<>> SqliteRepository::count_events_by_bucket(
    std::string_view bucket_prefix, TimePoint since) {
  return with_database([&](SqliteConnection& db) {
    std::map<std::string, std::int64_t, std::less<>> counts;
    // A range instead of LIKE, so that the (bucket, at_ms) index is used whatever the LIKE settings: every name
    // starting with the prefix sorts at or after it and before the prefix with its last byte incremented.
    std::string upper(bucket_prefix);
    if (upper.empty() || static_cast<unsigned char>(upper.back()) == 0xff) {
      throw std::invalid_argument("count_events_by_bucket: the prefix must be non-empty and end below 0xff");
    }
    upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
    Prepared select(db,
                    "SELECT bucket, COUNT(*) FROM rate_events WHERE bucket >= ? AND bucket < ? AND at_ms > ? "
                    "GROUP BY bucket");
    select.bind(1, std::string(bucket_prefix));
    select.bind(2, upper);
    select.bind(3, to_unix_ms(since));
    while (select.executeStep()) counts.emplace(select.getColumn(0).getString(), select.getColumn(1).getInt64());
    return counts;
  });
}

}  // namespace sms_auth
