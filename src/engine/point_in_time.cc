#include "engine/point_in_time.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <numeric>
#include <set>

#include "common/key.h"
#include "common/parallel.h"
#include "common/time.h"
#include "common/trace.h"
#include "engine/row_order.h"
#include "sluice/error.h"

namespace sluice::engine {
namespace {

constexpr const char* kSeq = "_seq";


// Three-way comparison of key tuples across two batches' columns (same types).
int CompareKeys(const std::vector<const Column*>& a, size_t ra, const std::vector<const Column*>& b,
                size_t rb) {
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

// CompareKeys bound to two key-column lists, with the common case of one integer key inlined.
class KeyComparator {
 public:
  KeyComparator(const std::vector<const Column*>& a, const std::vector<const Column*>& b)
      : a_(a), b_(b), one_int_(a.size() == 1 && a[0]->type != DataType::kString) {}
  int operator()(size_t ra, size_t rb) const {
    if (one_int_) {
      const int64_t x = a_[0]->i64[ra], y = b_[0]->i64[rb];
      return (x > y) - (x < y);
    }
    return CompareKeys(a_, ra, b_, rb);
  }

 private:
  const std::vector<const Column*>& a_;
  const std::vector<const Column*>& b_;
  bool one_int_;
};

Batch Concatenate(std::vector<Batch>&& parts) {
  if (parts.empty()) return Batch{};
  Batch out = std::move(parts[0]);
  for (size_t p = 1; p < parts.size(); ++p) out.Append(parts[p]);
  return out;
}

// Picks, for each entity row of one bucket, the qualifying source row (or kNoRow).
// Also leaves the bucket's source rows in the shared row order in `order` and `entity_rows`
// sorted by (key, t).
void PickRows(const LastValueSpec& spec, const Batch& rows, const EntityRows& entities,
              std::vector<uint32_t>& entity_rows, std::vector<Micros>& entity_ts,
              std::vector<uint32_t>& picked, std::vector<uint32_t>& order) {
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
  const KeyComparator entity_vs_entity(entities.keys, entities.keys);
  const KeyComparator source_vs_entity(src_keys, entities.keys);
  if (entities.keys.size() == 1 && entities.keys[0]->type != DataType::kString) {
    // One integer key: sort (key, t, row) triples in place, without indirection.
    struct Entry {
      int64_t key;
      Micros t;
      uint32_t row;
    };
    std::vector<Entry> entries(entity_rows.size());
    for (size_t i = 0; i < entity_rows.size(); ++i) {
      const uint32_t r = entity_rows[i];
      entries[i] = {entities.keys[0]->i64[r], ets.i64[r], r};
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      if (a.key != b.key) return a.key < b.key;
      if (a.t != b.t) return a.t < b.t;
      return a.row < b.row;
    });
    entity_ts.resize(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      entity_rows[i] = entries[i].row;
      entity_ts[i] = entries[i].t;
    }
  } else {
    std::sort(entity_rows.begin(), entity_rows.end(), [&](uint32_t a, uint32_t b) {
      const int c = entity_vs_entity(a, b);
      if (c != 0) return c < 0;
      if (ets.i64[a] != ets.i64[b]) return ets.i64[a] < ets.i64[b];
      return a < b;
    });
    entity_ts.resize(entity_rows.size());
    for (size_t i = 0; i < entity_rows.size(); ++i) entity_ts[i] = ets.i64[entity_rows[i]];
  }
  picked.assign(entity_rows.size(), Column::kNoRow);
  size_t j = 0;
  for (size_t e = 0; e < entity_rows.size(); ++e) {
    const uint32_t er = entity_rows[e];
    const Micros t = entity_ts[e];
    // Advance past every source row with (key, ts) <= (entity key, t).
    while (j < order.size()) {
      const int c = source_vs_entity(order[j], er);
      if (c > 0 || (c == 0 && src_ts.i64[order[j]] > t)) break;
      ++j;
    }
    if (j == 0) continue;
    const uint32_t cand = order[j - 1];
    if (source_vs_entity(cand, er) != 0) continue;
    if (!WithinTtl(spec.ttl_us, src_ts.i64[cand], t)) continue;
    picked[e] = cand;
  }
}

// States of one function, allocated in blocks that never move (states may hold pointers into
// themselves, e.g. a short std::string), destroyed together by Clear.
class StateArena {
 public:
  explicit StateArena(const AggregateFunction& fn) : fn_(fn), words_((fn.state_size() + 7) / 8) {}
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
// rows (indices into `batch`) in row order; `ents[e_begin, e_end)` its entity rows sorted by
// time, `ets` their times (aligned with `ents`, read sequentially).
//
// Entity rows are visited in time order and the key's rows are consumed once, lazily: rows
// before the current window's first tile are skipped without being read, rows of full tiles
// are Updated into their tile's state when a window first needs them, and the rows of the
// current (partial) tile are Updated into a scratch state per entity row. Only rows that some
// window covers are ever touched.
class WindowEvaluator {
 public:
  WindowEvaluator(const WindowFeature& w, const Batch& batch, const Column& ts)
      : w_(w), ts_(ts), input_(w, batch, ts), tiles_(*w.fn), full_(*w.fn), scratch_(*w.fn) {}

