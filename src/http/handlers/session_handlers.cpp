// Request parsing and response rendering for refresh, logout and me (docs/api.md, Sessions; RFC 6749 §5.1 response shape).
#include "http/handlers/session_handlers.hpp"

#include "core/clock.hpp"
#include "http/bearer_auth.hpp"
#include "http/error_response.hpp"
#include "http/json_body.hpp"

namespace sms_auth {

SessionHandlers::SessionHandlers(SessionService& service) : service_(service) {}

std::vector<Route> SessionHandlers::routes() {
  return {
      {"POST", "/api/v1/auth/refresh", std::bind_front(&SessionHandlers::refresh, this)},
      {"POST", "/api/v1/auth/logout", std::bind_front(&SessionHandlers::logout, this)},
      {"GET", "/api/v1/auth/me", std::bind_front(&SessionHandlers::me, this)},
  };
}

awaitable<result<Authenticated>> SessionHandlers::authenticate(HttpRequest request) {
  auto token = bearer_token(request);
  if (!token) co_return token.error();
  // named (core/async.hpp)
  auto authenticating = service_.authenticate(std::string(*token), request.client_address, request.log_context());
  co_return co_await std::move(authenticating);
}

awaitable<HttpResponse> SessionHandlers::refresh(HttpRequest request) {
  const auto body = parse_json_object(request);
  if (!body) co_return error_response(body.error());
  auto refresh_token = required_string(*body, "refresh_token");
  if (!refresh_token) co_return error_response(refresh_token.error());

  // named (core/async.hpp)
  RefreshCommand command{std::move(*refresh_token), request.client_address, request.log_context()};
  auto refreshing = service_.refresh(std::move(command));
  auto pair = co_await std::move(refreshing);
  if (!pair) co_return error_response(pair.error());
  const auto& access = pair->access_token;
  // The router adds Cache-Control: no-store, which RFC 6749 §5.1 requires of token responses.
  co_return json_response(200, {
                                   {"access_token", access.token},
                                   {"token_type", "bearer"},
                                   {"expires_in", access.claims.expires_at - access.claims.issued_at},
                                   {"refresh_token", pair->refresh_token},
                               });
}

awaitable<HttpResponse> SessionHandlers::logout(HttpRequest request) {
  auto authenticating = authenticate(request);  // named (core/async.hpp)
  auto caller = co_await std::move(authenticating);
  if (!caller) co_return error_response(caller.error());
  bool all = false;
  // The body is optional: a bare POST ends this session.
  if (!request.body.empty()) {
    const auto body = parse_json_object(request);
    if (!body) co_return error_response(body.error());
    auto everywhere = optional_bool(*body, "all", false);
    if (!everywhere) co_return error_response(everywhere.error());
    all = *everywhere;
  }
  // named (core/async.hpp)
  auto logging_out = service_.logout(std::move(*caller), all, request.client_address, request.log_context());
  const int ended = co_await std::move(logging_out);
  co_return json_response(200, {{"success", true}, {"message", "Logged out"}, {"sessions_ended", ended}});
}

awaitable<HttpResponse> SessionHandlers::me(HttpRequest request) {
  auto authenticating = authenticate(request);  // named (core/async.hpp)
  auto caller = co_await std::move(authenticating);
  if (!caller) co_return error_response(caller.error());
  auto reading = service_.me(std::move(*caller));
  auto user = co_await std::move(reading);
  if (!user) co_return error_response(user.error());
  co_return json_response(200, {
                                   {"id", user->id},
                                   {"phone_number", user->phone_number},
                                   {"created_at", format_rfc3339(user->created_at)},
                                   {"last_login_at", user->last_login_at ? nlohmann::json(format_rfc3339(
                                                                               *user->last_login_at))
                                                                         : nlohmann::json(nullptr)},
                               });
}

}  // namespace sms_auth
