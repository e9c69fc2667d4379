#include "storage/shared_store.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/postgres_pool.h"
#include "storage/postgres_shared_store.h"
#include "storage/sqlite_shared_store.h"
#include "storage/status_macros.h"

namespace tenantry::storage {

absl::StatusOr<std::unique_ptr<SharedStore>> OpenSharedStore(
    absl::string_view url, const SharedStoreOptions& options) {
  constexpr absl::string_view kSqlitePrefix = "sqlite:";
  if (absl::StartsWith(url, kSqlitePrefix) &&
      url.size() > kSqlitePrefix.size()) {
    TENANTRY_ASSIGN_OR_RETURN(
        std::unique_ptr<SqliteSharedStore> store,
        SqliteSharedStore::Open(std::string(url.substr(kSqlitePrefix.size()))));
    return std::unique_ptr<SharedStore>(std::move(store));
  }
  if (absl::StartsWith(url, "postgresql://") ||
      absl::StartsWith(url, "postgres://")) {
    if (options.pool_size < 1) {
      return absl::InvalidArgumentError(
          "the PostgreSQL pool size must be at least 1");
    }
    PostgresSharedStore::Options postgres;
    postgres.url = std::string(url);
    postgres.pool_size = options.pool_size;
    return std::unique_ptr<SharedStore>(
        std::make_unique<PostgresSharedStore>(postgres));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported shared store URL \"", RedactUrl(url),
      "\": expected sqlite:PATH, for example sqlite:data/shared.db, or "
      "postgresql://user:password@host:port/database"));
}

}  // namespace tenantry::storage