  void Run(const uint32_t* rows, size_t n, const std::vector<uint32_t>& ents, size_t e_begin,
           size_t e_end, const std::vector<Micros>& ets, Column& out) {
    if (w_.hop_us == 0) {
      RunExact(rows, n, ents, e_begin, e_end, ets, out);
    } else {
      RunTiled(rows, n, ents, e_begin, e_end, ets, out);
    }
  }

 private:
  bool Qualifies(uint32_t r) const { return input_.Qualifies(r); }

  // hop 0: the rows with t - window < ts <= t, Updated in row order into one state.
  void RunExact(const uint32_t* rows, size_t n, const std::vector<uint32_t>& ents, size_t e_begin,
                size_t e_end, const std::vector<Micros>& ets, Column& out) {
    const AggregateFunction& fn = *w_.fn;
    size_t lo = 0, hi = 0;
    for (size_t e = e_begin; e < e_end; ++e) {
      const uint32_t er = ents[e];
      const Micros t = ets[e];
      while (hi < n && ts_.i64[rows[hi]] <= t) ++hi;
      while (lo < hi && !InExactWindow(w_, ts_.i64[rows[lo]], t)) ++lo;
      scratch_.Clear();
      char* st = nullptr;
      for (size_t i = lo; i < hi; ++i) {
        if (!Qualifies(rows[i])) continue;
        if (st == nullptr) st = scratch_.Add();
        fn.Update(st, input_.values(), rows[i]);
      }
      if (st != nullptr) SetOut(fn, st, out, er);  // else the prefilled empty value stays
    }
  }

  // Tiles of `hop`: full tiles merged oldest first (shared by the entity rows of one current
  // tile), then the current tile's rows with ts <= t.
  void RunTiled(const uint32_t* rows, size_t n, const std::vector<uint32_t>& ents, size_t e_begin,
                size_t e_end, const std::vector<Micros>& ets, Column& out) {
    const AggregateFunction& fn = *w_.fn;
    tiles_.Clear();
    tile_index_.clear();
    size_t next = 0;   // first row not yet consumed into a full tile or skipped
    size_t first = 0;  // first live tile (>= the window's first tile)
    bool have_full = false;
    Micros full_current = 0;
    for (size_t e = e_begin; e < e_end; ++e) {
      const uint32_t er = ents[e];
      const Micros t = ets[e];
      const TileSpan span = WindowTiles(w_, t);
      const int64_t current = span.current, from = span.first;
      const Micros window_start = span.start_us, current_start = span.current_start_us;
      // Rows before the window are never needed again (entity times only grow).
      while (next < n && ts_.i64[rows[next]] < window_start) ++next;
      // Rows of full tiles [from, current) go into their tile's state.
      bool added = false;
      for (; next < n; ++next) {
        const uint32_t r = rows[next];
        const Micros ts = ts_.i64[r];
        if (ts >= current_start) break;
        if (!Qualifies(r)) continue;
        const int64_t tile = TileOf(w_, ts);
        if (tile_index_.size() == first || tile_index_.back() != tile) {
          tile_index_.push_back(tile);
          tiles_.Add();
        }
        fn.Update(tiles_.At(tiles_.size() - 1), input_.values(), r);
        added = true;
      }
      while (first < tile_index_.size() && tile_index_[first] < from) ++first;
      // Every live tile is now a full tile of this window; their merge depends only on the
      // current tile, so entity rows in the same tile share it.
      if (!have_full || current != full_current || added) {
        full_.Clear();
        if (first < tile_index_.size()) {
          char* full = full_.Add();
          for (size_t k = first; k < tile_index_.size(); ++k) fn.Merge(full, tiles_.At(k));
        }
        full_current = current;
        have_full = true;
      }
      // The partial tile: rows from `next` with ts <= t (all in the current tile).
      scratch_.Clear();
      char* partial = nullptr;
      for (size_t i = next; i < n && ts_.i64[rows[i]] <= t; ++i) {
        if (!Qualifies(rows[i])) continue;
        if (partial == nullptr) partial = scratch_.Add();
        fn.Update(partial, input_.values(), rows[i]);
      }
      const char* full = full_.size() > 0 ? full_.At(0) : nullptr;
      if (full != nullptr || partial != nullptr) {
        FinalizeWindow(fn, full, partial, scratch_.Add(), out, er);
      }  // else no rows: the prefilled empty value stays
    }
  }

