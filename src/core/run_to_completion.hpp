// Runs a coroutine to completion on a private io_context and returns its result (or rethrows its exception): for
// unit tests of domain code that awaits the storage engine. Never used on an I/O thread.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <type_traits>

#include "core/async.hpp"

namespace sms_auth {

namespace detail {
template <class T>
awaitable<std::optional<T>> as_optional(awaitable<T> work) {
  co_return co_await std::move(work);
}
}  // namespace detail

template <class T>
T run_to_completion(awaitable<T> work) {
  boost::asio::io_context io;
  std::exception_ptr failure;
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr error) { failure = error; });
    io.run();
    if (failure) std::rethrow_exception(failure);
  } else {
    std::optional<T> out;
    boost::asio::co_spawn(io, detail::as_optional(std::move(work)),
                          [&](std::exception_ptr error, std::optional<T> value) {
                            failure = error;
                            out = std::move(value);
                          });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
  }
}

}  // namespace sms_auth
