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
#include "common/parallel.h"
#include "common/time.h"
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

// Counts rows that break one rule across a whole delivery, keeping the first as an example,
// so that a rejection reports the total and where it starts.
struct Violation {
  size_t count = 0;
  size_t first_row = 0;  // 0-based, in delivery order
  std::string example;
};

// The SELECT that reads one delivery as the source's declared columns: strings (CSV, JSON)
// are parsed into the declared type with TRY_CAST, and a flag column marks values that did not
// parse; int64 widens to float64. Throws InputError for a missing or mistyped column.
struct DeliveryQuery {
  std::string sql;
  std::vector<std::string> parsed;  // columns read through TRY_CAST
};

DeliveryQuery BuildDeliveryQuery(const repo::SourceDef& src, const fs::path& root,
                                 const std::vector<std::string>& files, io::DuckDb& db,
                                 const std::string& context) {
  const std::string canonical = repo::SourceSql(src, root, files, db);
  const std::vector<io::DescribedColumn> described = db.Describe(canonical, context);
  DeliveryQuery q;
  std::string select;
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
    const std::string id = io::QuoteIdent(f.name);
    if (it->type == f.type) {
      select += id;
    } else if (it->type == DataType::kInt64 && f.type == DataType::kFloat64) {
      select += fmt::format("CAST({0} AS DOUBLE) AS {0}", id);
    } else if (it->type == DataType::kString && f.type != DataType::kFloat64List) {
      const char* target = f.type == DataType::kInt64     ? "BIGINT"
                           : f.type == DataType::kFloat64 ? "DOUBLE"
                           : f.type == DataType::kBool    ? "BOOLEAN"
                                                          : "TIMESTAMP";
      select += fmt::format(
          "TRY_CAST({0} AS {1}) AS {0}, ({0} IS NOT NULL AND TRY_CAST({0} AS {1}) IS NULL) AS "
          "{2}, {0} AS {3}",
          id, target, io::QuoteIdent("__unparsable_" + f.name), io::QuoteIdent("__raw_" + f.name));
      q.parsed.push_back(f.name);
    } else {
      throw InputError(fmt::format("{}: column '{}' has type {} but source '{}' expects {}",
                                   context, f.name,
                                   it->type ? TypeName(*it->type) : it->duckdb_type, src.name,
                                   TypeName(f.type)));
    }
  }
  q.sql = "SELECT " + select + " FROM (" + canonical + ")";
  return q;
}

// Rows of one ingest spread over buckets as they stream in, so that each bucket's rows sit
// together in memory (sorting and gathering a bucket then stays cache-local).
class BucketPartitioner {
 public:
  BucketPartitioner(const Schema& schema, const std::vector<std::string>& partition_keys,
                    uint32_t bucket_count)
      : partition_keys_(partition_keys), parts_(bucket_count), picks_(bucket_count) {
    for (Batch& p : parts_) {
      for (const Field& f : schema) p.AddColumn(f.name, Column(f.type));
      p.AddColumn(kSeqColumn, Column(DataType::kInt64));
    }
  }

  // Adds `chunk` (source columns then _seq, as in the constructor's schema).
  void Add(const Batch& chunk) {
    std::vector<const Column*> keys;
    for (const std::string& k : partition_keys_) keys.push_back(&chunk.Get(k));
    for (auto& p : picks_) p.clear();
    std::string encoded;
    for (size_t r = 0; r < chunk.num_rows; ++r) {
      uint32_t b = 0;
      if (!keys.empty()) {
        encoded.clear();
        AppendKeyEncoding(keys, r, encoded);
        b = BucketOfKey(encoded, static_cast<uint32_t>(parts_.size()));
      }
      picks_[b].push_back(static_cast<uint32_t>(r));
    }
    for (size_t b = 0; b < parts_.size(); ++b) {
      if (picks_[b].empty()) continue;
      for (size_t c = 0; c < chunk.columns.size(); ++c) {
        parts_[b].columns[c].AppendRows(chunk.columns[c], picks_[b]);
      }
      parts_[b].num_rows += picks_[b].size();
    }
  }

