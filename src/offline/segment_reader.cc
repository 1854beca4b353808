#include "offline/segment_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "sluice/error.h"

namespace sluice::offline {

SegmentReader::SegmentReader(std::filesystem::path source_dir, SnapshotManifest manifest)
    : dir_(std::move(source_dir)), manifest_(std::move(manifest)) {}

std::vector<std::string> SegmentReader::Files(uint32_t bucket, size_t* rows) const {
  std::vector<std::string> files;
  *rows = 0;
  for (const Segment& s : manifest_.segments) {
    if (s.bucket == bucket && s.rows > 0) {
      files.push_back((dir_ / s.path).string());
      *rows += s.rows;
    }
  }
  for (const std::string& f : files) {
    if (!std::filesystem::exists(f)) {
      throw InputError(fmt::format("segment {} of source '{}' snapshot {} is missing", f,
                                   manifest_.source, manifest_.snapshot));
    }
  }
  return files;
}

std::string SegmentReader::Context(uint32_t bucket) const {
  return fmt::format("reading bucket {} of source '{}' snapshot {} (corrupt segment?)", bucket,
                     manifest_.source, manifest_.snapshot);
}

std::unique_ptr<io::DuckDb> SegmentReader::Borrow() {
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<io::DuckDb> db = std::move(idle_.back());
      idle_.pop_back();
      return db;
    }
  }
  return std::make_unique<io::DuckDb>(io::DuckDbOptions{1});
}

void SegmentReader::Return(std::unique_ptr<io::DuckDb> db) {
  std::lock_guard<std::mutex> lock(pool_mutex_);
  idle_.push_back(std::move(db));
}

Batch SegmentReader::Read(uint32_t bucket, const std::vector<std::string>& columns) {
  return Read(bucket, columns, engine::KeySlice{});
}

Batch SegmentReader::Read(uint32_t bucket, const std::vector<std::string>& columns,
                          const engine::KeySlice& slice) {
  size_t rows = 0;
  const std::vector<std::string> files = Files(bucket, &rows);
  if (files.empty()) {
    Batch empty;
    for (const std::string& c : columns) {
      const int i = FindField(manifest_.schema, c);
      empty.AddColumn(c, Column(i >= 0 ? manifest_.schema[i].type : DataType::kInt64));
    }
    return empty;
  }
  std::string select;
  for (const std::string& c : columns) {
    if (!select.empty()) select += ", ";
    select += io::QuoteIdent(c);
  }
  std::string list;
  for (const std::string& f : files) list += (list.empty() ? "" : ", ") + io::QuoteLiteral(f);
  // A slice is a filter on the first partition key: DuckDB skips the row groups whose
  // statistics lie outside it (segments are sorted by that key).
  std::string where;
  if (!slice.whole()) {
    const std::string key = io::QuoteIdent(manifest_.partition_keys.at(0));
    if (slice.lo) where += fmt::format("{} >= {}", key, io::SqlLiteral(*slice.lo));
    if (slice.hi) {
      where +=
          fmt::format("{}{} < {}", where.empty() ? "" : " AND ", key, io::SqlLiteral(*slice.hi));
    }
    where = " WHERE " + where;
  }
  std::unique_ptr<io::DuckDb> db = Borrow();
  // Streamed into columns sized from the manifest's row counts: no copy of the result.
  Batch out = db->QueryStreamed(
      fmt::format("SELECT {} FROM read_parquet([{}], union_by_name = true){}", select, list, where),
      slice.whole() ? rows : 0, Context(bucket));
  Return(std::move(db));
  return out;
}

namespace {

// Appends rows [begin, end) of `src` to `dst` (the same type).
void AppendRange(const Column& src, size_t begin, size_t end, Column& dst) {
  dst.valid.insert(dst.valid.end(), src.valid.begin() + begin, src.valid.begin() + end);
  switch (src.type) {
    case DataType::kFloat64:
      dst.f64.insert(dst.f64.end(), src.f64.begin() + begin, src.f64.begin() + end);
      break;
    case DataType::kString:
      dst.str.insert(dst.str.end(), src.str.begin() + begin, src.str.begin() + end);
      break;
    case DataType::kFloat64List:
      dst.list.insert(dst.list.end(), src.list.begin() + begin, src.list.begin() + end);
      break;
    default:
      dst.i64.insert(dst.i64.end(), src.i64.begin() + begin, src.i64.begin() + end);
      break;
  }
}

// The slices of one bucket in key order, each segment scanned once (SegmentReader::ReadSlices).
class MergingSliceReader : public engine::SliceReader {
 public:
  MergingSliceReader(const std::vector<std::string>& files,
                     const std::map<std::string, std::set<std::string>>& file_columns,
                     const Schema& schema, std::vector<std::string> columns,
                     const std::string& key, std::string context)
      : db_(io::DuckDbOptions{1}), columns_(std::move(columns)), context_(std::move(context)) {
    // The key column is read too (dropped from the result when not asked for).
    read_ = columns_;
    key_index_ = static_cast<size_t>(std::find(read_.begin(), read_.end(), key) - read_.begin());
    if (key_index_ == read_.size()) read_.push_back(key);
    for (const std::string& c : read_) {
      const int i = FindField(schema, c);
      empty_.AddColumn(c, Column(i >= 0 ? schema[i].type : DataType::kInt64));
    }
    for (const std::string& f : files) {
      // A segment written before a column was added lacks it: null there, as union_by_name.
      const std::set<std::string>& present = file_columns.at(f);
      if (present.empty()) throw InternalError(fmt::format("{}: no schema for {}", context_, f));
      std::string select;
      for (size_t c = 0; c < read_.size(); ++c) {
        if (!select.empty()) select += ", ";
        if (present.count(read_[c])) {
          select += io::QuoteIdent(read_[c]);
        } else {
          select += fmt::format("CAST(NULL AS {}) AS {}", io::DuckTypeOf(empty_.columns[c].type),
                                io::QuoteIdent(read_[c]));
        }
      }
      Run run;
      run.connection = db_.Connect();
      // A scan hands over a chunk at a time: no need for DuckDB's ~1 MB read-ahead per run.
      run.connection->Execute("SET streaming_buffer_size = '32KB'", context_);
      run.cursor = run.connection->OpenCursor(
          fmt::format("SELECT {} FROM read_parquet({})", select, io::QuoteLiteral(f)), context_);
      run.chunk = empty_;
      runs_.push_back(std::move(run));
    }
  }

