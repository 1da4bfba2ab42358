// Read-only views of the limit events for monitoring (the per-country conversion watch), shared by every instance.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace sms_auth {

class LimitStatistics {
 public:
  virtual ~LimitStatistics() = default;

  // The number of events after `since`, per bucket, for every bucket whose name starts with `bucket_prefix`
  // (e.g. "sms:country:" → {"sms:country:KZ": 120, …}). Buckets without events are absent.
  // Throws StorageUnavailable if the database cannot be read.
  virtual std::map<std::string, std::int64_t, std::less<>> count_events_by_bucket(std::string_view bucket_prefix,
                                                                                  TimePoint since) = 0;
};

}  // namespace sms_auth
