#include "offline/ingest.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "common/canonical.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/key.h"
#include "common/time.h"
#include "common/parallel.h"
#include "common/trace.h"
#include "engine/row_order.h"
#include "io/duckdb.h"
#include "offline/snapshot.h"
#include "repo/checker.h"
#include "repo/loader.h"
#include "sluice/error.h"

namespace sluice::offline {
namespace fs = std::filesystem;

namespace {

std::string RowExample(const Batch& b, size_t row) {
  std::string out = "{";
  for (size_t c = 0; c < b.columns.size(); ++c) {
    if (b.schema[c].name.starts_with("__")) continue;
    if (out.size() > 1) out += ", ";
    out += b.schema[c].name + ": " + b.columns[c].Get(row).ToString();
  }
  return out + "}";
}

// Reads the rows of `files` (or the SQL source) as the source's declared columns, converting
// strings (CSV) to the declared types where needed. Throws InputError for a missing column, a
// column of another type, or values that do not parse.
Batch ReadDelivery(const repo::SourceDef& src, const fs::path& root,
                   const std::vector<std::string>& files, io::DuckDb& db,
                   const std::string& context) {
  const std::string canonical = repo::SourceSql(src, root, files, db);
  const std::vector<io::DescribedColumn> described = db.Describe(canonical, context);
  std::string select;
  std::vector<std::pair<std::string, std::string>> parsed;  // (column, flag column)
  for (const Field& f : src.schema) {
    auto it = std::find_if(described.begin(), described.end(),
                           [&](const auto& d) { return d.name == f.name; });
    if (it == described.end()) {
      std::vector<std::string> names;
      for (const auto& d : described) names.push_back(d.name);
      const std::string near = repo::ClosestName(f.name, names);
      throw InputError(fmt::format("{}: column '{}' of source '{}' is missing{}", context, f.name,
                                   src.name, near.empty() ? "" : " (found '" + near + "')"));
    }
    if (!select.empty()) select += ", ";
    const std::string q = io::QuoteIdent(f.name);
    if (it->type == f.type) {
      select += q;
    } else if (it->type == DataType::kInt64 && f.type == DataType::kFloat64) {
      select += fmt::format("CAST({0} AS DOUBLE) AS {0}", q);  // widening is lossless enough
    } else if (it->type == DataType::kString && f.type != DataType::kFloat64List) {
      const std::string target = f.type == DataType::kInt64     ? "BIGINT"
                                 : f.type == DataType::kFloat64 ? "DOUBLE"
                                 : f.type == DataType::kBool    ? "BOOLEAN"
                                                                : "TIMESTAMP";
      const std::string flag = "__unparsable_" + f.name;
      select += fmt::format("TRY_CAST({0} AS {1}) AS {0}, ({0} IS NOT NULL AND TRY_CAST({0} AS "
                            "{1}) IS NULL) AS {2}, {0} AS {3}",
                            q, target, io::QuoteIdent(flag), io::QuoteIdent("__raw_" + f.name));
      parsed.emplace_back(f.name, flag);
    } else {
      throw InputError(fmt::format("{}: column '{}' has type {} but source '{}' expects {}",
                                   context, f.name,
                                   it->type ? TypeName(*it->type) : it->duckdb_type, src.name,
                                   TypeName(f.type)));
    }
  }
  Batch b = db.Query("SELECT " + select + " FROM (" + canonical + ")", context);
  for (const auto& [column, flag] : parsed) {
    const Column& bad = b.Get(flag);
    size_t count = 0, first = 0;
    for (size_t r = 0; r < b.num_rows; ++r) {
      if (bad.i64[r]) {
        if (count++ == 0) first = r;
      }
    }
    if (count > 0) {
      throw InputError(fmt::format(
          "{}: {} row(s) have a value of column '{}' that is not a valid {}; first: '{}' in row "
          "{}; nothing was committed",
          context, count, column, TypeName(src.schema[FindField(src.schema, column)].type),
          b.Get("__raw_" + column).str[first], first + 1));
    }
  }
  Batch out;
  for (const Field& f : src.schema) out.AddColumn(f.name, std::move(b.columns[b.Find(f.name)]));
  out.num_rows = b.num_rows;
  return out;
}

void RejectNulls(const Batch& b, const std::vector<std::string>& columns, const char* what,
                 const std::string& context) {
  for (const std::string& name : columns) {
    const Column& c = b.Get(name);
    size_t count = 0, first = 0;
    for (size_t r = 0; r < b.num_rows; ++r) {
      if (c.IsNull(r) && count++ == 0) first = r;
    }
    if (count > 0) {
      throw InputError(fmt::format(
          "{}: {} row(s) have a null {} '{}'; first is row {}: {}; nothing was committed", context,
          count, what, name, first + 1, RowExample(b, first)));
    }
  }
}

}  // namespace

fs::path OfflineRoot(const repo::RepoDefinition& repo) {
  const fs::path p(repo.config.offline_store);
  return p.is_absolute() ? p : repo.root / p;
}

IngestResult Ingest(const repo::RepoDefinition& repo, const std::string& source_name,
                    const IngestOptions& options) {
  const repo::SourceDef* src = repo.FindSource(source_name);
  if (!src) {
    std::vector<std::string> names;
    for (const auto& s : repo.sources) names.push_back(s.name);
    const std::string near = repo::ClosestName(source_name, names);
    throw InputError(fmt::format("unknown source '{}'{}", source_name,
                                 near.empty() ? " (run `sluice list` to see sources)"
                                              : "; did you mean '" + near + "'?"));
  }
  SourceLog log(OfflineRoot(repo), src->name);
  fs::create_directories(log.dir() / "segments");
  FileLock lock(log.dir() / "LOCK");
  const std::optional<SnapshotManifest> latest = log.Latest();
  std::set<std::string> committed;
  if (latest) {
    for (const Delivery& d : latest->deliveries) committed.insert(d.content_hash);
  }

  IngestResult result;
  result.source = src->name;
  result.snapshot = latest ? latest->snapshot : 0;
  io::DuckDb db;

  // Which deliveries are new.
  std::vector<Delivery> deliveries;
  std::vector<std::string> new_files;
  if (src->type == "file") {
    std::vector<std::string> files;
    if (!options.path.empty()) {
      const fs::path p = fs::absolute(options.path);
      if (!fs::is_regular_file(p)) throw InputError("--path " + options.path + ": no such file");
      files.push_back(p.string());
    } else {
      files = repo::SourceFiles(*src, repo.root);
      if (files.empty()) {
        throw InputError(fmt::format("source '{}': no file matches '{}'", src->name, src->path));
      }
    }
    for (const std::string& f : files) {
      const std::string hash = Sha256OfFile(f);
      if (!committed.insert(hash).second) continue;
      std::string rel = fs::relative(f, repo.root).string();
      if (rel.starts_with("..")) rel = f;
      deliveries.push_back({hash, rel, 0, 0});
      new_files.push_back(f);
    }
    if (new_files.empty()) {
      result.unchanged = true;
      return result;
    }
  }
  const std::string context =
      src->type == "file"
          ? (new_files.size() == 1 ? "reading " + deliveries[0].file
                                   : fmt::format("reading {} files of source '{}'",
                                                 new_files.size(), src->name))
          : "running the query of source '" + src->name + "'";
  Batch rows;
  {
    ScopedPhase phase("ingest: read");
    rows = ReadDelivery(*src, repo.root, new_files, db, context);
  }
  result.rows_read = static_cast<int64_t>(rows.num_rows);
  if (src->type == "sql") {
    Sha256 h;
    HashSchema(rows.schema, h);
    HashRows(rows, 0, rows.num_rows, h);
    const std::string hash = h.HexDigest();
    if (committed.count(hash)) {
      result.unchanged = true;
      return result;
    }
    deliveries.push_back({hash, "", 0, 0});
  }

  const std::vector<std::string> partition_keys =
      latest ? latest->partition_keys : repo.PartitionKeys(*src);
  const uint32_t bucket_count =
      latest ? latest->bucket_count : static_cast<uint32_t>(repo.config.bucket_count);
  RejectNulls(rows, {src->timestamp_field}, "timestamp", context);
  RejectNulls(rows, repo.AllJoinKeys(*src), "join key", context);

  SnapshotManifest m = latest ? *latest : SnapshotManifest{};
  m.snapshot = (latest ? latest->snapshot : 0) + 1;
  m.parent = latest ? latest->snapshot : 0;
  m.source = src->name;
  m.source_version = src->version;
  m.created_at = NowMicros();
  m.schema = src->schema;
  m.partition_keys = partition_keys;
  m.bucket_count = bucket_count;

  // Ingestion sequence: rows in delivery order, continuing the source's counter.
  std::vector<int64_t> seq(rows.num_rows);
  std::iota(seq.begin(), seq.end(), m.next_seq);
  m.next_seq += static_cast<int64_t>(rows.num_rows);

  std::vector<const Column*> key_columns;
  for (const std::string& k : partition_keys) key_columns.push_back(&rows.Get(k));
  std::vector<std::vector<uint32_t>> buckets(bucket_count);
  std::string encoded;
  for (size_t r = 0; r < rows.num_rows; ++r) {
    encoded.clear();
    AppendKeyEncoding(key_columns, r, encoded);
    buckets[key_columns.empty() ? 0 : BucketOfKey(encoded, bucket_count)].push_back(
        static_cast<uint32_t>(r));
  }
  const Column& ts = rows.Get(src->timestamp_field);
  const Column* created =
      src->created_timestamp_field.empty() ? nullptr : &rows.Get(src->created_timestamp_field);
  Column seq_column(DataType::kInt64);
  seq_column.i64 = std::move(seq);
  seq_column.valid.assign(seq_column.i64.size(), 1);

  // Buckets are independent: sort, gather and write them on parallel workers, each with its
  // own single-threaded DuckDB. Segment metadata is collected per bucket, so the manifest
  // lists segments in bucket order whatever the scheduling.
  const int threads = DefaultThreads();
  std::vector<std::unique_ptr<io::DuckDb>> writers(threads);
  std::vector<std::optional<Segment>> written(bucket_count);
  std::mutex progress_mutex;
  size_t buckets_done = 0;
  ParallelFor(bucket_count, threads, [&](size_t bi, int worker) {
    const uint32_t b = static_cast<uint32_t>(bi);
    if (buckets[b].empty()) return;
    if (!writers[worker]) writers[worker] = std::make_unique<io::DuckDb>(io::DuckDbOptions{1});
    Batch segment;
    {
      ScopedPhase phase("ingest: sort+gather");
      const std::vector<uint32_t> idx = engine::SortRows(key_columns, ts, created,
                                                         seq_column.i64.data(),
                                                         std::move(buckets[b]));
      for (size_t c = 0; c < rows.columns.size(); ++c) {
        segment.AddColumn(rows.schema[c].name, rows.columns[c].Gather(idx));
      }
      segment.AddColumn(kSeqColumn, seq_column.Gather(idx));
    }
    const std::string rel = fmt::format("segments/{:08d}-{:04d}.parquet", m.snapshot, b);
    const fs::path final_path = log.SegmentPath(rel);
    const fs::path tmp = final_path.string() + ".tmp";
    {
      ScopedPhase phase("ingest: write parquet");
      writers[worker]->WriteParquet(segment, tmp.string());
    }
    ScopedPhase phase("ingest: fsync+hash");
    FsyncFile(tmp);
    RenameDurable(tmp, final_path);
    Segment s;
    s.path = rel;
    s.bucket = b;
    s.rows = static_cast<int64_t>(segment.num_rows);
    const Column& seg_ts = segment.Get(src->timestamp_field);
    s.min_ts = *std::min_element(seg_ts.i64.begin(), seg_ts.i64.end());
    s.max_ts = *std::max_element(seg_ts.i64.begin(), seg_ts.i64.end());
    s.sha256 = Sha256OfFile(final_path);
    s.snapshot = m.snapshot;
    written[b] = s;
    CrashPoint("ingest:after-segment");
    std::lock_guard<std::mutex> lock(progress_mutex);
    ++buckets_done;
    if (options.progress) options.progress(static_cast<double>(buckets_done) / bucket_count);
  });
  for (auto& s : written) {
    if (!s) continue;
    m.segments.push_back(*s);
    ++result.segments_written;
  }
  for (Delivery& d : deliveries) {
    d.snapshot = m.snapshot;
    m.deliveries.push_back(d);
  }
  if (deliveries.size() == 1) m.deliveries.back().rows = result.rows_read;
  CrashPoint("ingest:before-commit");
  log.Commit(m);
  CrashPoint("ingest:after-commit");
  result.snapshot = m.snapshot;
  result.rows_committed = result.rows_read;
  return result;
}

}  // namespace sluice::offline
