// `sluice ingest` (SPEC §4): reads a source's new deliveries through DuckDB, checks them,
// assigns ingestion sequences, and commits them as sorted, bucketed Parquet segments under a
// new snapshot.
//
// Crash-safety order: segments are written under temporary names, fsynced and renamed; then
// the manifest is written, fsynced and renamed into place (the commit point). Before the
// commit point the previous snapshot stays current and intact; orphan segment files from a
// crash are never listed by any manifest and are removed by `sluice gc`.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "offline/history.h"
#include "offline/snapshot.h"
#include "quality/suite.h"
#include "repo/definitions.h"

namespace sluice::offline {

struct IngestOptions {
  // One delivery to ingest instead of every file matching the source's path ("" = all).
  std::string path;
  // Push sources: the rows of one delivery (the source's schema columns, in order), instead
  // of files. Not deduplicated by content: each push is a delivery of its own.
  const Batch* rows = nullptr;
  // Called with the fraction done (0..1) as buckets are written; may be empty.
  std::function<void(double)> progress;
  // Run the checks and report; commit nothing, write no quarantine (`sluice validate`). Files
  // are judged even when already committed.
  bool validate_only = false;
  // The time freshness rules measure against (0: now).
  Micros now = 0;
  // Store the profile of each delivery (`ingest --no-profile` turns it off: then `sluice
  // profile SOURCE` cannot cover that snapshot).
  bool profile = true;
};

struct IngestResult {
  std::string source;
  int64_t snapshot = 0;  // the new snapshot, or the current one when unchanged
  int64_t rows_read = 0;
  int64_t rows_committed = 0;
  int64_t rows_quarantined = 0;
  bool unchanged = false;  // every delivery was already committed (same content hash)
  int64_t segments_written = 0;
  int64_t first_seq = 0;  // ingestion sequence of the first new row (rows in input order)
  // The check suites' results, per delivery in order (each result's `delivery` names it).
  std::vector<quality::CheckResult> checks;
  // A rule with severity fail failed: nothing was committed (snapshot is the current one).
  bool rejected = false;
  // Per delivery in order: its name (file, "query" or "push") and the profile of its kept rows
  // (empty when profiles were off and no rule needed one).
  std::vector<std::string> delivery_names;
  std::vector<quality::Profile> profiles;
  // Per delivery in order: rows read and rows quarantined (also when validating).
  std::vector<std::pair<int64_t, int64_t>> delivery_rows;
};

// Ingests `source_name` of the applied repository `repo`. Throws InputError (nothing
// committed) for an unknown source, unreadable or malformed data, missing or mistyped
// columns, or rows with a null/unparsable timestamp or join key (with a count and an example)
// unless a check suite quarantines them. Runs the source's check suites on every delivery
// (SPEC §7): rows a quarantine rule rejects go to the delivery's quarantine file; when a fail
// rule fails, nothing is committed and the result has rejected = true.
// options.validate_only: check and report, commit nothing (`sluice validate`).
IngestResult Ingest(const repo::RepoDefinition& repo, const std::string& source_name,
                    const IngestOptions& options);

// The offline store directory of `repo`.
std::filesystem::path OfflineRoot(const repo::RepoDefinition& repo);

}  // namespace sluice::offline
