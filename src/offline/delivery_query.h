// How ingest reads one delivery: the DuckDB SELECT that turns a file or a query's rows into
// the source's declared columns (docs/architecture.md, "How an ingest runs").
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/duckdb.h"
#include "quality/suite.h"
#include "repo/definitions.h"

namespace sluice::offline {

// The SELECT that reads one delivery as the source's declared columns: strings (CSV, JSON)
// are parsed into the declared type with TRY_CAST, and a flag column marks values that did not
// parse; int64 widens to float64. Throws InputError for a missing or mistyped column.
struct DeliveryQuery {
  std::string sql;
  std::vector<std::string> parsed;                  // columns read through TRY_CAST
  std::vector<quality::DeliveredColumn> delivered;  // as the reader saw them (schema rules)
};

// The query of a delivery of `src`: `files` (file sources; one delivery) or the source's
// query (SQL sources; `files` empty). `context` starts error messages.
DeliveryQuery BuildDeliveryQuery(const repo::SourceDef& src, const std::filesystem::path& root,
                                 const std::vector<std::string>& files, io::DuckDb& db,
                                 const std::string& context);

}  // namespace sluice::offline
