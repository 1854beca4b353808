#include "offline/segment_reader.h"

#include <fmt/format.h>

#include "sluice/error.h"

namespace sluice::offline {

SegmentReader::SegmentReader(std::filesystem::path source_dir, SnapshotManifest manifest,
                             io::DuckDb& db)
    : dir_(std::move(source_dir)), manifest_(std::move(manifest)), db_(db) {}

Batch SegmentReader::Read(uint32_t bucket, const std::vector<std::string>& columns) {
  std::vector<std::string> files;
  for (const Segment& s : manifest_.segments) {
    if (s.bucket == bucket && s.rows > 0) files.push_back((dir_ / s.path).string());
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
  return db_.Query(fmt::format("SELECT {} FROM read_parquet([{}], union_by_name = true)", select,
                               list),
                   fmt::format("reading bucket {} of source '{}' snapshot {} (corrupt segment?)",
                               bucket, manifest_.source, manifest_.snapshot));
}

}  // namespace sluice::offline
