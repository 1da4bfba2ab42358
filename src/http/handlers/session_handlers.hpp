// Sessions after login: POST /api/v1/auth/refresh, POST /api/v1/auth/logout, GET /api/v1/auth/me (spec §3).
#pragma once

#include <vector>

#include "auth/session_service.hpp"
#include "http/router.hpp"

namespace sms_auth {

// Thin adapters: parse the body or the bearer token, call the SessionService, render the OAuth-style response.
class SessionHandlers {
 public:
  explicit SessionHandlers(SessionService& service);

  std::vector<Route> routes();

  awaitable<HttpResponse> refresh(HttpRequest request);
  awaitable<HttpResponse> logout(HttpRequest request);
  awaitable<HttpResponse> me(HttpRequest request);

 private:
  // The bearer token of the request, verified, with its open session; invalid_token otherwise.
  awaitable<result<Authenticated>> authenticate(HttpRequest request);

  SessionService& service_;
};

}  // namespace sms_auth
