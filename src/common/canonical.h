// The canonical encoding behind content hashes (deliveries of SQL sources, dataset outputs):
// independent of file format, compression and row-group layout; identical values in the same
// order always give the same hash.
//
// Encoding: a header of the column names and types, then row by row, column by column:
// null → 0x00; otherwise 0x01 followed by int64/timestamp: 8 bytes little-endian; bool: 1
// byte; float64: 8 bytes of its IEEE bits (every NaN as the quiet NaN 0x7ff8000000000000);
// string: 8-byte length + bytes; list<float64>: 8-byte count + 8 bytes per element.
#pragma once

#include "common/hash.h"
#include "sluice/column.h"

namespace sluice {

// Feeds the header for `schema` into `h`.
void HashSchema(const Schema& schema, Sha256& h);
// Feeds rows [begin, end) of `batch` into `h` (row-major).
void HashRows(const Batch& batch, size_t begin, size_t end, Sha256& h);
// The same over `columns`, in that order (the same bytes as a batch of those columns).
void HashRows(const std::vector<const Column*>& columns, size_t begin, size_t end, Sha256& h);

}  // namespace sluice
