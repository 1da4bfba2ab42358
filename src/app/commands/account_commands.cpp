// `users list|show|block|unblock` and `sessions list|revoke`: account administration on the configured database,
// safe to run while `serve` runs (every change is one transaction; the server sees it on the next request).
#include <fmt/format.h>

#include <iostream>
#include <stdexcept>

#include "app/cli.hpp"
#include "app/factories.hpp"
#include "app/startup_error.hpp"
#include "auth/phone_number.hpp"
#include "core/clock.hpp"

namespace sms_auth {
namespace {

constexpr const char* kUserHelp = "USER: a phone number in any form the API accepts, or a user id";

// A subcommand's arguments, shared with its callback (CLI11 binds options to variables that must outlive parsing).
struct AccountArguments {
  std::string user;
  std::string session_id;
  bool blocked_only = false;
  bool include_ended = false;
  int limit = 100;
};

std::unique_ptr<Repository> open_migrated_repository(const Config& config) {
  auto repository = open_repository(config);
  if (repository->schema_version() == 0) {
    throw std::runtime_error("the database has no schema yet; run `sms-auth migrate` first");
  }
  return repository;
}

bool looks_like_user_id(std::string_view text) {
  return text.size() == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' && text[23] == '-';
}

UserRecord find_user(Repository& repository, const Config& config, const std::string& who) {
  if (looks_like_user_id(who)) {
    if (auto user = repository.find_user_by_id(who)) return *user;
    throw std::runtime_error("no user with id " + who);
  }
  // Any region: an administrator may look up a number of a country that is no longer allowed.
  const PhoneNumberParser phones(config.default_region, {});
  const auto phone = phones.parse(who);
  if (!phone) throw ConfigurationError("USER", "is neither a user id nor a mobile number: " + phone.error().detail);
  if (auto user = repository.find_user_by_phone(phone->e164)) return *user;
  throw std::runtime_error("no user with phone number " + phone->e164);
}

std::string optional_time(const std::optional<TimePoint>& t) { return t ? format_rfc3339(*t) : "-"; }

std::string session_status(const SessionRecord& session, TimePoint now) {
  if (session.revoked_at) return "revoked (" + session.revoked_reason + ")";
  if (!session.open_at(now)) return "expired";
  if (!session.refreshable_at(now)) return "idle-expired";
  return "active";
}

void print_user(const UserRecord& user) {
  std::cout << fmt::format("{:<36}  {:<16}  {:<20}  {:<20}  {}\n", user.id, user.phone_number,
                           format_rfc3339(user.created_at), optional_time(user.last_login_at),
                           user.blocked ? "blocked" : "active");
}

void print_sessions(const std::vector<SessionRecord>& sessions) {
  const TimePoint now = SystemTimeSource{}.now();
  std::cout << fmt::format("{:<36}  {:<20}  {:<20}  {:<20}  {}\n", "SESSION", "CREATED", "LAST_USED", "EXPIRES",
                           "STATUS");
  for (const auto& session : sessions) {
    std::cout << fmt::format("{:<36}  {:<20}  {:<20}  {:<20}  {}\n", session.id, format_rfc3339(session.created_at),
                             format_rfc3339(session.last_used_at), format_rfc3339(session.expires_at),
                             session_status(session, now));
  }
}

// Runs `body(config, repository)` as the named command, with the shared failure handling and exit codes.
template <class Body>
void on_run(CLI::App* command, int& exit_code, std::string name, Body body) {
  command->callback([&exit_code, name = std::move(name), body = std::move(body)] {
    exit_code = run_command(name.c_str(), [&] {
      const auto config = load_config_or_report();
      if (!config) return kExitUsage;
      auto repository = open_migrated_repository(*config);
      return body(*config, *repository);
    });
  });
}

}  // namespace

void add_users_command(CLI::App& app, int& exit_code) {
  auto* users = app.add_subcommand("users", "List, show, block and unblock user accounts");
  users->require_subcommand(1);
  auto args = std::make_shared<AccountArguments>();

  auto* list = users->add_subcommand("list", "List users, oldest first: id, phone, created, last login, status");
  list->add_flag("--blocked", args->blocked_only, "Only blocked users");
  list->add_option("--limit", args->limit, "At most this many (default 100)")->check(CLI::Range(1, 1000000));
  on_run(list, exit_code, "users list", [args](const Config&, Repository& repository) {
    std::cout << fmt::format("{:<36}  {:<16}  {:<20}  {:<20}  {}\n", "ID", "PHONE", "CREATED", "LAST_LOGIN", "STATUS");
    for (const auto& user : repository.list_users(UserListQuery{args->blocked_only, args->limit})) print_user(user);
    return kExitOk;
  });

  auto* show = users->add_subcommand("show", "Show one user and their open sessions");
  show->add_option("USER", args->user, kUserHelp)->required();
  on_run(show, exit_code, "users show", [args](const Config& config, Repository& repository) {
    const UserRecord user = find_user(repository, config, args->user);
    std::cout << "id:            " << user.id << "\n"
              << "phone_number:  " << user.phone_number << "\n"
              << "created_at:    " << format_rfc3339(user.created_at) << "\n"
              << "last_login_at: " << optional_time(user.last_login_at) << "\n"
              << "status:        " << (user.blocked ? "blocked" : "active") << "\n\n";
    print_sessions(repository.list_sessions(SessionListQuery{user.id, SystemTimeSource{}.now(), 100}));
    return kExitOk;
  });

  auto* block = users->add_subcommand("block", "Block a user: ends every session; no login or refresh until unblocked");
  block->add_option("USER", args->user, kUserHelp)->required();
  on_run(block, exit_code, "users block", [args](const Config& config, Repository& repository) {
    const UserRecord user = find_user(repository, config, args->user);
    const auto outcome = repository.set_user_blocked(user.id, true, SystemTimeSource{}.now());
    if (!outcome) throw std::runtime_error("the user disappeared");
    std::cout << (outcome->changed ? "blocked " : "already blocked: ") << user.phone_number << " (" << user.id
              << "); sessions ended: " << outcome->sessions_revoked << "\n";
    return kExitOk;
  });

  auto* unblock = users->add_subcommand("unblock", "Unblock a user: they may log in again");
  unblock->add_option("USER", args->user, kUserHelp)->required();
  on_run(unblock, exit_code, "users unblock", [args](const Config& config, Repository& repository) {
    const UserRecord user = find_user(repository, config, args->user);
    const auto outcome = repository.set_user_blocked(user.id, false, SystemTimeSource{}.now());
    if (!outcome) throw std::runtime_error("the user disappeared");
    std::cout << (outcome->changed ? "unblocked " : "not blocked: ") << user.phone_number << " (" << user.id << ")\n";
    return kExitOk;
  });
}

void add_sessions_command(CLI::App& app, int& exit_code) {
  auto* sessions = app.add_subcommand("sessions", "List and revoke a user's sessions (refresh-token families)");
  sessions->require_subcommand(1);
  auto args = std::make_shared<AccountArguments>();

  auto* list = sessions->add_subcommand("list", "List a user's sessions, newest first");
  list->add_option("USER", args->user, kUserHelp)->required();
  list->add_flag("--all", args->include_ended, "Include ended sessions (revoked or expired)");
  list->add_option("--limit", args->limit, "At most this many (default 100)")->check(CLI::Range(1, 1000000));
  on_run(list, exit_code, "sessions list", [args](const Config& config, Repository& repository) {
    const UserRecord user = find_user(repository, config, args->user);
    std::optional<TimePoint> open_at;
    if (!args->include_ended) open_at = SystemTimeSource{}.now();
    print_sessions(repository.list_sessions(SessionListQuery{user.id, open_at, args->limit}));
    return kExitOk;
  });

  auto* revoke = sessions->add_subcommand(
      "revoke", "End a user's sessions (all, or one with --session): their refresh tokens and access tokens stop "
                "working at once");
  revoke->add_option("USER", args->user, kUserHelp)->required();
  revoke->add_option("--session", args->session_id, "Only this session id");
  on_run(revoke, exit_code, "sessions revoke", [args](const Config& config, Repository& repository) {
    const UserRecord user = find_user(repository, config, args->user);
    const TimePoint now = SystemTimeSource{}.now();
    if (!args->session_id.empty()) {
      if (!repository.revoke_session(user.id, args->session_id, now, "admin")) {
        throw std::runtime_error("no open session " + args->session_id + " of " + user.phone_number);
      }
      std::cout << "ended session " << args->session_id << " of " << user.phone_number << "\n";
      return kExitOk;
    }
    const int ended = repository.revoke_user_sessions(user.id, now, "admin");
    std::cout << "ended " << ended << " session(s) of " << user.phone_number << " (" << user.id << ")\n";
    return kExitOk;
  });
}

}  // namespace sms_auth
