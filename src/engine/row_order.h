// The order every path agrees on for a key's rows (SPEC §5.1): by key, then event timestamp,
// then created timestamp (null before any value), then ingestion sequence. Ingest writes
// segments in it (the ORDER BY in offline/ingest.cc); the point-in-time join walks it.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/column.h"

namespace sluice::engine {

// `rows` (indices into the given columns) put in that order. `keys` are int64 or string
// columns; `created` may be null (no created timestamp column). Keys compare by value (int64
// numerically, strings bytewise).
std::vector<uint32_t> SortRows(const std::vector<const Column*>& keys, const Column& ts,
                               const Column* created, const int64_t* seq,
                               std::vector<uint32_t> rows);

}  // namespace sluice::engine
