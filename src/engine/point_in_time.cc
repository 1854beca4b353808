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
// Also leaves the bucket's source rows in the shared row order in `order` and `entity_rows`
// sorted by (key, t).
void PickRows(const LastValueSpec& spec, const Batch& rows, const EntityRows& entities,
              std::vector<uint32_t>& entity_rows, std::vector<uint32_t>& picked,
              std::vector<uint32_t>& order) {
  std::vector<const Column*> src_keys;
  for (const std::string& k : spec.join_keys) src_keys.push_back(&rows.Get(k));
  const Column& src_ts = rows.Get(spec.timestamp_field);
  const Column* created =
      spec.created_timestamp_field.empty() ? nullptr : &rows.Get(spec.created_timestamp_field);
  const Column& seq = rows.Get(kSeq);

  std::vector<uint32_t> all(rows.num_rows);
  std::iota(all.begin(), all.end(), 0u);
  order = SortRows(src_keys, src_ts, created, seq.i64.data(), std::move(all));
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

inline Micros FloorDiv(Micros a, Micros b) {
  const Micros q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// States of one function, allocated in blocks that never move (states may hold pointers into
// themselves, e.g. a short std::string), destroyed together by Clear.
class StateArena {
 public:
  explicit StateArena(const AggregateFunction& fn)
      : fn_(fn), words_((fn.state_size() + 7) / 8) {}
  ~StateArena() { Clear(); }
  StateArena(const StateArena&) = delete;
  StateArena& operator=(const StateArena&) = delete;
  // A new Init'ed state; valid until Clear.
  char* Add() {
    if (count_ == blocks_.size() * kBlock) {
      blocks_.push_back(std::make_unique<uint64_t[]>(words_ * kBlock));
    }
    char* p = At(count_++);
    fn_.Init(p);
    return p;
  }
  char* At(size_t i) {
    return reinterpret_cast<char*>(blocks_[i / kBlock].get() + (i % kBlock) * words_);
  }
  size_t size() const { return count_; }
  void Clear() {
    for (size_t i = 0; i < count_; ++i) fn_.Destroy(At(i));
    count_ = 0;  // blocks are kept for reuse
  }

 private:
  static constexpr size_t kBlock = 64;
  const AggregateFunction& fn_;
  size_t words_;
  std::vector<std::unique_ptr<uint64_t[]>> blocks_;
  size_t count_ = 0;
};

// The value of window feature `w` for the entity rows of one key. `rows` are the key's source
// rows (indices into `batch`) in row order; `ents` its entity rows sorted by time.
class WindowEvaluator {
 public:
  WindowEvaluator(const WindowFeature& w, const Batch& batch, const Column& ts)
      : w_(w), ts_(ts), tiles_(*w.fn), full_(*w.fn), result_(*w.fn) {
    if (w.expr) values_ = w.expr->Evaluate(batch);
    if (w.where) mask_ = w.where->Evaluate(batch);
  }

  void Run(const uint32_t* rows, size_t n, const std::vector<uint32_t>& ents, size_t e_begin,
           size_t e_end, const Column& ets, Column& out) {
    const AggregateFunction& fn = *w_.fn;
    const Column& input = w_.expr ? values_ : ts_;
    // The key's qualifying rows, in row order.
    kept_.clear();
    for (size_t i = 0; i < n; ++i) {
      const uint32_t r = rows[i];
      if (w_.where && (mask_.IsNull(r) || mask_.i64[r] == 0)) continue;
      if (w_.expr && values_.IsNull(r)) continue;
      kept_.push_back(r);
    }
    if (kept_.empty()) return;  // every entity row keeps the prefilled empty value
    if (w_.hop_us == 0) {
      size_t lo = 0, hi = 0;
      for (size_t e = e_begin; e < e_end; ++e) {
        const uint32_t er = ents[e];
        const Micros t = ets.i64[er];
        while (hi < kept_.size() && ts_.i64[kept_[hi]] <= t) ++hi;
        while (lo < hi && ts_.i64[kept_[lo]] <= t - w_.window_us) ++lo;
        result_.Clear();
        char* st = result_.Add();
        for (size_t i = lo; i < hi; ++i) fn.Update(st, input, kept_[i]);
        SetOut(fn, st, out, er);
      }
      return;
    }
    // Tiles: one state per tile holding rows, in time order.
    const Micros hop = w_.hop_us;
    const Micros span = w_.window_us / hop;  // tiles per window
    tiles_.Clear();
    tile_index_.clear();
    tile_begin_.clear();
    for (size_t i = 0; i < kept_.size(); ++i) {
      const Micros tile = FloorDiv(ts_.i64[kept_[i]], hop);
      if (tile_index_.empty() || tile_index_.back() != tile) {
        tile_index_.push_back(tile);
        tile_begin_.push_back(i);
        tiles_.Add();
      }
      fn.Update(tiles_.At(tiles_.size() - 1), input, kept_[i]);
    }
    tile_begin_.push_back(kept_.size());
    size_t first = 0;  // first tile >= the window's first tile (moves forward with t)
    Micros cached_current = 0;
    bool have_cached = false;
    for (size_t e = e_begin; e < e_end; ++e) {
      const uint32_t er = ents[e];
      const Micros t = ets.i64[er];
      const Micros current = FloorDiv(t, hop);
      const Micros from = current - span + 1;
      while (first < tile_index_.size() && tile_index_[first] < from) ++first;
      size_t full_end = first;  // tiles [first, full_end) are full tiles of the window
      while (full_end < tile_index_.size() && tile_index_[full_end] < current) ++full_end;
      if (!have_cached || current != cached_current) {
        // The merged full tiles depend only on the current tile: shared by entity rows in it.
        full_.Clear();
        char* full = full_.Add();
        for (size_t k = first; k < full_end; ++k) fn.Merge(full, tiles_.At(k));
        cached_current = current;
        have_cached = true;
      }
      // Result: the merged full tiles, then the partial current tile's rows with ts <= t.
      result_.Clear();
      char* r = result_.Add();
      fn.Merge(r, full_.At(0));
      if (full_end < tile_index_.size() && tile_index_[full_end] == current) {
        char* partial = result_.Add();
        for (size_t i = tile_begin_[full_end]; i < tile_begin_[full_end + 1]; ++i) {
          if (ts_.i64[kept_[i]] > t) break;
          fn.Update(partial, input, kept_[i]);
        }
        fn.Merge(r, partial);
      }
      SetOut(fn, r, out, er);
    }
  }

 private:
  static void SetOut(const AggregateFunction& fn, const char* state, Column& out, uint32_t row) {
    out.valid[row] = 0;
    fn.Finalize(state, out, row);
  }
  const WindowFeature& w_;
  const Column& ts_;
  Column values_, mask_;
  StateArena tiles_, full_, result_;
  std::vector<uint32_t> kept_;
  std::vector<Micros> tile_index_;
  std::vector<size_t> tile_begin_;
};

// Window features of one bucket: walks key groups of the sorted source rows and the sorted
// entity rows together; each window feature evaluates a key's entity rows from that key's rows.
void ComputeWindows(const LastValueSpec& spec, const Batch& rows,
                    const std::vector<uint32_t>& order, const EntityRows& entities,
                    const std::vector<uint32_t>& entity_rows, std::vector<Column>& out) {
  std::vector<const Column*> src_keys;
  for (const std::string& k : spec.join_keys) src_keys.push_back(&rows.Get(k));
  const Column& ts = rows.Get(spec.timestamp_field);
  std::vector<std::unique_ptr<WindowEvaluator>> evaluators;
  for (const WindowFeature& w : spec.windows) {
    evaluators.push_back(std::make_unique<WindowEvaluator>(w, rows, ts));
  }
  size_t j = 0;  // position in `order`
  for (size_t e = 0; e < entity_rows.size();) {
    // The entity rows of one key: [e, e_end).
    size_t e_end = e + 1;
    while (e_end < entity_rows.size() &&
           CompareKeys(entities.keys, entity_rows[e], entities.keys, entity_rows[e_end]) == 0) {
      ++e_end;
    }
    while (j < order.size() && CompareKeys(src_keys, order[j], entities.keys, entity_rows[e]) < 0) {
      ++j;
    }
    size_t j_end = j;
    while (j_end < order.size() &&
           CompareKeys(src_keys, order[j_end], entities.keys, entity_rows[e]) == 0) {
      ++j_end;
    }
    if (j_end > j) {
      for (size_t w = 0; w < evaluators.size(); ++w) {
        evaluators[w]->Run(order.data() + j, j_end - j, entity_rows, e, e_end, *entities.ts,
                           out[spec.features.size() + w]);
      }
    }
    j = j_end;
    e = e_end;
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
  for (const WindowFeature& w : spec.windows) {
    for (const auto* e : {&w.expr, &w.where}) {
      if (*e) {
        for (const std::string& c : (*e)->columns()) columns.push_back(c);
      }
    }
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
  for (const WindowFeature& w : spec.windows) {
    // Every entity row with a time and keys (those in a bucket) starts at the empty window's
    // value (count 0, sum 0, else null); keys with rows in the source overwrite it below.
    Column col = Column::Nulls(w.fn->result_type(), n);
    Column empty = Column::Nulls(w.fn->result_type(), 1);
    AggregateState state(*w.fn);
    w.fn->Finalize(state.get(), empty, 0);
    for (const std::vector<uint32_t>& rows : entity_buckets) {
      for (uint32_t r : rows) col.SetFrom(r, empty, 0);
    }
    out.push_back(std::move(col));
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
    std::vector<uint32_t> picked, order;
    {
      ScopedPhase phase("engine: pick");
      PickRows(spec, rows, entities, entity_rows, picked, order);
    }
    if (!spec.windows.empty()) {
      ScopedPhase phase("engine: windows");
      ComputeWindows(spec, rows, order, entities, entity_rows, out);
    }
    ScopedPhase eval_phase("engine: gather+evaluate");

    std::vector<uint32_t> src_rows, dst_rows;
    for (size_t e = 0; e < picked.size(); ++e) {
      if (picked[e] == Column::kNoRow) continue;
      src_rows.push_back(picked[e]);
      dst_rows.push_back(entity_rows[e]);
    }
    if (src_rows.empty() || spec.features.empty()) return;
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
