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

std::unique_ptr<Store> OpenStore(const repo::RepoDefinition& repo) {
  const repo::OnlineStoreConfig& c = repo.config.online_store;
  if (c.type == "rocksdb") return OpenRocksDbStore((repo.root / c.path).string());
  throw InputError("online_store type '" + c.type + "' is not supported yet (use rocksdb)");
}

}  // namespace sluice::online