  static void SetOut(const AggregateFunction& fn, const char* state, Column& out, uint32_t row) {
    out.valid[row] = 0;
    fn.Finalize(state, out, row);
  }
  const WindowFeature& w_;
  const Column& ts_;
  WindowInput input_;
  StateArena tiles_, full_, scratch_;
  std::vector<Micros> tile_index_;
};

// Window features of one bucket: walks key groups of the sorted source rows and the sorted
// entity rows together; each window feature evaluates a key's entity rows from that key's rows.
void ComputeWindows(const LastValueSpec& spec, const Batch& rows,
                    const std::vector<uint32_t>& order, const EntityRows& entities,
                    const std::vector<uint32_t>& entity_rows, const std::vector<Micros>& entity_ts,
                    std::vector<Column>& out) {
  std::vector<const Column*> src_keys;
  for (const std::string& k : spec.join_keys) src_keys.push_back(&rows.Get(k));
  const Column& ts = rows.Get(spec.timestamp_field);
  std::vector<std::unique_ptr<WindowEvaluator>> evaluators;
  for (const WindowFeature& w : spec.windows) {
    evaluators.push_back(std::make_unique<WindowEvaluator>(w, rows, ts));
  }
  const KeyComparator entity_vs_entity(entities.keys, entities.keys);
  const KeyComparator source_vs_entity(src_keys, entities.keys);
  size_t j = 0;  // position in `order`
  for (size_t e = 0; e < entity_rows.size();) {
    // The entity rows of one key: [e, e_end).
    size_t e_end = e + 1;
    while (e_end < entity_rows.size() &&
           entity_vs_entity(entity_rows[e], entity_rows[e_end]) == 0) {
      ++e_end;
    }
    while (j < order.size() && source_vs_entity(order[j], entity_rows[e]) < 0) {
      ++j;
    }
    size_t j_end = j;
    while (j_end < order.size() && source_vs_entity(order[j_end], entity_rows[e]) == 0) {
      ++j_end;
    }
    if (j_end > j) {
      for (size_t w = 0; w < evaluators.size(); ++w) {
        evaluators[w]->Run(order.data() + j, j_end - j, entity_rows, e, e_end, entity_ts,
                           out[spec.features.size() + w]);
      }
    }
    j = j_end;
    e = e_end;
  }
}

}  // namespace

std::vector<std::string> SourceColumns(const LastValueSpec& spec) {
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
  return columns;
}

std::vector<Column> ComputeLastValues(const LastValueSpec& spec, BucketSource& source,
                                      const EntityRows& entities,
                                      const std::function<void(double)>& progress) {
  const size_t n = entities.size();
  std::vector<Column> out;
  for (const auto& f : spec.features) out.push_back(Column::Nulls(f.type(), n));

  const std::vector<std::string> columns = SourceColumns(spec);

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
    if (!empty.IsNull(0)) {  // count 0, sum 0; the others stay null
      for (const std::vector<uint32_t>& rows : entity_buckets) {
        for (uint32_t r : rows) col.SetFrom(r, empty, 0);
      }
    }
    out.push_back(std::move(col));
  }

