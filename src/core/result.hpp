// result<T, E>: a value or an expected failure, the return type of every operation that can fail for a known reason.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace sms_auth {

// Written by hand because std::expected is C++23 (g++ 12 lacks it) and boost::system::result needs Boost >= 1.78,
// while Debian 12 ships 1.74. Deliberately small: construct from a value or an error, test, read.
template <class T, class E = Error>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  E& error() & { return std::get<1>(state_); }
  const E& error() const& { return std::get<1>(state_); }
  E&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, E> state_;
};

// For operations that return nothing on success.
struct ok_t {};
inline constexpr ok_t ok{};

}  // namespace sms_auth
