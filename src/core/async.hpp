// The coroutine type domain code may use (Asio's awaitable), without any I/O or Beast types.
#pragma once

// g++ 12 + Boost 1.74: asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <exception>

#include <boost/asio/awaitable.hpp>

namespace sms_auth {

template <class T>
using awaitable = boost::asio::awaitable<T>;

// Named awaitables: never a temporary object inside a co_await expression. Call the coroutine into a named local,
// then `co_await std::move(local)`. g++ 12 destroys temporaries of a co_await expression twice (GCC PR 100611), which
// ASan reports as a bad free and a release build turns into heap corruption. Call sites say `// named
// (core/async.hpp)` instead of repeating this.

// The completion handler for co_spawn of a task nobody awaits: logs the exception that ended it, naming the task.
// (co_spawn(…, detached) would drop it silently.) Use as co_spawn(executor, task(), LogFailure{"http.accept"}).
struct LogFailure {
  const char* task;
  void operator()(std::exception_ptr failure) const noexcept;
};

}  // namespace sms_auth