  Batch Next(const engine::KeySlice& slice) override {
    Batch out = empty_;
    // Slices are cut to about equal sizes: room for a little more than the last one, so the
    // columns do not grow by doubling (up to twice the memory, and a copy of every row).
    for (Column& c : out.columns) c.Reserve(last_rows_ + last_rows_ / 8);
    for (Run& run : runs_) {
      while (true) {
        if (run.pos == run.chunk.num_rows) {
          if (run.done) break;
          run.chunk = empty_;
          run.pos = 0;
          if (!run.cursor->Next(run.chunk)) {
            run.done = true;
            break;
          }
        }
        const Column& k = run.chunk.columns[key_index_];
        const size_t n = run.chunk.num_rows;
        // Rows are sorted by the key: skip those below the slice (a skipped slice's), take
        // those below its upper bound.
        size_t begin = run.pos;
        while (begin < n && slice.lo && engine::CompareKey(k, begin, *slice.lo) < 0) ++begin;
        size_t end = begin;
        while (end < n && (!slice.hi || engine::CompareKey(k, end, *slice.hi) < 0)) ++end;
        if (end > begin) {
          for (size_t c = 0; c < out.columns.size(); ++c) {
            AppendRange(run.chunk.columns[c], begin, end, out.columns[c]);
          }
          out.num_rows += end - begin;
        }
        run.pos = end;
        if (end < n) break;  // the rest belongs to later slices
      }
    }
    if (read_.size() > columns_.size()) {
      out.columns.pop_back();
      out.schema.pop_back();
    }
    last_rows_ = out.num_rows;
    return out;
  }

 private:
  struct Run {
    std::unique_ptr<io::DuckDb> connection;
    std::unique_ptr<io::DuckDb::Cursor> cursor;
    Batch chunk;     // the chunk being consumed
    size_t pos = 0;  // its first row not yet returned
    bool done = false;
  };
  io::DuckDb db_;
  std::vector<std::string> columns_, read_;
  size_t key_index_ = 0;  // of the key column in read_
  std::string context_;
  Batch empty_;
  std::vector<Run> runs_;
  size_t last_rows_ = 0;  // rows of the previous slice
};

}  // namespace

// Few runs: a filtered read per slice decodes little twice and reads in bulk, which is as
// fast as streaming (bench/pit --all, 10M events, 4 runs per bucket), and its slices spread
// over the workers.
constexpr size_t kMergeFrom = 5;

bool SegmentReader::MergesSlices(uint32_t bucket) {
  size_t rows = 0;
  return Files(bucket, &rows).size() >= kMergeFrom && !manifest_.partition_keys.empty();
}

std::unique_ptr<engine::SliceReader> SegmentReader::ReadSlices(
    uint32_t bucket, const std::vector<std::string>& columns) {
  size_t rows = 0;
  const std::vector<std::string> files = Files(bucket, &rows);
  if (files.size() < kMergeFrom || manifest_.partition_keys.empty()) {
    return BucketSource::ReadSlices(bucket, columns);
  }
  std::string list;
  for (const std::string& f : files) list += (list.empty() ? "" : ", ") + io::QuoteLiteral(f);
  std::map<std::string, std::set<std::string>> file_columns;
  for (const std::string& f : files) file_columns[f];
  {
    std::unique_ptr<io::DuckDb> db = Borrow();
    const Batch names = db->Query(
        fmt::format("SELECT file_name, name FROM parquet_schema([{}])", list), Context(bucket));
    Return(std::move(db));
    const Column& file = names.Get("file_name");
    const Column& name = names.Get("name");
    for (size_t r = 0; r < names.num_rows; ++r) file_columns[file.str[r]].insert(name.str[r]);
  }
  return std::make_unique<MergingSliceReader>(files, file_columns, manifest_.schema, columns,
                                              manifest_.partition_keys[0], Context(bucket));
}