  // Work items: a bucket, or a key slice of it. A bucket of more rows than SliceRows() is read a
  // range of its first partition key at a time (segments are sorted by it), so memory holds
  // about that many source rows per worker whatever the size of the log.
  struct Part {
    uint32_t bucket;
    KeySlice slice;
    std::vector<uint32_t> entity_rows;
  };
  std::vector<Part> parts;
  for (uint32_t b = 0; b < nb; ++b) {
    if (entity_buckets[b].empty()) continue;
    const std::vector<KeySlice> slices =
        bucketed ? source.Slices(b, SliceRows()) : std::vector<KeySlice>{KeySlice{}};
    if (slices.size() == 1) {
      parts.push_back({b, slices[0], std::move(entity_buckets[b])});
      continue;
    }
    for (const KeySlice& slice : slices) {
      Part part{b, slice, {}};
      for (uint32_t r : entity_buckets[b]) {
        if (slice.Contains(*entity_pk[0], r)) part.entity_rows.push_back(r);
      }
      if (!part.entity_rows.empty()) parts.push_back(std::move(part));
    }
  }

  // Parts are independent and write disjoint entity rows of `out`, so they run on parallel
  // workers. A bucket whose source merges slices on read gives its slices to one worker in
  // key order, read by one SliceReader (each source row read once); other parts go alone.
  std::vector<std::pair<size_t, size_t>> bucket_parts;  // [first, end) of parts per work item
  bool merges = false;  // whether the current bucket's slices go together
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i == 0 || parts[i].bucket != parts[i - 1].bucket) {
      merges = bucketed && source.MergesSlices(parts[i].bucket);
      bucket_parts.push_back({i, i});
    } else if (!merges) {
      bucket_parts.push_back({i, i});
    }
    bucket_parts.back().second = i + 1;
  }
  std::mutex progress_mutex;
  size_t done = 0;
  const auto process = [&](Part& part, Batch rows) {
    if (rows.num_rows == 0) return;
    if (rows.num_rows >= Column::kNoRow)
      throw InputError("a bucket holds more than 4 billion rows");
    std::vector<uint32_t>& entity_rows = part.entity_rows;
    std::vector<uint32_t> picked, order;
    std::vector<Micros> entity_ts;  // times of entity_rows, in their sorted order
    {
      ScopedPhase phase("engine: pick");
      PickRows(spec, rows, entities, entity_rows, entity_ts, picked, order);
    }
    if (!spec.windows.empty()) {
      ScopedPhase phase("engine: windows");
      ComputeWindows(spec, rows, order, entities, entity_rows, entity_ts, out);
    }
    ScopedPhase eval_phase("engine: gather+evaluate");

    std::vector<uint32_t> src_rows, dst_rows;
    for (size_t e = 0; e < picked.size(); ++e) {
      if (picked[e] == Column::kNoRow) continue;
      src_rows.push_back(picked[e]);
      dst_rows.push_back(entity_rows[e]);
    }
    if (src_rows.empty() || spec.features.empty()) return;
    const Batch chosen = rows.Gather(src_rows);
    for (size_t f = 0; f < spec.features.size(); ++f) {
      const Column values = spec.features[f].Evaluate(chosen);
      for (size_t k = 0; k < dst_rows.size(); ++k) out[f].SetFrom(dst_rows[k], values, k);
    }
  };
  ParallelFor(bucket_parts.size(), DefaultThreads(), [&](size_t bi, int) {
    const auto [first, end] = bucket_parts[bi];
    const uint32_t b = parts[first].bucket;
    std::unique_ptr<SliceReader> slices;
    if (end - first > 1) slices = source.ReadSlices(b, columns);
    for (size_t pi = first; pi < end; ++pi) {
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(static_cast<double>(done++) / parts.size());
      }
      Batch rows;
      {
        ScopedPhase phase("engine: read bucket");
        if (slices) {
          rows = slices->Next(parts[pi].slice);
        } else if (bucketed) {
          rows = source.Read(b, columns, parts[pi].slice);
        } else {
          std::vector<Batch> all;
          for (uint32_t sb = 0; sb < source.bucket_count(); ++sb) {
            all.push_back(source.Read(sb, columns));
          }
          rows = Concatenate(std::move(all));
        }
      }
      process(parts[pi], std::move(rows));
    }
  });
  if (progress) progress(1.0);
  return out;
}

}  // namespace sluice::engine
