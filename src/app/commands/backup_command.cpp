// `backup PATH`: an online copy of the SQLite database while the server runs; PostgreSQL is backed up with pg_dump.
#include <iostream>

#include "app/cli.hpp"
#include "storage/sqlite/sqlite_backup.hpp"

namespace sms_auth {

void add_backup_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("backup", "An online copy of the SQLite database at PATH (safe while serving)");
  auto destination = std::make_shared<std::string>();
  command->add_option("PATH", *destination, "the new file (never overwritten)")->required();
  command->callback([&exit_code, destination] {
    exit_code = run_command("backup", [&destination] {
      const auto config = load_config_or_report();
      if (!config) return kExitUsage;
      if (config->database_url.rfind("sqlite:", 0) != 0) {
        std::cerr << "sms-auth backup: DATABASE_URL is PostgreSQL: back it up with pg_dump (docs/operations.md)\n";
        return kExitUsage;
      }
      try {
        const auto summary = backup_sqlite_database(config->database_url.substr(7), *destination);
        std::cout << "backup written to " << *destination << " (" << summary.pages << " pages, integrity "
                  << summary.integrity << ")\n";
      } catch (const std::invalid_argument& e) {
        std::cerr << "sms-auth backup: " << e.what() << "\n";
        return kExitUsage;
      }
      return kExitOk;
    });
  });
}

}  // namespace sms_auth
