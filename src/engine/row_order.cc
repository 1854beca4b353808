#include "engine/row_order.h"

#include <algorithm>
#include <tuple>

namespace sluice::engine {
namespace {

// Fast path for up to two int64 keys: sort compact (keys, ts, seq, index) records, then order
// each run of rows equal on (keys, ts) by created timestamp. Such runs are rare, so the main
// sort compares three or four integers in contiguous memory instead of chasing columns.
template <int kKeys>
std::vector<uint32_t> SortIntKeys(const std::vector<const Column*>& keys, const Column& ts,
                                  const Column* created, const int64_t* seq,
                                  const std::vector<uint32_t>& subset, SortedKeys* sorted) {
  const size_t n = subset.size();
  struct Row {
    int64_t k[kKeys > 0 ? kKeys : 1];
    int64_t ts, seq;
    uint32_t index;
  };
  // Reused by the thread's next sort: a worker sorts bucket after bucket of similar sizes, and
  // fresh pages would each cost a fault and a zeroing.
  thread_local std::vector<Row> rows, scratch;
  rows.resize(n);
  for (size_t j = 0; j < n; ++j) {
    const uint32_t i = subset[j];
    Row& r = rows[j];
    for (int k = 0; k < kKeys; ++k) r.k[k] = keys[k]->i64[i];
    if constexpr (kKeys == 0) r.k[0] = 0;
    r.ts = ts.i64[i];
    r.seq = seq[i];
    r.index = i;
  }
  auto same_key_ts = [](const Row& a, const Row& b) {
    for (int k = 0; k < kKeys; ++k) {
      if (a.k[k] != b.k[k]) return false;
    }
    return a.ts == b.ts;
  };
  auto by_ts_seq = [](const Row& a, const Row& b) {
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.seq < b.seq;
  };
  if (kKeys == 0 || n < 4096) {
    std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      for (int k = 0; k < kKeys; ++k) {
        if (a.k[k] != b.k[k]) return a.k[k] < b.k[k];
      }
      return by_ts_seq(a, b);
    });
  } else {
    // Keys by LSD radix sort (stable, one pass per byte in which keys differ, keys taken
    // relative to their minimum), then each key's rows by (ts, seq); keys hold few rows each.
    scratch.resize(n);
    for (int k = kKeys - 1; k >= 0; --k) {
      int64_t lo = rows[0].k[k];
      for (const Row& r : rows) lo = std::min(lo, r.k[k]);
      uint64_t spread = 0;
      for (const Row& r : rows) spread |= static_cast<uint64_t>(r.k[k]) - static_cast<uint64_t>(lo);
      for (int shift = 0; shift < 64 && (spread >> shift) != 0; shift += 8) {
        size_t count[257] = {};
        auto digit = [&](const Row& r) {
          return ((static_cast<uint64_t>(r.k[k]) - static_cast<uint64_t>(lo)) >> shift) & 0xff;
        };
        for (const Row& r : rows) ++count[digit(r) + 1];
        for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
        for (const Row& r : rows) scratch[count[digit(r)]++] = r;
        rows.swap(scratch);
      }
    }
    auto same_key = [](const Row& a, const Row& b) {
      for (int k = 0; k < kKeys; ++k) {
        if (a.k[k] != b.k[k]) return false;
      }
      return true;
    };
    for (size_t begin = 0; begin < n;) {
      size_t end = begin + 1;
      while (end < n && same_key(rows[begin], rows[end])) ++end;
      if (end - begin > 1) std::sort(rows.begin() + begin, rows.begin() + end, by_ts_seq);
      begin = end;
    }
  }
  if (created) {
    for (size_t begin = 0; begin < n;) {
      size_t end = begin + 1;
      while (end < n && same_key_ts(rows[begin], rows[end])) ++end;
      if (end - begin > 1) {
        // Within the run rows are in seq order; a stable sort by created keeps it for ties.
        std::stable_sort(rows.begin() + begin, rows.begin() + end, [&](const Row& a, const Row& b) {
          const bool na = created->IsNull(a.index), nb = created->IsNull(b.index);
          if (na != nb) return na;
          return !na && created->i64[a.index] < created->i64[b.index];
        });
      }
      begin = end;
    }
  }
  std::vector<uint32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = rows[i].index;
  if (sorted != nullptr) {
    sorted->filled = true;
    sorted->keys.assign(kKeys, std::vector<int64_t>(n));
    sorted->ts.resize(n);
    sorted->seq.resize(n);
    for (size_t i = 0; i < n; ++i) {
      for (int k = 0; k < kKeys; ++k) sorted->keys[k][i] = rows[i].k[k];
      sorted->ts[i] = rows[i].ts;
      sorted->seq[i] = rows[i].seq;
    }
  }
  return out;
}

}  // namespace

std::vector<uint32_t> SortRows(const std::vector<const Column*>& keys, const Column& ts,
                               const Column* created, const int64_t* seq,
                               std::vector<uint32_t> order, SortedKeys* sorted) {
  if (sorted != nullptr) sorted->filled = false;
  auto less = [&](uint32_t a, uint32_t b) {
    for (const Column* k : keys) {
      if (k->type == DataType::kString) {
        const int c = k->str[a].compare(k->str[b]);
        if (c != 0) return c < 0;
      } else if (k->i64[a] != k->i64[b]) {
        return k->i64[a] < k->i64[b];
      }
    }
    // Most comparisons end at the time; only ties read the created and sequence columns.
    if (ts.i64[a] != ts.i64[b]) return ts.i64[a] < ts.i64[b];
    return RowKey::Of(ts, created, seq, a).Compare(RowKey::Of(ts, created, seq, b)) < 0;
  };
  // Rows usually arrive as a few sorted runs (one per segment, each already in this order):
  // merge the runs instead of sorting from scratch.
  std::vector<size_t> bounds = {0};
  for (size_t i = 1; i < order.size() && bounds.size() <= 64; ++i) {
    if (less(order[i], order[i - 1])) bounds.push_back(i);
  }
  if (bounds.size() <= 64) {
    bounds.push_back(order.size());
    while (bounds.size() > 2) {
      std::vector<size_t> merged = {0};
      for (size_t r = 0; r + 2 < bounds.size(); r += 2) {
        std::inplace_merge(order.begin() + bounds[r], order.begin() + bounds[r + 1],
                           order.begin() + bounds[r + 2], less);
        merged.push_back(bounds[r + 2]);
      }
      if (bounds.size() % 2 == 0) merged.push_back(bounds.back());
      bounds = std::move(merged);
    }
    return order;
  }
  const bool int_keys = keys.size() <= 2 && std::all_of(keys.begin(), keys.end(), [](auto* k) {
                          return k->type != DataType::kString;
                        });
  if (int_keys) {
    switch (keys.size()) {
      case 0:
        return SortIntKeys<0>(keys, ts, created, seq, order, sorted);
      case 1:
        return SortIntKeys<1>(keys, ts, created, seq, order, sorted);
      default:
        return SortIntKeys<2>(keys, ts, created, seq, order, sorted);
    }
  }
  std::sort(order.begin(), order.end(), less);
  return order;
}

}  // namespace sluice::engine
