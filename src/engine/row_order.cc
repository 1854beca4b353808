#include "engine/row_order.h"

#include <algorithm>
#include <tuple>

namespace sluice::engine {
namespace {

// Fast path: up to two int64 keys, everything packed into one struct so that the sort
// compares contiguous memory instead of chasing columns.
std::vector<uint32_t> SortIntKeys(const std::vector<const Column*>& keys, const Column& ts,
                                  const Column* created, const int64_t* seq,
                                  const std::vector<uint32_t>& subset) {
  const size_t n = subset.size();
  struct Row {
    int64_t k0, k1, ts;
    int64_t has_created, created, seq;
    uint32_t index;
  };
  std::vector<Row> rows(n);
  for (size_t j = 0; j < n; ++j) {
    const uint32_t i = subset[j];
    Row& r = rows[j];
    r.k0 = keys.size() > 0 ? keys[0]->i64[i] : 0;
    r.k1 = keys.size() > 1 ? keys[1]->i64[i] : 0;
    r.ts = ts.i64[i];
    r.has_created = created && !created->IsNull(i);
    r.created = r.has_created ? created->i64[i] : 0;
    r.seq = seq[i];
    r.index = i;
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.k0, a.k1, a.ts, a.has_created, a.created, a.seq) <
           std::tie(b.k0, b.k1, b.ts, b.has_created, b.created, b.seq);
  });
  std::vector<uint32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = rows[i].index;
  return out;
}

}  // namespace

std::vector<uint32_t> SortRows(const std::vector<const Column*>& keys, const Column& ts,
                               const Column* created, const int64_t* seq,
                               std::vector<uint32_t> order) {
  auto less = [&](uint32_t a, uint32_t b) {
    for (const Column* k : keys) {
      if (k->type == DataType::kString) {
        const int c = k->str[a].compare(k->str[b]);
        if (c != 0) return c < 0;
      } else if (k->i64[a] != k->i64[b]) {
        return k->i64[a] < k->i64[b];
      }
    }
    if (ts.i64[a] != ts.i64[b]) return ts.i64[a] < ts.i64[b];
    if (created) {
      const bool na = created->IsNull(a), nb = created->IsNull(b);
      if (na != nb) return na;
      if (!na && created->i64[a] != created->i64[b]) return created->i64[a] < created->i64[b];
    }
    return seq[a] < seq[b];
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
  if (int_keys) return SortIntKeys(keys, ts, created, seq, order);
  std::sort(order.begin(), order.end(), less);
  return order;
}

}  // namespace sluice::engine
