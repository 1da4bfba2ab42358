// Registers PostgreSQL with the repository contract suite when SMS_AUTH_TEST_POSTGRES_URL names a throwaway
// database (ctest's postgres_unit entry starts one): each test gets a schema of its own, dropped afterwards.
#include <cstdlib>

#include "storage/postgres/postgres_backend.hpp"
#include "storage/postgres/postgres_repository.hpp"
#include "storage/repository_contract.hpp"

namespace sms_auth {
namespace {

std::string schema_name() {
  std::string name = "contract_" + random_uuid();
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

class PostgresContractDatabase final : public ContractDatabase {
 public:
  explicit PostgresContractDatabase(std::string url) : url_(std::move(url)), schema_(schema_name()) {
    PgConnection admin(PgSettings{url_});
    admin.transaction([&](PgConnection& c) { c.exec_simple("CREATE SCHEMA " + schema_); });
  }
  ~PostgresContractDatabase() override {
    try {
      PgConnection admin(PgSettings{url_});
      admin.transaction([&](PgConnection& c) { c.exec_simple("DROP SCHEMA " + schema_ + " CASCADE"); });
    } catch (...) {  // NOLINT(bugprone-empty-catch): the throwaway cluster goes away after the run anyway
    }
  }
  StorageBackend backend() override {
    // Every connection of this test works in the schema (libpq's `options`, appended to the URL's own).
    const char separator = url_.find('?') == std::string::npos ? '?' : '&';
    return postgres_storage_backend(PgSettings{url_ + separator + "options=-csearch_path%3D" + schema_}, 4);
  }

 private:
  std::string url_;
  std::string schema_;
};

// Registered only with a database to run on: without one the suite runs on SQLite alone.
const bool kPostgresRegistered = [] {
  const char* url = std::getenv("SMS_AUTH_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') return false;
  more_contract_engines().push_back(
      {"postgres", [u = std::string(url)] { return std::make_unique<PostgresContractDatabase>(u); }});
  return true;
}();

}  // namespace
}  // namespace sms_auth
