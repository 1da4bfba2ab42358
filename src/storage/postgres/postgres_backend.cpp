// PostgreSQL storage backend: DATABASE_POOL_SIZE connections on the engine's threads.
#include "storage/postgres/postgres_backend.hpp"

#include "storage/postgres/postgres_repository.hpp"

namespace sms_auth {

StorageBackend postgres_storage_backend(PgSettings settings, int pool_size) {
  StorageBackend backend;
  backend.open_connection = [settings = std::move(settings)]() -> std::unique_ptr<Repository> {
    auto repository = std::make_unique<PostgresRepository>(settings);
    repository->connect();  // fail here, naming DATABASE_URL, rather than on the first request
    return repository;
  };
  backend.options.name = "postgresql";
  backend.options.connections = pool_size;
  backend.options.read_connections = 0;  // every connection takes every call: reads are as short as writes
  return backend;
}

}  // namespace sms_auth
