// The command-line interface: one function per subcommand registers it on the CLI11 app.
#pragma once

#include <optional>

#include <CLI/CLI.hpp>

#include "config/config.hpp"

namespace sms_auth {

// Exit codes of every subcommand (docs/api.md, Command line).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// The validated configuration, or nullopt after printing one line per problem to stderr.
std::optional<Config> load_config_or_report();

// Runs `body`, turning the failures every command shares into a one-line reason on stderr and an exit code:
// ConfigurationError → 2, anything else → 1.
template <class Body>
int run_command(const char* name, Body&& body);

void add_serve_command(CLI::App& app, int& exit_code);
void add_migrate_command(CLI::App& app, int& exit_code);
void add_check_config_command(CLI::App& app, int& exit_code);
// Sessions after login (issue 5): keys generate|public, users list|show|block|unblock, sessions list|revoke.
void add_keys_command(CLI::App& app, int& exit_code);
void add_users_command(CLI::App& app, int& exit_code);
void add_sessions_command(CLI::App& app, int& exit_code);
void add_balance_command(CLI::App& app, int& exit_code);
void add_send_test_command(CLI::App& app, int& exit_code);
void add_backup_command(CLI::App& app, int& exit_code);

}  // namespace sms_auth

#include "app/cli_impl.hpp"
