// What a delivery is judged against besides its own rows (SPEC §7): the source's history for
// drift and volume rules (stored profiles and row counts of earlier deliveries), and the keys
// of other sources for referential rules.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/duckdb.h"
#include "offline/snapshot.h"
#include "quality/profile.h"
#include "quality/suite.h"
#include "repo/definitions.h"

namespace sluice::offline {

// What drift and volume rules compare delivery `d` of this run with: the deliveries committed
// before it (their stored profiles, read when a rule asks) and this run's earlier deliveries.
class LogHistory final : public quality::History {
 public:
  // `run`: this ingest's deliveries, `run_profiles` their profiles so far; the history of
  // delivery `d` of the run is the log's deliveries and the run's deliveries before d.
  LogHistory(const SourceLog& log, const std::filesystem::path& root,
             const std::optional<SnapshotManifest>& latest, const std::vector<Delivery>& run,
             const std::vector<quality::Profile>& run_profiles, size_t d)
      : log_(log), root_(root) {
    if (latest) {
      for (const Delivery& x : latest->deliveries) past_.push_back({x, nullptr});
    }
    for (size_t i = 0; i < d; ++i) past_.push_back({run[i], &run_profiles[i]});
  }

  std::optional<quality::Profile> Reference(const std::string& spec) override;
  std::vector<int64_t> RecentRows(int64_t n) override;

 private:
  struct Past {
    Delivery delivery;
    const quality::Profile* profile;  // this run's; nullptr: stored in the log
  };
  const SourceLog& log_;
  std::filesystem::path root_;
  std::vector<Past> past_;
};

// The distinct keys over `columns` of source `name`'s newest snapshot, hashed as referential
// rules compare them (XXH64 of the key encoding). Empty when the source has no snapshot.
quality::DeliveryCheck::KeySet SourceKeys(const repo::RepoDefinition& repo, const std::string& name,
                                          const std::vector<std::string>& columns, io::DuckDb& db);

// The stored profile of committed delivery `d` of `log` (its profile_path must be set). Throws
// InputError naming the file when it is missing or not a profile.
quality::Profile DeliveryProfile(const SourceLog& log, const Delivery& d);

// A source's profile as of snapshot `m`: its deliveries' stored profiles merged. A delivery
// without one (ingested with --no-profile) is an InputError when `require_every`, else skipped.
quality::Profile SnapshotProfile(const SourceLog& log, const SnapshotManifest& m,
                                 bool require_every);

}  // namespace sluice::offline
