// Logging of the failures of detached coroutines.
#include "core/async.hpp"

#include <spdlog/spdlog.h>

namespace sms_auth {

void LogFailure::operator()(std::exception_ptr failure) const noexcept {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    spdlog::error("{} stopped by an unexpected error: {}", task, e.what());
  } catch (...) {
    spdlog::error("{} stopped by an unexpected non-standard exception", task);
  }
}

}  // namespace sms_auth
