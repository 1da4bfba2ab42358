// For the repository contract test suite (repository_contract_test.cpp): how an engine joins it. SQLite is built in;
// another engine registers itself from its own test file, e.g. for PostgreSQL when SMS_AUTH_TEST_POSTGRES_URL is set:
//
//   const ContractEngineRegistration kPostgres{{"postgres", [] { return std::make_unique<PostgresTestDatabase>(); }}};
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/storage_engine.hpp"

namespace sms_auth {

// One empty, not yet migrated database for one test, removed (or emptied) when destroyed.
class ContractDatabase {
 public:
  virtual ~ContractDatabase() = default;
  // Opens connections to this database; each call may be used for a separate engine or connection.
  virtual StorageBackend backend() = 0;
};

struct ContractEngine {
  std::string name;  // the test name suffix: letters, digits and '_' only
  std::function<std::unique_ptr<ContractDatabase>()> create;
};

// The engines registered besides SQLite. Read when GoogleTest registers the tests (after static initialization).
inline std::vector<ContractEngine>& more_contract_engines() {
  static std::vector<ContractEngine> engines;
  return engines;
}

struct ContractEngineRegistration {
  explicit ContractEngineRegistration(ContractEngine engine) { more_contract_engines().push_back(std::move(engine)); }
};

}  // namespace sms_auth
