#include "online/store.h"

#include "sluice/error.h"

namespace sluice::online {

std::string RecordKey(const std::string& view, const std::string& encoded_entity) {
  std::string k = "v";
  k += '\0';
  k += view;
  k += '\0';
  k += encoded_entity;
  return k;
}

std::string ProgressKey(const std::string& view) {
  std::string k = "m";
  k += '\0';
  k += view;
  return k;
}

std::filesystem::path ServerInfoPath(const repo::RepoDefinition& repo) {
  const std::filesystem::path store = repo.root / repo.config.online_store.path;
  return store.parent_path() / (store.filename().string() + ".server.json");
}

std::unique_ptr<Store> OpenStore(const repo::RepoDefinition& repo, StoreMode mode) {
  const repo::OnlineStoreConfig& c = repo.config.online_store;
  if (c.type == "rocksdb") return OpenRocksDbStore((repo.root / c.path).string(), mode);
  if (c.type == "redis") {
    if (c.url.empty()) throw InputError("online_store of type redis needs a url (redis://host:port)");
    return OpenRedisStore(c.url, repo.config.project);
  }
  throw InputError("unknown online_store type '" + c.type + "' (rocksdb or redis)");
}

}  // namespace sluice::online