std::vector<engine::KeySlice> SegmentReader::Slices(uint32_t bucket, size_t max_rows) {
  size_t rows = 0;
  const std::vector<std::string> files = Files(bucket, &rows);
  // Reading slices holds a little per run besides the slice (ReadSlices): a bucket of many
  // runs is cut finer, so that the two together stay about what 8 runs and a full slice take.
  constexpr size_t kRuns = 8;
  if (files.size() > kRuns) max_rows = std::max<size_t>(4096, max_rows * kRuns / files.size());
  if (rows <= max_rows || manifest_.partition_keys.empty()) return {engine::KeySlice{}};
  const std::string& key = manifest_.partition_keys[0];
  const int k = FindField(manifest_.schema, key);
  const DataType type = manifest_.schema.at(k).type;
  if (type != DataType::kInt64 && type != DataType::kString) return {engine::KeySlice{}};
  std::string list;
  for (const std::string& f : files) list += (list.empty() ? "" : ", ") + io::QuoteLiteral(f);
  // Every row group's key range and row count, from the Parquet footers (no data is read).
  std::unique_ptr<io::DuckDb> db = Borrow();
  const Batch groups = db->Query(
      fmt::format("SELECT row_group_num_rows AS n, stats_min_value AS lo, stats_max_value AS hi "
                  "FROM parquet_metadata([{}]) WHERE path_in_schema = {}",
                  list, io::QuoteLiteral(key)),
      Context(bucket));
  Return(std::move(db));
  const Column& n = groups.Get("n");
  const Column& lo = groups.Get("lo");
  const Column& hi = groups.Get("hi");
  for (size_t g = 0; g < groups.num_rows; ++g) {
    if (lo.IsNull(g) || hi.IsNull(g)) return {engine::KeySlice{}};  // no statistics
  }
  const size_t count = (rows + max_rows - 1) / max_rows;  // slices of about rows / count
  std::vector<engine::KeySlice> slices(1);
  if (type == DataType::kString) {
    // Strings: cut before the row group (by its smallest key) that would take a slice past
    // its share. A slice also holds the tails of groups straddling its lower bound.
    std::vector<std::pair<std::string, int64_t>> sorted;
    for (size_t g = 0; g < groups.num_rows; ++g) sorted.emplace_back(lo.str[g], n.i64[g]);
    std::sort(sorted.begin(), sorted.end());
    int64_t in_slice = 0;
    const auto share = static_cast<int64_t>((rows + count - 1) / count);
    for (const auto& [first, group_rows] : sorted) {
      if (in_slice > 0 && in_slice + group_rows > share &&
          (!slices.back().lo || slices.back().lo->s < first)) {
        slices.back().hi = Value::String(first);
        slices.push_back(engine::KeySlice{Value::String(first), std::nullopt});
        in_slice = 0;
      }
      in_slice += group_rows;
    }
    return slices;
  }
  // Integers: each row group's rows taken as spread evenly over its [min, max] (segments are
  // sorted runs), so the rows below a key c are about F(c) = sum of rows * fraction of the
  // group below c; cut where F reaches each share. Every run contributes to every slice, so
  // counting whole groups would leave a run's straddling group out of the estimate.
  struct Group {
    long double min, max, rows;
  };
  std::vector<Group> spread;
  int64_t low = INT64_MAX, high = INT64_MIN;
  for (size_t g = 0; g < groups.num_rows; ++g) {
    const int64_t a = std::stoll(lo.str[g]), b = std::stoll(hi.str[g]);
    spread.push_back({static_cast<long double>(a), static_cast<long double>(b),
                      static_cast<long double>(n.i64[g])});
    low = std::min(low, a);
    high = std::max(high, b);
  }
  auto below = [&](int64_t c) {  // rows with key < c, about
    long double total = 0;
    for (const Group& g : spread) {
      const long double x = static_cast<long double>(c);
      if (x <= g.min) continue;
      total += x > g.max ? g.rows : g.rows * (x - g.min) / (g.max - g.min + 1);
    }
    return total;
  };
  for (size_t j = 1; j < count; ++j) {
    const long double share = static_cast<long double>(rows) * j / count;
    // The smallest c in (low, high] with below(c) >= share.
    int64_t a = low, b = high;
    while (a < b) {
      const int64_t mid =
          a + static_cast<int64_t>((static_cast<uint64_t>(b) - static_cast<uint64_t>(a)) / 2);
      if (below(mid) >= share) {
        b = mid;
      } else {
        a = mid + 1;
      }
    }
    if (a <= low || (slices.back().lo && a <= slices.back().lo->i)) continue;
    slices.back().hi = Value::Int(a);
    slices.push_back(engine::KeySlice{Value::Int(a), std::nullopt});
  }
  return slices;
}

}  // namespace sluice::offline
