#include "offline/segment_reader.h"

#include <fmt/format.h>

#include "sluice/error.h"

namespace sluice::offline {

SegmentReader::SegmentReader(std::filesystem::path source_dir, SnapshotManifest manifest)
    : dir_(std::move(source_dir)), manifest_(std::move(manifest)) {}

Batch SegmentReader::Read(uint32_t bucket, const std::vector<std::string>& columns) {
  std::vector<std::string> files;
  size_t rows = 0;
  for (const Segment& s : manifest_.segments) {
    if (s.bucket == bucket && s.rows > 0) {
      files.push_back((dir_ / s.path).string());
      rows += s.rows;
    }
  }
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
  for (const std::string& f : files) {
    if (!std::filesystem::exists(f)) {
      throw InputError(fmt::format("segment {} of source '{}' snapshot {} is missing", f,
                                   manifest_.source, manifest_.snapshot));
    }
  }
  std::string list;
  for (const std::string& f : files) list += (list.empty() ? "" : ", ") + io::QuoteLiteral(f);
  std::unique_ptr<io::DuckDb> db;
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!idle_.empty()) {
      db = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!db) db = std::make_unique<io::DuckDb>(io::DuckDbOptions{1});
  // Streamed into columns sized from the manifest's row counts: no copy of the result.
  Batch out = db->QueryStreamed(
      fmt::format("SELECT {} FROM read_parquet([{}], union_by_name = true)", select, list), rows,
      fmt::format("reading bucket {} of source '{}' snapshot {} (corrupt segment?)", bucket,
                  manifest_.source, manifest_.snapshot));
  std::lock_guard<std::mutex> lock(pool_mutex_);
  idle_.push_back(std::move(db));
  return out;
}

}  // namespace sluice::offline
