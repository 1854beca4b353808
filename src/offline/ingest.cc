#include "offline/ingest.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
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
#include "common/text.h"
#include "common/time.h"
#include "common/trace.h"
#include "engine/row_order.h"
#include "io/duckdb.h"
#include "offline/snapshot.h"
#include "offline/spill.h"
#include "quality/profile.h"
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
  std::vector<quality::DeliveredColumn> delivered;  // as the reader saw them (schema rules)
};

DeliveryQuery BuildDeliveryQuery(const repo::SourceDef& src, const fs::path& root,
                                 const std::vector<std::string>& files, io::DuckDb& db,
                                 const std::string& context) {
  const std::string canonical = repo::SourceSql(src, root, files, db);
  const std::vector<io::DescribedColumn> described = db.Describe(canonical, context);
  DeliveryQuery q;
  for (const auto& d : described) {
    q.delivered.push_back({d.name, d.type ? std::string(TypeName(*d.type)) : d.duckdb_type});
  }
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

// What drift and volume rules compare delivery `d` of this run with: the deliveries committed
// before it (their stored profiles, read when a rule asks) and this run's earlier deliveries.
class LogHistory final : public quality::History {
 public:
  LogHistory(const SourceLog& log, const fs::path& root,
             const std::optional<SnapshotManifest>& latest, const std::vector<Delivery>& run,
             const std::vector<quality::Profile>& run_profiles, size_t d)
      : log_(log), root_(root) {
    if (latest) {
      for (const Delivery& x : latest->deliveries) past_.push_back({x, nullptr});
    }
    for (size_t i = 0; i < d; ++i) past_.push_back({run[i], &run_profiles[i]});
  }

  std::optional<quality::Profile> Reference(const std::string& spec) override {
    if (spec.rfind("file:", 0) == 0) {
      const fs::path p = root_ / spec.substr(5);
      if (!fs::is_regular_file(p)) {
        throw InputError(fmt::format("drift reference {}: no such file {}", spec, p.string()));
      }
      return quality::ProfileFile(p.string());
    }
    if (spec.rfind("snapshot:", 0) == 0) {
      return SnapshotProfile(log_, log_.Load(std::stoll(spec.substr(9))), false);
    }
    const size_t n = spec == "previous" ? 1 : std::stoull(spec.substr(5));  // last:N
    quality::Profile merged;
    bool any = false;
    for (size_t i = past_.size(); i-- > 0 && n > 0;) {
      if (!past_[i].profile && past_[i].delivery.profile_path.empty()) continue;  // --no-profile
      merged.Merge(past_[i].profile ? *past_[i].profile : DeliveryProfile(log_, past_[i].delivery));
      any = true;
      if (past_.size() - i >= n) break;
    }
    if (!any) return std::nullopt;
    return merged;
  }

  std::vector<int64_t> RecentRows(int64_t n) override {
    std::vector<int64_t> out;
    const size_t from = past_.size() > static_cast<size_t>(n) ? past_.size() - n : 0;
    for (size_t i = from; i < past_.size(); ++i) {
      out.push_back(past_[i].delivery.rows - past_[i].delivery.quarantined);
    }
    return out;
  }

 private:
  struct Past {
    Delivery delivery;
    const quality::Profile* profile;  // this run's; nullptr: stored in the log
  };
  const SourceLog& log_;
  fs::path root_;
  std::vector<Past> past_;
};

// The distinct keys over `columns` of source `name`'s newest snapshot, hashed as referential
// rules compare them (XXH64 of the key encoding). Empty when the source has no snapshot.
quality::DeliveryCheck::KeySet SourceKeys(const repo::RepoDefinition& repo,
                                          const std::string& name,
                                          const std::vector<std::string>& columns,
                                          io::DuckDb& db) {
  quality::DeliveryCheck::KeySet keys;
  const SourceLog log(OfflineRoot(repo), name);
  const std::optional<SnapshotManifest> m = log.Latest();
  if (!m || m->segments.empty()) return keys;
  std::string files, select;
  for (const Segment& seg : m->segments) {
    files += (files.empty() ? "" : ", ") + io::QuoteLiteral(log.SegmentPath(seg.path).string());
  }
  for (const std::string& c : columns) select += (select.empty() ? "" : ", ") + io::QuoteIdent(c);
  std::string encoded;
  const size_t limit = quality::DeliveryCheck::KeySetLimit();
  db.QueryChunks(
      fmt::format("SELECT DISTINCT {} FROM read_parquet([{}])", select, files),
      [&](Batch&& b) {
        std::vector<const Column*> cols;
        for (const std::string& c : columns) cols.push_back(&b.Get(c));
        // Past the limit the set stops growing; DeliveryCheck then names the rule in an error.
        for (size_t r = 0; r < b.num_rows && keys.size() <= limit; ++r) {
          encoded.clear();
          AppendKeyEncoding(cols, r, encoded);
          keys.Insert(Xxh64(encoded.data(), encoded.size()));
        }
      },
      "reading the keys of source '" + name + "'");
  return keys;
}

// Quarantined rows held in memory before a part goes to disk (SLUICE_QUARANTINE_PART_ROWS
// overrides: docs/guide.md, "Environment").
size_t QuarantinePartRows() {
  static const size_t rows = [] {
    const char* env = std::getenv("SLUICE_QUARANTINE_PART_ROWS");
    const long long v = env ? std::atoll(env) : 0;
    return v > 0 ? static_cast<size_t>(v) : size_t{1} << 20;
  }();
  return rows;
}

// Writes `rows` (when any) as the next quarantine part of delivery `d` under a temporary name
// (`<part>.tmp`; renamed at commit), appends the part's final name to `parts`, empties `rows`.
void FlushQuarantine(const SourceLog& log, int64_t snapshot, size_t d, Batch& rows,
                     std::vector<std::string>& parts, io::DuckDb& db) {
  if (rows.num_rows == 0) return;
  const std::string rel =
      fmt::format("quarantine/{:08d}-{:04d}-{:04d}.parquet", snapshot, d, parts.size());
  fs::create_directories((log.dir() / rel).parent_path());
  db.WriteParquet(rows, (log.dir() / (rel + ".tmp")).string());
  parts.push_back(rel);
  rows = Batch{};
}

[[noreturn]] void Reject(const std::string& context, const Violation& v, const std::string& what) {
  throw InputError(fmt::format("{}: {} row(s) {}; first is row {}: {}; nothing was committed",
                               context, v.count, what, v.first_row + 1, v.example));
}

}  // namespace

