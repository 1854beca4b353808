#include "offline/ingest.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "common/canonical.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/key.h"
#include "common/parallel.h"
#include "common/text.h"
#include "common/time.h"
#include "common/trace.h"
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
      const std::string near = ClosestName(f.name, names);
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
    const std::string near = ClosestName(source_name, names);
    throw InputError(fmt::format("unknown source '{}'{}", source_name,
                                 near.empty() ? " (run `sluice list` to see sources)"
                                              : "; did you mean '" + near + "'?"));
  }
  SourceLog log(OfflineRoot(repo), src->name);
  log.CreateDirectories();
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

  // Stage each new delivery in a DuckDB table (insertion order = delivery order, so rowid is
  // the row's position in its delivery), with its bucket computed by the same function the
  // engine uses. DuckDB then checks, sorts and writes each bucket in parallel and out of core
  // (memory limit, spilling to a temp directory), so memory stays bounded however large the
  // delivery.
  const fs::path spill = log.dir() / "spill";  // DuckDB removes its files when it closes
  fs::create_directories(spill);
  io::DuckDbOptions db_options;
  db_options.memory_limit = "1GB";
  db_options.temp_directory = spill.string();
  io::DuckDb db(db_options);
  std::string keys_sql;
  std::vector<DataType> key_types;
  for (const std::string& k : partition_keys) {
    keys_sql += (keys_sql.empty() ? "" : ", ") + io::QuoteIdent(k);
    key_types.push_back(src->schema[FindField(src->schema, k)].type);
  }
  if (!partition_keys.empty()) db.RegisterBucketFunction("sluice_bucket", key_types, bucket_count);
  const std::string bucket_sql = partition_keys.empty() ? "0::BIGINT" : "sluice_bucket(" + keys_sql + ")";
  std::string columns_sql;
  for (const Field& f : src->schema) {
    columns_sql += (columns_sql.empty() ? "" : ", ") + io::QuoteIdent(f.name);
  }
  const std::vector<std::string> join_keys = repo.AllJoinKeys(*src);
  std::vector<int64_t> first_seq(deliveries.size());
  {
    ScopedPhase phase("ingest: stage+check");
    for (size_t d = 0; d < deliveries.size(); ++d) {
      const std::string context = src->type == "file"
                                      ? "reading " + deliveries[d].file
                                      : "running the query of source '" + src->name + "'";
      const DeliveryQuery q = BuildDeliveryQuery(
          *src, repo.root,
          src->type == "file" ? std::vector<std::string>{new_files[d]} : std::vector<std::string>{},
          db, context);
      const std::string table = fmt::format("staged_{}", d);
      db.Execute(fmt::format("CREATE TABLE {} AS SELECT *, {} AS _bucket FROM ({})", table,
                             bucket_sql, q.sql),
                 context);
      // Every rule over the whole delivery in one scan: (count, first rowid) per rule.
      struct Rule {
        std::string condition, what, column;
        bool parse;
      };
      std::vector<Rule> rules;
      for (const std::string& c : q.parsed) {
        const DataType t = src->schema[FindField(src->schema, c)].type;
        rules.push_back({io::QuoteIdent("__unparsable_" + c),
                         fmt::format("have a value of column '{}' that is not a valid {}", c,
                                     TypeName(t)),
                         c, true});
      }
      rules.push_back({io::QuoteIdent(src->timestamp_field) + " IS NULL",
                       "have a null timestamp '" + src->timestamp_field + "'", "", false});
      for (const std::string& k : join_keys) {
        rules.push_back({io::QuoteIdent(k) + " IS NULL", "have a null join key '" + k + "'", "",
                         false});
      }
      std::string select = "count(*)";
      for (const Rule& r : rules) {
        select += fmt::format(", count(*) FILTER (WHERE {0}), min(rowid) FILTER (WHERE {0})",
                              r.condition);
      }
      const Batch stats = db.Query(fmt::format("SELECT {} FROM {}", select, table), context);
      const int64_t rows = stats.columns[0].i64[0];
      for (size_t i = 0; i < rules.size(); ++i) {
        const int64_t count = stats.columns[1 + 2 * i].i64[0];
        if (count == 0) continue;
        Violation v;
        v.count = static_cast<size_t>(count);
        v.first_row = static_cast<size_t>(stats.columns[2 + 2 * i].i64[0]);
        const Batch example = db.Query(
            fmt::format("SELECT {} FROM {} WHERE rowid = {}",
                        rules[i].parse ? io::QuoteIdent("__raw_" + rules[i].column) : columns_sql,
                        table, v.first_row),
            context);
        v.example = rules[i].parse ? "'" + example.columns[0].str[0] + "'"
                                   : RowExample(example, 0);
        Reject(context, v, rules[i].what);
      }
      deliveries[d].rows = rows;
      first_seq[d] = m.next_seq + result.rows_read;
      result.rows_read += rows;
    }
  }
  if (src->type == "sql") {
    Sha256 h;
    HashSchema(src->schema, h);
    db.QueryChunks(fmt::format("SELECT {} FROM staged_0 ORDER BY rowid", columns_sql),
                   [&](Batch&& b) { HashRows(b, 0, b.num_rows, h); });
    deliveries[0].content_hash = h.HexDigest();
    if (committed.count(deliveries[0].content_hash)) {
      result.unchanged = true;
      result.rows_read = 0;
      return result;
    }
  }
  m.next_seq += result.rows_read;

  // All staged rows with their ingestion sequence, as one relation.
  std::string all_rows;
  for (size_t d = 0; d < deliveries.size(); ++d) {
    all_rows += fmt::format("{}SELECT {}, rowid + {} AS {}, _bucket FROM staged_{}",
                            d ? " UNION ALL " : "", columns_sql, first_seq[d], kSeqColumn, d);
  }
  std::string order_sql = keys_sql.empty() ? "" : keys_sql + ", ";
  order_sql += io::QuoteIdent(src->timestamp_field);
  if (!src->created_timestamp_field.empty()) {
    order_sql += ", " + io::QuoteIdent(src->created_timestamp_field) + " NULLS FIRST";
  }
  const std::string ts_sql = io::QuoteIdent(src->timestamp_field);
  const Batch bucket_stats = db.Query(fmt::format(
      "SELECT _bucket, count(*), epoch_us(min({0})), epoch_us(max({0})) FROM ({1}) "
      "GROUP BY _bucket ORDER BY _bucket",
      ts_sql, all_rows));
  // Buckets are sorted and written concurrently, one connection per worker: one COPY keeps
  // about one core busy. Metadata is collected per bucket, so the manifest lists segments in
  // bucket order whatever the scheduling.
  const int threads = DefaultThreads();
  std::vector<std::unique_ptr<io::DuckDb>> connections(threads);
  std::vector<Segment> written(bucket_stats.num_rows);
  std::mutex progress_mutex;
  size_t done = 0;
  ParallelFor(bucket_stats.num_rows, threads, [&](size_t i, int worker) {
    if (!connections[worker]) connections[worker] = db.Connect();
    const uint32_t b = static_cast<uint32_t>(bucket_stats.columns[0].i64[i]);
    const std::string rel = fmt::format("segments/{:08d}-{:04d}.parquet", m.snapshot, b);
    const fs::path final_path = log.SegmentPath(rel);
    const fs::path tmp = final_path.string() + ".tmp";
    {
      ScopedPhase phase("ingest: sort+write bucket");
      connections[worker]->Execute(
          fmt::format("COPY (SELECT {}, {} FROM ({}) WHERE _bucket = {} ORDER BY {}) TO {} "
                      "(FORMAT parquet)",
                      columns_sql, kSeqColumn, all_rows, b, order_sql,
                      io::QuoteLiteral(tmp.string())),
          "writing " + tmp.string());
    }
    ScopedPhase phase("ingest: fsync+hash");
    FsyncFile(tmp);
    RenameDurable(tmp, final_path);
    Segment& s = written[i];
    s.path = rel;
    s.bucket = b;
    s.rows = bucket_stats.columns[1].i64[i];
    s.min_ts = bucket_stats.columns[2].i64[i];
    s.max_ts = bucket_stats.columns[3].i64[i];
    s.sha256 = Sha256OfFile(final_path);
    s.snapshot = m.snapshot;
    CrashPoint("ingest:after-segment");
    std::lock_guard<std::mutex> lock(progress_mutex);
    if (options.progress) options.progress(static_cast<double>(++done) / bucket_stats.num_rows);
  });
  connections.clear();
  for (Segment& s : written) m.segments.push_back(std::move(s));
  result.segments_written = static_cast<int64_t>(written.size());
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
