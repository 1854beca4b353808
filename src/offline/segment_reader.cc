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
  std::string list;
  for (const std::string& f : files) list += (list.empty() ? "" : ", ") + io::QuoteLiteral(f);
  // Every row group's key range and row count, from the Parquet footers (no data is read).
  std::unique_ptr<io::DuckDb> db = Borrow();
  const Batch groups =
      db->Query(fmt::format("SELECT row_group_num_rows AS n, stats_min_value AS lo FROM "
                            "parquet_metadata([{}]) WHERE path_in_schema = {}",
                            list, io::QuoteLiteral(key)),
                Context(bucket));
  Return(std::move(db));
  struct Group {
    Value lo;
    int64_t rows;
  };
  std::vector<Group> sorted;
  const Column& n = groups.Get("n");
  const Column& lo = groups.Get("lo");
  for (size_t g = 0; g < groups.num_rows; ++g) {
    if (lo.IsNull(g)) return {engine::KeySlice{}};  // no statistics: read the bucket whole
    const std::string& text = lo.str[g];
    sorted.push_back(
        {type == DataType::kString ? Value::String(text) : Value::Int(std::stoll(text)), n.i64[g]});
  }
  auto less = [](const Value& a, const Value& b) {
    return a.type == DataType::kString ? a.s < b.s : a.i < b.i;
  };
  std::sort(sorted.begin(), sorted.end(),
            [&](const Group& a, const Group& b) { return less(a.lo, b.lo); });
  // Cut before the row group that would take a slice past max_rows: a slice reads the row
  // groups starting in it and the tails of groups straddling its lower bound.
  std::vector<engine::KeySlice> slices(1);
  int64_t in_slice = 0;
  for (const Group& g : sorted) {
    if (in_slice > 0 && in_slice + g.rows > static_cast<int64_t>(max_rows) &&
        (!slices.back().lo || less(*slices.back().lo, g.lo))) {
      slices.back().hi = g.lo;
      slices.push_back(engine::KeySlice{g.lo, std::nullopt});
      in_slice = 0;
    }
    in_slice += g.rows;
  }
  return slices;
}

}  // namespace sluice::offline
