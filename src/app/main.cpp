// sms-auth: phone-number login over SMS (Mobizon). One binary; the subcommands are the ways to use it.
//
//   serve          the HTTP server: POST /api/v1/sms-auth/{send-code,verify-code,resend-code}, GET /healthz, …
//   migrate        create or upgrade the database schema
//   check-config   validate the configuration without starting
//   keys           generate an Ed25519 signing key, print a key file's public key
//   users          list, show, block, unblock accounts
//   sessions       list and revoke a user's sessions
//   balance        print the Mobizon balance; send-test PHONE sends one real SMS
//   backup PATH    an online copy of the SQLite database
#include <iostream>

#include "app/cli.hpp"
#include "storage/sqlite/sqlite_repository.hpp"

namespace sms_auth {

std::optional<Config> load_config_or_report() {
  ConfigProblems problems;
  const EnvMap env = read_environment(".env", problems);
  auto config = load_config(env);
  if (!config) problems.insert(problems.end(), config.error().begin(), config.error().end());
  if (problems.empty()) return std::move(*config);
  for (const auto& problem : problems) std::cerr << "sms-auth: " << problem.variable << ": " << problem.reason << "\n";
  return std::nullopt;
}

}  // namespace sms_auth

int main(int argc, char** argv) {
  sms_auth::configure_sqlite_for_this_process();  // before anything opens a database
  CLI::App app{"sms-auth: phone-number login over SMS (Mobizon). Configuration comes from the environment and .env."};
  app.require_subcommand(1);
  int exit_code = sms_auth::kExitOk;
  sms_auth::add_serve_command(app, exit_code);
  sms_auth::add_migrate_command(app, exit_code);
  sms_auth::add_check_config_command(app, exit_code);
  sms_auth::add_keys_command(app, exit_code);
  sms_auth::add_users_command(app, exit_code);
  sms_auth::add_sessions_command(app, exit_code);
  sms_auth::add_balance_command(app, exit_code);
  sms_auth::add_send_test_command(app, exit_code);
  sms_auth::add_backup_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? sms_auth::kExitOk : sms_auth::kExitUsage;
  }
  return exit_code;
}
