// `check-config` and `migrate`: the commands that need the configuration but not the server.
#include <iostream>

#include "app/cli.hpp"
#include "app/factories.hpp"
#include "auth/sms_text.hpp"

namespace sms_auth {

void add_check_config_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("check-config", "Validate the configuration and say what is wrong, without starting");
  command->callback([&exit_code] {
    exit_code = run_command("check-config", [] {
      const auto config = load_config_or_report();
      if (!config) return kExitUsage;
      check_startup(*config);  // what only start-up would find (keys, database kind, sender), without side effects
      for (const auto& text : measure_sms_texts(config->sms_texts, config->otp.code_ttl))
        std::cout << describe_sms_text_size(text) << "\n";
      std::string gateways;
      for (const auto& name : config->sms_gateways) {
        gateways += std::string(gateways.empty() ? "" : ", then ") + (name == "mobizon" ? "Mobizon" : "the HTTPS relay");
      }
      std::cout << "configuration ok (" << (config->sms_test_mode ? "SMS test mode" : "sending through " + gateways)
                << ", database " << config->database_url.substr(0, config->database_url.find(':')) << ")\n";
      return kExitOk;
    });
  });
}

void add_migrate_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("migrate", "Create or upgrade the database schema");
  command->callback([&exit_code] {
    exit_code = run_command("migrate", [] {
      const auto config = load_config_or_report();
      if (!config) return kExitUsage;
      auto repository = open_repository(*config);
      const int before = repository->schema_version();
      repository->migrate();
      std::cout << "schema at version " << repository->schema_version() << " (was " << before << ")\n";
      return kExitOk;
    });
  });
}

}  // namespace sms_auth
