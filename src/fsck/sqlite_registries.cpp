#include "fsck/sqlite_registries.hpp"

#include <utility>

#include "storage/meta/sqlite/connection.hpp"

namespace berth::fsck {

namespace sqlite = storage::meta::sqlite;

RegistryLister sqlite_registry_lister(std::filesystem::path db_file) {
  return [db_file = std::move(db_file)]() -> Result<std::vector<std::string>> {
    sqlite::ConnectionOptions options;
    options.read_only = true;
    auto conn = BERTH_TRY(sqlite::Connection::open(db_file, options));
    auto stmt =
        BERTH_TRY(conn->prepare("SELECT DISTINCT registry FROM repositories ORDER BY registry"));
    std::vector<std::string> out;
    while (BERTH_TRY(stmt.step())) out.push_back(stmt.column_text(0));
    return out;
  };
}

}  // namespace berth::fsck
