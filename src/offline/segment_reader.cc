#include "offline/segment_reader.h"

#include <fmt/format.h>

#include <algorithm>

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

std::vector<engine::KeySlice> SegmentReader::Slices(uint32_t bucket, size_t max_rows) {
  size_t rows = 0;
  const std::vector<std::string> files = Files(bucket, &rows);
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
