// The online store: a key-value store of view records (docs/architecture.md, "The online
// path"). Two implementations: RocksDB (embedded, the default) and Redis.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "repo/definitions.h"
#include "sluice/error.h"

namespace sluice::online {

class Store {
 public:
  virtual ~Store() = default;
  // Values of `keys`, nullopt where absent.
  virtual std::vector<std::optional<std::string>> MultiGet(const std::vector<std::string>& keys) = 0;
  // Writes every (key, value) pair; durable when it returns, atomic where the backend allows
  // (RocksDB: one synced WriteBatch; Redis: one MULTI/EXEC).
  virtual void Write(const std::vector<std::pair<std::string, std::string>>& puts) = 0;
  // "rocksdb at PATH", "redis at URL" (for messages).
  virtual std::string Describe() const = 0;

  std::optional<std::string> Get(const std::string& key) { return MultiGet({key})[0]; }
};

// How a process uses the store. RocksDB admits one writing process: `materialize` writes;
// `serve` reads and writes (pushes), and while it runs, `materialize` runs inside it (POST
// /materialize, which the CLI calls when it finds the store busy); `get-online` and
// `consistency-check` read a consistent view as of opening. Redis has no such limits.
enum class StoreMode { kWrite, kRead, kServe };

// Opening a RocksDB store for writing while another process writes it.
class StoreBusyError : public UnavailableError {
 public:
  using UnavailableError::UnavailableError;
};

// Where `sluice serve` writes {pid, port} while it holds an embedded store (RocksDB), so that
// `sluice materialize` can run through it.
std::filesystem::path ServerInfoPath(const repo::RepoDefinition& repo);

// The store configured in `repo.config.online_store` (paths relative to repo.root). Throws
// InputError naming the store when it cannot be opened (for reading: when it does not exist
// yet, with a hint to run materialize).
std::unique_ptr<Store> OpenStore(const repo::RepoDefinition& repo, StoreMode mode);
std::unique_ptr<Store> OpenRocksDbStore(const std::string& path, StoreMode mode);
// url: redis://[:password@]host[:port][/db]; keys are prefixed with "sluice:<project>:".
std::unique_ptr<Store> OpenRedisStore(const std::string& url, const std::string& project);

// Key of view `view`'s record for an entity (its join keys encoded by common/key.h).
std::string RecordKey(const std::string& view, const std::string& encoded_entity);
// Key of view `view`'s materialization progress.
std::string ProgressKey(const std::string& view);

}  // namespace sluice::online
