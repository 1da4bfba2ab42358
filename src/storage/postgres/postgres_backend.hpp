// The PostgreSQL kind for the storage engine: a factory of connections (PostgresRepository) and the pool's shape.
#pragma once

#include "storage/postgres/pg_connection.hpp"
#include "storage/storage_engine.hpp"

namespace sms_auth {

// `pool_size` threads, each owning one connection (DATABASE_POOL_SIZE). Every connection is opened (and so the
// database reached) when the engine starts; one that breaks is reopened by the engine for its next call.
StorageBackend postgres_storage_backend(PgSettings settings, int pool_size);

}  // namespace sms_auth
