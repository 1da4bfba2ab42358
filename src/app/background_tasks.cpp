// What each background round does, and how often. Every failure is logged by PeriodicTask and the next round comes.
#include "app/background_tasks.hpp"

#include <spdlog/spdlog.h>

namespace sms_auth {
namespace {

constexpr auto kPruneEvery = std::chrono::minutes(5);
constexpr auto kConversionCheckEvery = std::chrono::minutes(1);

// Deletes limit events and codes no window needs any more, and refresh tokens of families ended over a day ago (a
// replay of one then reads "unknown" instead of "revoked").
awaitable<void> prune_storage(StorageEngine& storage, std::chrono::seconds longest_window) {
  auto pruning = storage.prune(SystemTimeSource{}.now(), longest_window);  // named (core/async.hpp)
  const auto removed = co_await std::move(pruning);
  spdlog::debug("storage.prune removed={}", removed);
  auto pruning_tokens = storage.prune_refresh_tokens(SystemTimeSource{}.now() - std::chrono::hours(24));  // named
  const auto tokens_removed = co_await std::move(pruning_tokens);
  spdlog::debug("storage.prune refresh_tokens_removed={}", tokens_removed);
}

// Reads the per-country conversion (every instance's traffic) into the metrics.
awaitable<void> watch_conversion(ConversionMonitor& monitor) {
  auto checking = monitor.check(SystemTimeSource{}.now());  // named (core/async.hpp)
  (void)co_await std::move(checking);
}

// The balance (gauge, low-balance warning) and forgetting old SMS records. At start-up first: a wrong key, a missing
// IP whitelist entry or an empty balance shows in the log at once, not at the first user's SMS.
awaitable<void> check_balance_and_prune_sms(SmsDelivery& delivery) {
  auto checking = delivery.check_balance();  // named (core/async.hpp); failures are logged by the gateway
  (void)co_await std::move(checking);
  auto pruning = delivery.prune();  // named (core/async.hpp)
  const auto removed = co_await std::move(pruning);
  if (removed > 0) spdlog::debug("sms.prune removed={}", removed);
}

awaitable<void> poll_sms_statuses(SmsDelivery& delivery) {
  auto polling = delivery.poll_statuses();  // named (core/async.hpp); gateway failures are logged by the gateway
  (void)co_await std::move(polling);
}

}  // namespace

std::vector<std::unique_ptr<PeriodicTask>> background_tasks(boost::asio::io_context& io, Application& application) {
  std::vector<std::unique_ptr<PeriodicTask>> tasks;
  StorageEngine& storage = application.storage();
  const auto longest_window = application.limits().longest_window();
  tasks.push_back(
      std::make_unique<PeriodicTask>(io, "storage.prune", PeriodicSchedule{kPruneEvery, false},
                                     [&storage, longest_window] { return prune_storage(storage, longest_window); }));
  ConversionMonitor& monitor = application.conversion_monitor();
  tasks.push_back(std::make_unique<PeriodicTask>(io, "limits.conversion_watch",
                                                 PeriodicSchedule{kConversionCheckEvery, true},
                                                 [&monitor] { return watch_conversion(monitor); }));
  SmsDelivery& delivery = application.sms_delivery();
  if (delivery.has_gateway()) {  // test mode has nothing to ask a gateway
    const Config& config = application.config();
    tasks.push_back(std::make_unique<PeriodicTask>(io, "sms.balance",
                                                   PeriodicSchedule{config.sms_balance_check_interval, true},
                                                   [&delivery] { return check_balance_and_prune_sms(delivery); }));
    tasks.push_back(std::make_unique<PeriodicTask>(io, "sms.poll",
                                                   PeriodicSchedule{config.sms_status_poll_interval, false},
                                                   [&delivery] { return poll_sms_statuses(delivery); }));
  }
  return tasks;
}

}  // namespace sms_auth