  // Pre-sizes every bucket for `rows` more rows in total (an estimate: growth is still fine),
  // saving the reallocation copies and page faults of growing ten-million-row columns.
  void Reserve(size_t rows) {
    const size_t per_bucket = rows / parts_.size() + rows / parts_.size() / 8 + 16;
    for (Batch& p : parts_) {
      for (Column& c : p.columns) c.Reserve(c.size() + per_bucket);
    }
  }

  std::vector<Batch>& parts() { return parts_; }

 private:
  std::vector<std::string> partition_keys_;
  std::vector<Batch> parts_;
  std::vector<std::vector<uint32_t>> picks_;
};

[[noreturn]] void Reject(const std::string& context, const Violation& v, const std::string& what) {
  throw InputError(fmt::format("{}: {} row(s) {}; first is row {}: {}; nothing was committed",
                               context, v.count, what, v.first_row + 1, v.example));
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

  // Which deliveries are new: each file is identified by the sha256 of its bytes.
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
  } else {
    deliveries.push_back({"", "", 0, 0});  // the query's result; hashed as it is read
  }

  const std::vector<std::string> partition_keys =
      latest ? latest->partition_keys : repo.PartitionKeys(*src);
  const uint32_t bucket_count =
      latest ? latest->bucket_count : static_cast<uint32_t>(repo.config.bucket_count);
  SnapshotManifest m = latest ? *latest : SnapshotManifest{};
  m.snapshot = (latest ? latest->snapshot : 0) + 1;
  m.parent = latest ? latest->snapshot : 0;
  m.source = src->name;
  m.source_version = src->version;
  m.created_at = NowMicros();
  m.schema = src->schema;
  m.partition_keys = partition_keys;
  m.bucket_count = bucket_count;

  // Read every delivery in order (files one at a time, so errors name the file), check each
  // chunk, assign ingestion sequences and spread rows over buckets.
  const std::vector<std::string> join_keys = repo.AllJoinKeys(*src);
  BucketPartitioner partitioner(src->schema, partition_keys, bucket_count);
  io::DuckDb db;
  Sha256 query_hash;
  HashSchema(src->schema, query_hash);
  {
    ScopedPhase phase("ingest: read+partition");
    for (size_t d = 0; d < deliveries.size(); ++d) {
      const std::string context = src->type == "file"
                                      ? "reading " + deliveries[d].file
                                      : "running the query of source '" + src->name + "'";
      const DeliveryQuery q = BuildDeliveryQuery(
          *src, repo.root,
          src->type == "file" ? std::vector<std::string>{new_files[d]} : std::vector<std::string>{},
          db, context);
      if (src->type == "file" && io::FormatOfPath(new_files[d]) == "parquet") {
        // Parquet knows its row count from the footer, without reading the data.
        const Batch count = db.Query("SELECT sum(num_rows)::BIGINT FROM parquet_file_metadata(" +
                                         io::QuoteLiteral(new_files[d]) + ")",
                                     context);
        if (count.num_rows == 1 && !count.columns[0].IsNull(0)) {
          partitioner.Reserve(static_cast<size_t>(count.columns[0].i64[0]));
        }
      }
      std::map<std::string, Violation> unparsable, nulls;
      size_t row = 0;
      db.QueryChunks(
          q.sql,
          [&](Batch&& raw) {
            Batch chunk;
            for (const std::string& c : q.parsed) {
              const Column& bad = raw.Get("__unparsable_" + c);
              for (size_t r = 0; r < raw.num_rows; ++r) {
                if (!bad.i64[r]) continue;
                Violation& v = unparsable[c];
                if (v.count++ == 0) {
                  v.first_row = row + r;
                  v.example = "'" + raw.Get("__raw_" + c).str[r] + "'";
                }
              }
            }
            for (const Field& f : src->schema) {
              chunk.AddColumn(f.name, std::move(raw.columns[raw.Find(f.name)]));
            }
            chunk.num_rows = raw.num_rows;
            auto check_nulls = [&](const std::string& c) {
              const Column& col = chunk.Get(c);
              for (size_t r = 0; r < chunk.num_rows; ++r) {
                if (!col.IsNull(r)) continue;
                Violation& v = nulls[c];
                if (v.count++ == 0) {
                  v.first_row = row + r;
                  v.example = RowExample(chunk, r);
                }
              }
            };
            check_nulls(src->timestamp_field);
            for (const std::string& k : join_keys) check_nulls(k);
            if (src->type == "sql") HashRows(chunk, 0, chunk.num_rows, query_hash);
            Column seq(DataType::kInt64);
            seq.i64.resize(chunk.num_rows);
            std::iota(seq.i64.begin(), seq.i64.end(),
                      m.next_seq + result.rows_read + static_cast<int64_t>(row));
            seq.valid.assign(chunk.num_rows, 1);
            chunk.AddColumn(kSeqColumn, std::move(seq));
            if (unparsable.empty() && nulls.empty()) partitioner.Add(chunk);
            row += chunk.num_rows;
          },
          context);
      for (const auto& [column, v] : unparsable) {
        const DataType t = src->schema[FindField(src->schema, column)].type;
        Reject(context, v,
               fmt::format("have a value of column '{}' that is not a valid {}", column,
                           TypeName(t)));
      }
      if (auto it = nulls.find(src->timestamp_field); it != nulls.end()) {
        Reject(context, it->second, "have a null timestamp '" + it->first + "'");
      }
      for (const auto& [column, v] : nulls) Reject(context, v, "have a null join key '" + column + "'");
      deliveries[d].rows = static_cast<int64_t>(row);
      result.rows_read += static_cast<int64_t>(row);
    }
  }
  if (src->type == "sql") {
    deliveries[0].content_hash = query_hash.HexDigest();
    if (committed.count(deliveries[0].content_hash)) {
      result.unchanged = true;
      result.rows_read = 0;
      return result;
    }
  }
  m.next_seq += result.rows_read;

  // Buckets are independent: sort, gather and write them on parallel workers, each with its
  // own single-threaded DuckDB. Segment metadata is collected per bucket, so the manifest
  // lists segments in bucket order whatever the scheduling.
  std::vector<Batch>& parts = partitioner.parts();
  const int threads = DefaultThreads();
  std::vector<std::unique_ptr<io::DuckDb>> writers(threads);
  std::vector<std::optional<Segment>> written(bucket_count);
  std::mutex progress_mutex;
  size_t buckets_done = 0;
  ParallelFor(bucket_count, threads, [&](size_t bi, int worker) {
    const uint32_t b = static_cast<uint32_t>(bi);
    Batch& part = parts[b];
    if (part.num_rows == 0) return;
    if (!writers[worker]) writers[worker] = std::make_unique<io::DuckDb>(io::DuckDbOptions{1});
    Batch segment;
    {
      ScopedPhase phase("ingest: sort+gather");
      std::vector<const Column*> keys;
      for (const std::string& k : partition_keys) keys.push_back(&part.Get(k));
      std::vector<uint32_t> all(part.num_rows);
      std::iota(all.begin(), all.end(), 0u);
      const std::vector<uint32_t> order = engine::SortRows(
          keys, part.Get(src->timestamp_field),
          src->created_timestamp_field.empty() ? nullptr : &part.Get(src->created_timestamp_field),
          part.Get(kSeqColumn).i64.data(), std::move(all));
      for (size_t c = 0; c < part.columns.size(); ++c) {
        segment.AddColumn(part.schema[c].name, part.columns[c].Gather(order));
      }
      part = Batch{};  // free the unsorted copy
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
    const Column& ts = segment.Get(src->timestamp_field);
    s.min_ts = *std::min_element(ts.i64.begin(), ts.i64.end());
    s.max_ts = *std::max_element(ts.i64.begin(), ts.i64.end());
    s.sha256 = Sha256OfFile(final_path);
    s.snapshot = m.snapshot;
    written[b] = s;
    CrashPoint("ingest:after-segment");
    std::lock_guard<std::mutex> guard(progress_mutex);
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
  CrashPoint("ingest:before-commit");
  log.Commit(m);
  CrashPoint("ingest:after-commit");
  result.snapshot = m.snapshot;
  result.rows_committed = result.rows_read;
  return result;
}

}  // namespace sluice::offline
