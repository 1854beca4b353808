// The order every path agrees on for a key's rows (SPEC §5.1): by key, then event timestamp,
// then created timestamp (null before any value), then ingestion sequence. Ingest writes
// segments in it (the ORDER BY in offline/ingest.cc); the point-in-time join walks it.
#pragma once

#include <cstdint>
#include <vector>

#include "sluice/column.h"

namespace sluice::engine {

// A row's place in the row order within one key: ts, then created (null first), then seq.
struct RowKey {
  Micros ts = 0;
  bool has_created = false;
  Micros created = 0;
  int64_t seq = 0;

  // Row r of the given columns (`created` may be null: no created timestamp column).
  static RowKey Of(const Column& ts, const Column* created, const int64_t* seq, size_t r) {
    RowKey k;
    k.ts = ts.i64[r];
    if (created != nullptr && !created->IsNull(r)) {
      k.has_created = true;
      k.created = created->i64[r];
    }
    k.seq = seq[r];
    return k;
  }
  // -1, 0, 1: the one comparison of the row order (SortRows uses it too).
  int Compare(const RowKey& o) const {
    if (ts != o.ts) return ts < o.ts ? -1 : 1;
    if (has_created != o.has_created) return has_created ? 1 : -1;  // null first
    if (has_created && created != o.created) return created < o.created ? -1 : 1;
    if (seq != o.seq) return seq < o.seq ? -1 : 1;
    return 0;
  }
};

// The keys, times and sequences of sorted rows, in the output order: what the sort of up to
// two int64 keys has in hand anyway, so a writer need not gather them through the order.
struct SortedKeys {
  bool filled = false;                     // false: the sort took another path
  std::vector<std::vector<int64_t>> keys;  // per key column
  std::vector<int64_t> ts, seq;
};

// `rows` (indices into the given columns) put in that order. `keys` are int64 or string
// columns; `created` may be null (no created timestamp column). Keys compare by value (int64
// numerically, strings bytewise). With `sorted`, the fast path for up to two int64 keys also
// fills it (sorted->filled says whether it did).
std::vector<uint32_t> SortRows(const std::vector<const Column*>& keys, const Column& ts,
                               const Column* created, const int64_t* seq,
                               std::vector<uint32_t> rows, SortedKeys* sorted = nullptr);

}  // namespace sluice::engine
