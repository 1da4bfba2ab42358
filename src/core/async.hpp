// The coroutine type domain code may use (Asio's awaitable), without any I/O or Beast types.
#pragma once

// g++ 12 + Boost 1.74: asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

namespace sms_auth {

template <class T>
using awaitable = boost::asio::awaitable<T>;

}  // namespace sms_auth