quality::Profile DeliveryProfile(const SourceLog& log, const Delivery& d) {
  const fs::path p = log.dir() / d.profile_path;
  return quality::Profile::Deserialize(ReadFile(p), "profile " + p.string());
}

quality::Profile SnapshotProfile(const SourceLog& log, const SnapshotManifest& m,
                                 bool require_every) {
  quality::Profile merged(m.schema);
  for (const Delivery& d : m.deliveries) {
    if (!d.profile_path.empty()) {
      merged.Merge(DeliveryProfile(log, d));
    } else if (require_every) {
      throw InputError(fmt::format("source '{}': delivery {} of snapshot {} has no profile (it "
                                   "was ingested with --no-profile, or by a sluice without "
                                   "profiles)",
                                   m.source, d.file, d.snapshot));
    }
  }
  return merged;
}

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
    throw NotFoundError(fmt::format("unknown source '{}'{}", source_name,
                                 near.empty() ? " (run `sluice list` to see sources)"
                                              : "; did you mean '" + near + "'?"));
  }
  const bool push = src->type == repo::SourceType::kPush;
  if (push != (options.rows != nullptr)) {
    throw InputError(push ? fmt::format("source '{}' is a push source: its rows arrive through "
                                        "POST /push on `sluice serve`",
                                        src->name)
                          : fmt::format("source '{}' is not a push source", src->name));
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
  if (src->type == repo::SourceType::kFile) {
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
      if (!committed.insert(hash).second && !options.validate_only) continue;
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
    // The query's result or the pushed rows; hashed as they are read.
    deliveries.push_back({"", push ? "push" : "", 0, 0});
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

  // One pass over each new delivery (DuckDB reads it, sluice checks it): rows are checked,
  // given their ingestion sequence and bucket (common/key.h, the engine's function) and
  // appended to per-bucket spill files. Then each bucket is read back, sorted in the shared
  // row order and written as one segment, buckets in parallel. Memory holds a chunk of the
  // delivery plus one bucket per worker, whatever the delivery's size.
  const fs::path spill_dir = log.dir() / "spill";  // DuckDB's temp files and the bucket files
  fs::create_directories(spill_dir);
  io::DuckDbOptions db_options;
  db_options.memory_limit = "1GB";  // bounds SQL sources' queries; DuckDB spills beyond it
  db_options.temp_directory = spill_dir.string();
  io::DuckDb db(db_options);
  BucketSpill spill(spill_dir / "buckets", src->schema, bucket_count);
  struct BucketStats {
    Micros min_ts = std::numeric_limits<Micros>::max();
    Micros max_ts = std::numeric_limits<Micros>::min();
  };
  std::vector<BucketStats> stats(bucket_count);
  const int ts_index = FindField(src->schema, src->timestamp_field);
  std::vector<int> pk_index, join_key_index;
  for (const std::string& k : partition_keys) pk_index.push_back(FindField(src->schema, k));
  for (const std::string& k : repo.AllJoinKeys(*src)) {
    join_key_index.push_back(FindField(src->schema, k));
  }
  Sha256 query_hash;  // SQL sources: the delivery is the query's rows
  if (src->type != repo::SourceType::kFile) HashSchema(src->schema, query_hash);
  // The newest timestamp already committed, for freshness rules.
  std::optional<Micros> newest_committed;
  for (const Segment& seg : m.segments) {
    newest_committed = std::max(newest_committed.value_or(seg.max_ts), seg.max_ts);
  }
  // Quarantined rows per delivery (source columns, then _row and _reason), written in parts
  // under temporary names, renamed at commit.
  std::vector<Batch> quarantined(deliveries.size());
  std::vector<std::vector<std::string>> quarantine_parts(deliveries.size());
  std::unique_ptr<io::DuckDb> quarantine_db;  // the consuming thread's own connection
  // Leftovers of an ingest that crashed before its commit.
  std::error_code ignored;
  for (const auto& e : fs::directory_iterator(log.dir() / "quarantine", ignored)) {
    if (e.path().extension() == ".tmp") fs::remove(e.path(), ignored);
  }
  // The profile of each delivery's committed rows (SPEC §7), written at commit.
  std::vector<quality::Profile> profiles(deliveries.size(), quality::Profile(src->schema));
  {
    ScopedPhase phase("ingest: read+check+spill");
    for (size_t d = 0; d < deliveries.size(); ++d) {
      const bool file = src->type == repo::SourceType::kFile;
      const std::string context = file   ? "reading " + deliveries[d].file
                                  : push ? "pushed rows of source '" + src->name + "'"
                                         : "running the query of source '" + src->name + "'";
      const DeliveryQuery q =
          push ? DeliveryQuery{}
               : BuildDeliveryQuery(*src, repo.root,
                                    file ? std::vector<std::string>{new_files[d]}
                                         : std::vector<std::string>{},
                                    db, context);
      quality::DeliveryCheck check(repo, *src, options.now ? options.now : NowMicros(),
                                   newest_committed,
                                   [&](const std::string& other,
                                       const std::vector<std::string>& columns) {
                                     return SourceKeys(repo, other, columns, db);
                                   });
      if (push) {
        std::vector<quality::DeliveredColumn> cols;
        for (const Field& f : src->schema) cols.push_back({f.name, std::string(TypeName(f.type))});
        check.SetDeliveredColumns(std::move(cols));
      } else {
        check.SetDeliveredColumns(q.delivered);
      }
      // The rules every row must meet, in the order a rejection reports them. A null timestamp
      // or join key may instead be quarantined by a suite's not_null rule.
      struct Rule {
        std::string what;
        int column;          // schema index of the column tested for null, or -1
        std::string parsed;  // or: the column whose __unparsable_ flag is tested
        Violation v;
      };
      std::vector<Rule> rules;
      for (const std::string& c : q.parsed) {
        const DataType t = src->schema[FindField(src->schema, c)].type;
        rules.push_back({fmt::format("have a value of column '{}' that is not a valid {}", c,
                                     TypeName(t)),
                         -1, c, {}});
      }
      if (!check.QuarantinesNulls(src->timestamp_field)) {
        rules.push_back({"have a null timestamp '" + src->timestamp_field + "'", ts_index, "", {}});
      }
      for (int k : join_key_index) {
        if (check.QuarantinesNulls(src->schema[k].name)) continue;
        rules.push_back({"have a null join key '" + src->schema[k].name + "'", k, "", {}});
      }
      // The whole-delivery rules are judged on the profile of the kept rows.
      const bool profile = options.profile || check.needs_profile();
      bool rejected = false;
      int64_t delivered = 0;  // rows of this delivery so far
      const int64_t seq_base = m.next_seq + result.rows_read;
      std::vector<std::vector<uint32_t>> rows_of_bucket(bucket_count);
      std::vector<uint8_t> quarantine;
      std::vector<std::string> reasons;
      std::vector<uint32_t> quarantine_rows;
      int64_t quarantined_count = 0;  // rows of this delivery quarantined (or, validating, to be)
      std::string encoded;
      // DuckDB's reading and sluice's processing overlap: chunks are read and converted on
      // this thread and processed on a second one.
      struct Profiled {
        Batch rows;
        std::vector<uint8_t> quarantine;
      };
      std::function<void(Profiled&&)> to_profile;
      const auto consume = [&](Batch&& b) {
        const size_t n = b.num_rows;
        std::vector<const Column*> columns;
        for (const Field& f : src->schema) columns.push_back(&b.Get(f.name));
        for (Rule& rule : rules) {
          const Column* flag = rule.parsed.empty() ? nullptr : &b.Get("__unparsable_" + rule.parsed);
          for (size_t r = 0; r < n; ++r) {
            const bool bad = flag ? flag->i64[r] != 0 : columns[rule.column]->IsNull(r);
            if (!bad) continue;
            if (rule.v.count++ == 0) {
              rule.v.first_row = static_cast<size_t>(delivered) + r;
              rule.v.example = flag ? "'" + b.Get("__raw_" + rule.parsed).str[r] + "'"
                                    : RowExample(b, r);
            }
            rejected = true;
          }
        }
        check.Consume(b, delivered, quarantine, reasons);
        if (!rejected) {
          // A rejected delivery is still read to the end (for the counts), never spilled.
          std::vector<const Column*> pk;
          for (int k : pk_index) pk.push_back(columns[k]);
          const Column& ts = *columns[ts_index];
          quarantine_rows.clear();
          for (size_t r = 0; r < n; ++r) {
            if (quarantine[r]) {
              quarantine_rows.push_back(static_cast<uint32_t>(r));
              continue;
            }
            uint32_t bucket = 0;
            if (!pk.empty() && !options.validate_only) {
              encoded.clear();
              AppendKeyEncoding(pk, r, encoded);
              bucket = BucketOfKey(encoded, bucket_count);
            }
            rows_of_bucket[bucket].push_back(static_cast<uint32_t>(r));
            BucketStats& st = stats[bucket];
            st.min_ts = std::min(st.min_ts, ts.i64[r]);
            st.max_ts = std::max(st.max_ts, ts.i64[r]);
          }
          if (!options.validate_only) {
            for (uint32_t bucket = 0; bucket < bucket_count; ++bucket) {
              spill.Append(bucket, columns, rows_of_bucket[bucket], seq_base + delivered);
            }
          }
          for (auto& rows : rows_of_bucket) rows.clear();
          quarantined_count += static_cast<int64_t>(quarantine_rows.size());
          if (!quarantine_rows.empty() && !options.validate_only) {
            Batch bad;
            for (size_t c = 0; c < columns.size(); ++c) {
              bad.AddColumn(src->schema[c].name, columns[c]->Gather(quarantine_rows));
            }
            Column row(DataType::kInt64), reason(DataType::kString);
            for (uint32_t r : quarantine_rows) {
              row.Append(Value::Int(delivered + r + 1));
              reason.Append(Value::String(reasons[r]));
            }
            bad.AddColumn("_row", std::move(row));
            bad.AddColumn("_reason", std::move(reason));
            quarantined[d].Append(bad);
            // Memory holds at most a part of the quarantined rows: full parts go to disk
            // (under temporary names until the commit).
            if (quarantined[d].num_rows >= QuarantinePartRows()) {
              if (!quarantine_db) quarantine_db = db.Connect();
              FlushQuarantine(log, m.snapshot, d, quarantined[d], quarantine_parts[d], *quarantine_db);
            }
          }
          if (src->type != repo::SourceType::kFile) HashRows(columns, 0, n, query_hash);
        }
        delivered += static_cast<int64_t>(n);
        // The profile of the kept rows is built on a third thread, overlapping the next batch.
        if (!rejected && profile) to_profile({std::move(b), quarantine});
      };
      // Stages: DuckDB reads and converts chunks (this thread), `consume` checks and spills
      // them, the profile stage summarises them.
      Pipeline<Profiled>(
          [&](const std::function<void(Profiled&&)>& push_profile) {
            to_profile = push_profile;
            if (push) {
              consume(Batch(*options.rows));
            } else {
              Pipeline<Batch>([&](const std::function<void(Batch&&)>& emit) {
                db.QueryChunks(q.sql, emit, context);
              }, consume);
            }
          },
          [&](Profiled&& p) { profiles[d].Update(p.rows, &p.quarantine); });
      for (const Rule& rule : rules) {
        if (rule.v.count > 0) Reject(context, rule.v, rule.what);
      }
      LogHistory history(log, repo.root, latest, deliveries, profiles, d);
      for (quality::CheckResult& c : check.Finish(profiles[d], history)) {
        c.delivery = deliveries[d].file.empty() ? "query" : deliveries[d].file;
        result.checks.push_back(std::move(c));
      }
      if (check.failed()) result.rejected = true;
      deliveries[d].rows = delivered;
      deliveries[d].quarantined = quarantined_count;
      result.delivery_rows.emplace_back(delivered, quarantined_count);
      result.rows_read += delivered;
      result.rows_quarantined += deliveries[d].quarantined;
    }
  }
  for (const Delivery& x : deliveries) result.delivery_names.push_back(x.file.empty() ? "query" : x.file);
  result.profiles = profiles;
  if (result.rejected || options.validate_only) {
    // Nothing is committed; the spill files go with the spill directory.
    for (const auto& parts : quarantine_parts) {
      for (const std::string& rel : parts) fs::remove(log.dir() / (rel + ".tmp"), ignored);
    }
    result.rows_committed = 0;
    return result;
  }
  if (src->type != repo::SourceType::kFile) {
    deliveries[0].content_hash = query_hash.HexDigest();
    if (!push && committed.count(deliveries[0].content_hash)) {
      result.unchanged = true;
      result.rows_read = 0;
      return result;
    }
  }
  result.first_seq = m.next_seq;
  m.next_seq += result.rows_read;
  spill.Flush();

  std::vector<uint32_t> buckets;
  for (uint32_t b = 0; b < bucket_count; ++b) {
    if (spill.rows(b) > 0) buckets.push_back(b);
  }
  // Buckets are sorted and written concurrently, one DuckDB connection per worker for the
  // Parquet writer. Metadata is collected per bucket, so the manifest lists segments in bucket
  // order whatever the scheduling.
  const int threads = DefaultThreads();
  // Each worker drives its own COPY on its own thread: DuckDB's pool threads would only add
  // workers polling for tasks.
  db.Execute("SET threads = 1");
  std::vector<std::unique_ptr<io::DuckDb>> connections(threads);
  std::vector<Segment> written(buckets.size());
  std::mutex progress_mutex;
  size_t done = 0;
  const std::string& created_field = src->created_timestamp_field;
  ParallelFor(buckets.size(), threads, [&](size_t i, int worker) {
    if (!connections[worker]) connections[worker] = db.Connect();
    const uint32_t b = buckets[i];
    const std::string rel = fmt::format("segments/{:08d}-{:04d}.parquet", m.snapshot, b);
    const fs::path final_path = log.SegmentPath(rel);
    const fs::path tmp = final_path.string() + ".tmp";
    {
      std::optional<ScopedPhase> phase(std::in_place, "ingest: read bucket");
      const Batch rows = spill.Read(b, kSeqColumn);
      phase.reset();
      phase.emplace("ingest: sort bucket");
      std::vector<const Column*> keys;
      for (const std::string& k : partition_keys) keys.push_back(&rows.Get(k));
      std::vector<uint32_t> order(rows.num_rows);
      std::iota(order.begin(), order.end(), 0u);
      order = engine::SortRows(keys, rows.Get(src->timestamp_field),
                               created_field.empty() ? nullptr : &rows.Get(created_field),
                               rows.Get(kSeqColumn).i64.data(), std::move(order));
      phase.reset();
      phase.emplace("ingest: write bucket");
      connections[worker]->WriteParquet(rows, tmp.string(), &order);
    }
    ScopedPhase phase("ingest: fsync+hash");
    FsyncFile(tmp);
    RenameDurable(tmp, final_path);
    Segment& s = written[i];
    s.path = rel;
    s.bucket = b;
    s.rows = spill.rows(b);
    s.min_ts = stats[b].min_ts;
    s.max_ts = stats[b].max_ts;
    s.sha256 = Sha256OfFile(final_path);
    s.snapshot = m.snapshot;
    CrashPoint("ingest:after-segment");
    std::lock_guard<std::mutex> lock(progress_mutex);
    if (options.progress) options.progress(static_cast<double>(++done) / buckets.size());
  });
  connections.clear();
  // Quarantined rows, durable under their names before the manifest names them.
  for (size_t d = 0; d < deliveries.size(); ++d) {
    FlushQuarantine(log, m.snapshot, d, quarantined[d], quarantine_parts[d], db);
    for (const std::string& rel : quarantine_parts[d]) {
      const fs::path tmp = log.dir() / (rel + ".tmp");
      FsyncFile(tmp);
      RenameDurable(tmp, log.dir() / rel);
    }
    deliveries[d].quarantine_paths = quarantine_parts[d];
  }
  for (size_t d = 0; d < deliveries.size() && options.profile; ++d) {
    const std::string rel = fmt::format("profiles/{:08d}-{:04d}.profile", m.snapshot, d);
    const fs::path final_path = log.dir() / rel;
    fs::create_directories(final_path.parent_path());
    WriteFileAtomic(final_path, profiles[d].Serialize());
    deliveries[d].profile_path = rel;
  }
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
  result.rows_committed = result.rows_read - result.rows_quarantined;
  return result;
}

}  // namespace sluice::offline
