// Pushed rows (SPEC §6, POST /push): appended to the offline log as a delivery of their push
// source and/or applied to the online records of every feature view on that source, by the
// same engine as materialize. One Pusher per writing process; calls must not overlap.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "online/online_view.h"
#include "online/store.h"
#include "repo/definitions.h"

namespace sluice::online {

// Feast's push modes.
enum class PushTo { kOnline, kOffline, kOnlineAndOffline };
// "online" | "offline" | "online_and_offline".
std::optional<PushTo> ParsePushTo(std::string_view text);

struct PushResult {
  int64_t rows = 0;
  int64_t snapshot = 0;           // the offline snapshot committed (0: online only)
  int64_t records_written = 0;    // view records written to the online store
  int64_t late_rows_dropped = 0;  // online-only rows not after their key's newest row
};

class Pusher {
 public:
  Pusher(const repo::RepoDefinition& repo, Store& store);
  ~Pusher();

  // `rows`: the push source's schema columns with the right types; every timestamp and join
  // key present (the caller checks, so that one bad request cannot fail a micro-batch).
  // Durable when it returns: the offline snapshot is committed (fsync, rename), the store
  // write synced. Throws InputError when the log or the store fails.
  PushResult Push(const std::string& source, const Batch& rows, PushTo to);

 private:
  const repo::RepoDefinition& repo_;
  Store& store_;
  std::map<std::string, std::vector<std::unique_ptr<OnlineView>>> views_;  // by source
};

}  // namespace sluice::online
