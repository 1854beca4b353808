#include "engine/point_in_time.h"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <set>

#include "common/key.h"
#include "common/parallel.h"
#include "common/trace.h"
#include "engine/row_order.h"
#include "sluice/error.h"

namespace sluice::engine {
namespace {

constexpr const char* kSeq = "_seq";

// Three-way comparison of key tuples across two batches' columns (same types).
int CompareKeys(const std::vector<const Column*>& a, size_t ra,
                const std::vector<const Column*>& b, size_t rb) {
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k]->type == DataType::kString) {
      const int c = a[k]->str[ra].compare(b[k]->str[rb]);
      if (c != 0) return c < 0 ? -1 : 1;
    } else if (a[k]->i64[ra] != b[k]->i64[rb]) {
      return a[k]->i64[ra] < b[k]->i64[rb] ? -1 : 1;
    }
  }
  return 0;
}

Batch Concatenate(std::vector<Batch>&& parts) {
  if (parts.empty()) return Batch{};
  Batch out = std::move(parts[0]);
  for (size_t p = 1; p < parts.size(); ++p) {
    for (size_t c = 0; c < out.columns.size(); ++c) {
      for (size_t r = 0; r < parts[p].num_rows; ++r) {
        out.columns[c].AppendFrom(parts[p].columns[c], r);
      }
    }
    out.num_rows += parts[p].num_rows;
  }
  return out;
}

// Picks, for each entity row of one bucket, the qualifying source row (or kNoRow).
void PickRows(const LastValueSpec& spec, const Batch& rows, const EntityRows& entities,
              std::vector<uint32_t>& entity_rows, std::vector<uint32_t>& picked) {
  std::vector<const Column*> src_keys;
  for (const std::string& k : spec.join_keys) src_keys.push_back(&rows.Get(k));
  const Column& src_ts = rows.Get(spec.timestamp_field);
  const Column* created =
      spec.created_timestamp_field.empty() ? nullptr : &rows.Get(spec.created_timestamp_field);
  const Column& seq = rows.Get(kSeq);

  std::vector<uint32_t> all(rows.num_rows);
  std::iota(all.begin(), all.end(), 0u);
  const std::vector<uint32_t> order =
      SortRows(src_keys, src_ts, created, seq.i64.data(), std::move(all));
  const Column& ets = *entities.ts;
  std::sort(entity_rows.begin(), entity_rows.end(), [&](uint32_t a, uint32_t b) {
    const int c = CompareKeys(entities.keys, a, entities.keys, b);
    if (c != 0) return c < 0;
    if (ets.i64[a] != ets.i64[b]) return ets.i64[a] < ets.i64[b];
    return a < b;
  });
  picked.assign(entity_rows.size(), Column::kNoRow);
  size_t j = 0;
  for (size_t e = 0; e < entity_rows.size(); ++e) {
    const uint32_t er = entity_rows[e];
    const Micros t = ets.i64[er];
    // Advance past every source row with (key, ts) <= (entity key, t).
    while (j < order.size()) {
      const int c = CompareKeys(src_keys, order[j], entities.keys, er);
      if (c > 0 || (c == 0 && src_ts.i64[order[j]] > t)) break;
      ++j;
    }
    if (j == 0) continue;
    const uint32_t cand = order[j - 1];
    if (CompareKeys(src_keys, cand, entities.keys, er) != 0) continue;
    if (spec.ttl_us && src_ts.i64[cand] <= t - *spec.ttl_us) continue;
    picked[e] = cand;
  }
}

}  // namespace

std::vector<Column> ComputeLastValues(const LastValueSpec& spec, BucketSource& source,
                                      const EntityRows& entities,
                                      const std::function<void(double)>& progress) {
  const size_t n = entities.size();
  std::vector<Column> out;
  for (const auto& f : spec.features) out.push_back(Column::Nulls(f.type(), n));

  // Source columns needed: keys, times, sequence, and every expression input.
  std::vector<std::string> columns = spec.join_keys;
  columns.push_back(spec.timestamp_field);
  if (!spec.created_timestamp_field.empty()) columns.push_back(spec.created_timestamp_field);
  columns.push_back(kSeq);
  for (const auto& f : spec.features) {
    for (const std::string& c : f.columns()) columns.push_back(c);
  }
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());

  // Entity rows go to the bucket their partition keys hash to; when the source is not
  // partitioned by a subset of these join keys, all rows are processed together.
  const std::vector<std::string>& pk = source.partition_keys();
  bool bucketed = !pk.empty();
  std::vector<const Column*> entity_pk;
  for (const std::string& k : pk) {
    auto it = std::find(spec.join_keys.begin(), spec.join_keys.end(), k);
    if (it == spec.join_keys.end()) {
      bucketed = false;
      break;
    }
    entity_pk.push_back(entities.keys[it - spec.join_keys.begin()]);
  }
  const uint32_t nb = bucketed ? source.bucket_count() : 1;
  std::vector<std::vector<uint32_t>> entity_buckets(nb);
  std::string encoded;
  for (size_t r = 0; r < n; ++r) {
    if (entities.ts->IsNull(r)) continue;
    bool null_key = false;
    for (const Column* k : entities.keys) null_key |= k->IsNull(r);
    if (null_key) continue;
    uint32_t b = 0;
    if (bucketed) {
      encoded.clear();
      AppendKeyEncoding(entity_pk, r, encoded);
      b = BucketOfKey(encoded, nb);
    }
    entity_buckets[b].push_back(static_cast<uint32_t>(r));
  }

  // Buckets are independent and write disjoint entity rows of `out`, so they run on parallel
  // workers; BucketSource::Read is thread-safe.
  std::mutex progress_mutex;
  size_t done = 0;
  ParallelFor(nb, DefaultThreads(), [&](size_t bi, int) {
    const uint32_t b = static_cast<uint32_t>(bi);
    if (progress) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      progress(static_cast<double>(done++) / nb);
    }
    if (entity_buckets[b].empty()) return;
    Batch rows;
    {
      ScopedPhase phase("engine: read bucket");
      if (bucketed) {
        rows = source.Read(b, columns);
      } else {
        std::vector<Batch> parts;
        for (uint32_t sb = 0; sb < source.bucket_count(); ++sb) {
          parts.push_back(source.Read(sb, columns));
        }
        rows = Concatenate(std::move(parts));
      }
    }
    if (rows.num_rows == 0) return;
    if (rows.num_rows >= Column::kNoRow) throw InputError("a bucket holds more than 4 billion rows");
    std::vector<uint32_t>& entity_rows = entity_buckets[b];
    std::vector<uint32_t> picked;
    {
      ScopedPhase phase("engine: pick");
      PickRows(spec, rows, entities, entity_rows, picked);
    }
    ScopedPhase eval_phase("engine: gather+evaluate");

    std::vector<uint32_t> src_rows, dst_rows;
    for (size_t e = 0; e < picked.size(); ++e) {
      if (picked[e] == Column::kNoRow) continue;
      src_rows.push_back(picked[e]);
      dst_rows.push_back(entity_rows[e]);
    }
    if (src_rows.empty()) return;
    Batch chosen;
    for (size_t c = 0; c < rows.columns.size(); ++c) {
      chosen.AddColumn(rows.schema[c].name, rows.columns[c].Gather(src_rows));
    }
    for (size_t f = 0; f < spec.features.size(); ++f) {
      const Column values = spec.features[f].Evaluate(chosen);
      for (size_t k = 0; k < dst_rows.size(); ++k) out[f].SetFrom(dst_rows[k], values, k);
    }
  });
  if (progress) progress(1.0);
  return out;
}

}  // namespace sluice::engine
