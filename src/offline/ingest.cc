#include "offline/ingest.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>

#include "common/canonical.h"
#include "common/env.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/key.h"
#include "common/parallel.h"
#include "common/text.h"
#include "common/time.h"
#include "common/trace.h"
#include "engine/row_order.h"
#include "io/duckdb.h"
#include "offline/delivery_query.h"
#include "offline/history.h"
#include "offline/snapshot.h"
#include "offline/spill.h"
#include "quality/profile.h"
#include "repo/checker.h"
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

// Quarantined rows held in memory before a part goes to disk (SLUICE_QUARANTINE_PART_ROWS
// overrides: docs/guide.md, "Environment").
size_t QuarantinePartRows() {
  static const size_t rows =
      static_cast<size_t>(PositiveEnv("SLUICE_QUARANTINE_PART_ROWS", 1 << 20));
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

// The source's LOCK file, its directories created first.
fs::path LockPath(const SourceLog& log) {
  log.CreateDirectories();
  return log.dir() / "LOCK";
}

// Starts writing `path`'s dirty pages to disk without waiting: the fsync before the commit
// then finds them written, and the writer goes on meanwhile. Best effort (a failure here is
// found by that fsync).
void StartWriteback(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  ::close(fd);
}

// Rows per segment at most (SLUICE_SEGMENT_ROWS overrides: docs/guide.md, "Environment"). A
// bucket's rows of one ingest beyond it are written as several sorted segments (runs), so that
// ingest holds at most this many rows per worker whatever the delivery's size.
int64_t SegmentRows() {
  static const int64_t rows = PositiveEnv("SLUICE_SEGMENT_ROWS", 1 << 18);
  return rows;
}

// The rules ingest itself holds every row to (a value that does not parse, a null timestamp
// or join key), counted over a whole delivery with the first offending row kept, so that a
// rejection reports the total and where it starts. A suite's not_null rule that quarantines a
// column takes that column's null rule over.
class RowRules {
 public:
  RowRules(const repo::SourceDef& src, const std::vector<std::string>& parsed,
           const std::vector<int>& join_keys, const quality::DeliveryCheck& check) {
    for (const std::string& c : parsed) {
      const DataType t = src.schema[FindField(src.schema, c)].type;
      rules_.push_back(
          {fmt::format("have a value of column '{}' that is not a valid {}", c, TypeName(t)), -1,
           c});
    }
    if (!check.QuarantinesNulls(src.timestamp_field)) {
      rules_.push_back({"have a null timestamp '" + src.timestamp_field + "'",
                        FindField(src.schema, src.timestamp_field), ""});
    }
    for (int k : join_keys) {
      if (check.QuarantinesNulls(src.schema[k].name)) continue;
      rules_.push_back({"have a null join key '" + src.schema[k].name + "'", k, ""});
    }
  }

  // Counts the rows of `b` (the source's columns, numbered from `first_row`) that break a rule.
  // Returns whether any row of the delivery so far did.
  bool Consume(const Batch& b, const std::vector<const Column*>& columns, int64_t first_row) {
    for (Rule& rule : rules_) {
      const Column* flag = rule.parsed.empty() ? nullptr : &b.Get("__unparsable_" + rule.parsed);
      for (size_t r = 0; r < b.num_rows; ++r) {
        const bool bad = flag ? flag->i64[r] != 0 : columns[rule.column]->IsNull(r);
        if (!bad) continue;
        if (rule.count++ == 0) {
          rule.first_row = first_row + static_cast<int64_t>(r);
          rule.example = flag ? "'" + b.Get("__raw_" + rule.parsed).str[r] + "'" : RowExample(b, r);
        }
        broken_ = true;
      }
    }
    return broken_;
  }

  // Throws InputError naming the first broken rule: its count and first row.
  void ThrowIfBroken(const std::string& context) const {
    for (const Rule& rule : rules_) {
      if (rule.count == 0) continue;
      throw InputError(fmt::format("{}: {} row(s) {}; first is row {}: {}; nothing was committed",
                                   context, rule.count, rule.what, rule.first_row + 1,
                                   rule.example));
    }
  }

 private:
  struct Rule {
    std::string what;
    int column;          // schema index of the column tested for null, or -1
    std::string parsed;  // or: the column whose __unparsable_ flag is tested
    size_t count = 0;
    int64_t first_row = 0;  // 0-based, in delivery order
    std::string example;
  };
  std::vector<Rule> rules_;
  bool broken_ = false;
};

// One ingest of one source, in the phases of docs/architecture.md "How an ingest runs": pick
// the new deliveries; read, check and spill each; write the buckets as sorted segments;
// commit. Holds the source's lock for its whole life.
class IngestRun {
 public:
  IngestRun(const repo::RepoDefinition& repo, const repo::SourceDef& src,
            const IngestOptions& options);
  // Removes the scratch space (the spill directory) and, when nothing was committed (an
  // error, a rejection), the files written under temporary names (Discard).
  ~IngestRun();
  IngestRun(const IngestRun&) = delete;
  IngestRun& operator=(const IngestRun&) = delete;

  IngestResult Run();

 private:
  // Phase 1: the deliveries to read. False when every file is committed already.
  bool PickDeliveries();
  // The manifest this run commits, and the state the next phases share.
  void StartSnapshot();
  // Phase 2: reads delivery d through DuckDB, judges its rows (ingest's rules, the suites),
  // spills the kept rows by bucket, quarantines and profiles.
  void ReadCheckSpill(size_t d);
  // Phase 3: every bucket's spilled rows, in runs of at most SegmentRows(), sorted in the row
  // order and written as segments (temporary names, fsync, rename), buckets in parallel.
  void WriteSegments();
  // Phase 4: quarantine parts and profiles made durable, then the manifest: the commit point.
  void Commit();
  // Removes what a run that commits nothing leaves behind: every file under a temporary name.
  void Discard();

  std::string Context(size_t d) const;

  const repo::RepoDefinition& repo_;
  const repo::SourceDef& src_;
  const IngestOptions& options_;
  const bool push_;
  SourceLog log_;
  FileLock lock_;
  const std::optional<SnapshotManifest> latest_;
  IngestResult result_;

  std::set<std::string> committed_;  // content hashes of committed deliveries
  std::vector<Delivery> deliveries_;
  std::vector<std::string> files_;  // file sources: the file of each delivery

  SnapshotManifest m_;  // the snapshot this run commits
  std::optional<Micros> newest_committed_;
  std::unique_ptr<io::DuckDb> db_;
  std::unique_ptr<io::DuckDb> quarantine_db_;  // the consuming thread's own connection
  std::unique_ptr<BucketSpill> spill_;
  std::vector<int> pk_index_, join_key_index_;
  Sha256 query_hash_;                       // SQL and push sources: the delivery is its rows
  std::vector<quality::Profile> profiles_;  // per delivery: its kept rows (SPEC §7)
  // Quarantined rows per delivery (source columns, then _row and _reason), written in parts
  // under temporary names, renamed at commit.
  std::vector<Batch> quarantined_;
  std::vector<std::vector<std::string>> quarantine_parts_;
  std::vector<Segment> written_;
  bool committed_run_ = false;  // the manifest of this run is written
};

IngestRun::~IngestRun() {
  try {
    if (!committed_run_) Discard();
    // DuckDB's temporary files and the bucket spill go with their owners, then their directory.
    spill_.reset();
    quarantine_db_.reset();
    db_.reset();
    std::error_code ignored;
    fs::remove_all(log_.dir() / "spill", ignored);
  } catch (const std::exception&) {
    // Best effort: the next ingest removes what is left.
  }
}

IngestRun::IngestRun(const repo::RepoDefinition& repo, const repo::SourceDef& src,
                     const IngestOptions& options)
    : repo_(repo),
      src_(src),
      options_(options),
      push_(src.type == repo::SourceType::kPush),
      log_(OfflineRoot(repo), src.name),
      lock_(LockPath(log_)),
      latest_(log_.Latest()) {
  if (latest_) {
    for (const Delivery& d : latest_->deliveries) committed_.insert(d.content_hash);
  }
  result_.source = src.name;
  result_.snapshot = latest_ ? latest_->snapshot : 0;
}

IngestResult IngestRun::Run() {
  if (!PickDeliveries()) {
    result_.unchanged = true;
    return result_;
  }
  StartSnapshot();
  {
    ScopedPhase phase("ingest: read+check+spill");
    for (size_t d = 0; d < deliveries_.size(); ++d) ReadCheckSpill(d);
  }
  for (const Delivery& x : deliveries_) {
    result_.delivery_names.push_back(x.file.empty() ? "query" : x.file);
  }
  result_.profiles = profiles_;
  if (result_.rejected || options_.validate_only) {  // the destructor discards
    result_.rows_committed = 0;
    return result_;
  }
  if (src_.type != repo::SourceType::kFile) {
    deliveries_[0].content_hash = query_hash_.HexDigest();
    if (!push_ && committed_.count(deliveries_[0].content_hash)) {
      result_.unchanged = true;
      result_.rows_read = 0;
      return result_;
    }
  }
  WriteSegments();
  Commit();
  return result_;
}

bool IngestRun::PickDeliveries() {
  if (src_.type != repo::SourceType::kFile) {
    // The query's result or the pushed rows; hashed as they are read.
    deliveries_.push_back({"", push_ ? "push" : "", 0, 0});
    return true;
  }
  // Each file is identified by the sha256 of its bytes.
  std::vector<std::string> files;
  if (!options_.path.empty()) {
    const fs::path p = fs::absolute(options_.path);
    if (!fs::is_regular_file(p)) throw InputError("--path " + options_.path + ": no such file");
    files.push_back(p.string());
  } else {
    files = repo::SourceFiles(src_, repo_.root);
    if (files.empty()) {
      throw InputError(fmt::format("source '{}': no file matches '{}'", src_.name, src_.path));
    }
  }
  for (const std::string& f : files) {
    const std::string hash = Sha256OfFile(f);
    if (!committed_.insert(hash).second && !options_.validate_only) continue;
    std::string rel = fs::relative(f, repo_.root).string();
    if (rel.starts_with("..")) rel = f;
    deliveries_.push_back({hash, rel, 0, 0});
    files_.push_back(f);
  }
  return !files_.empty();
}

void IngestRun::StartSnapshot() {
  m_ = latest_ ? *latest_ : SnapshotManifest{};
  m_.snapshot = (latest_ ? latest_->snapshot : 0) + 1;
  m_.parent = latest_ ? latest_->snapshot : 0;
  m_.source = src_.name;
  m_.source_version = src_.version;
  m_.created_at = NowMicros();
  m_.schema = src_.schema;
  m_.partition_keys = latest_ ? latest_->partition_keys : repo_.PartitionKeys(src_);
  m_.bucket_count =
      latest_ ? latest_->bucket_count : static_cast<uint32_t>(repo_.config.bucket_count);
  for (const Segment& seg : m_.segments) {
    newest_committed_ = std::max(newest_committed_.value_or(seg.max_ts), seg.max_ts);
  }
  for (const std::string& k : m_.partition_keys) pk_index_.push_back(FindField(src_.schema, k));
  for (const std::string& k : repo_.AllJoinKeys(src_)) {
    join_key_index_.push_back(FindField(src_.schema, k));
  }
  // DuckDB's temp files and the bucket spill files live under <source>/spill/.
  const fs::path spill_dir = log_.dir() / "spill";
  fs::create_directories(spill_dir);
  io::DuckDbOptions db_options;
  db_options.memory_limit = "1GB";  // bounds SQL sources' queries; DuckDB spills beyond it
  db_options.temp_directory = spill_dir.string();
  db_ = std::make_unique<io::DuckDb>(db_options);
  // Blocks of at most an eighth of a segment: runs cut close to SegmentRows().
  spill_ = std::make_unique<BucketSpill>(
      spill_dir / "buckets", src_.schema, m_.bucket_count,
      static_cast<uint32_t>(std::clamp<int64_t>(SegmentRows() / 8, 1, UINT32_MAX)));
  if (src_.type != repo::SourceType::kFile) HashSchema(src_.schema, query_hash_);
  Discard();  // leftovers of an ingest that crashed before its commit
  profiles_.assign(deliveries_.size(), quality::Profile(src_.schema));
  quarantined_.resize(deliveries_.size());
  quarantine_parts_.resize(deliveries_.size());
}

std::string IngestRun::Context(size_t d) const {
  if (src_.type == repo::SourceType::kFile) return "reading " + deliveries_[d].file;
  if (push_) return "pushed rows of source '" + src_.name + "'";
  return "running the query of source '" + src_.name + "'";
}

void IngestRun::ReadCheckSpill(size_t d) {
  const std::string context = Context(d);
  const bool file = src_.type == repo::SourceType::kFile;
  const DeliveryQuery q = push_ ? DeliveryQuery{}
                                : BuildDeliveryQuery(src_, repo_.root,
                                                     file ? std::vector<std::string>{files_[d]}
                                                          : std::vector<std::string>{},
                                                     *db_, context);
  quality::DeliveryCheck check(
      repo_, src_, options_.now ? options_.now : NowMicros(), newest_committed_,
      [&](const std::string& other, const std::vector<std::string>& columns) {
        return SourceKeys(repo_, other, columns, *db_);
      });
  if (push_) {
    std::vector<quality::DeliveredColumn> cols;
    for (const Field& f : src_.schema) cols.push_back({f.name, std::string(TypeName(f.type))});
    check.SetDeliveredColumns(std::move(cols));
  } else {
    check.SetDeliveredColumns(q.delivered);
  }
  RowRules rules(src_, q.parsed, join_key_index_, check);
  // The whole-delivery rules are judged on the profile of the kept rows.
  const bool profile = options_.profile || check.needs_profile();
  const uint32_t bucket_count = m_.bucket_count;
  bool rejected = false;
  int64_t delivered = 0;  // rows of this delivery so far
  const int64_t seq_base = m_.next_seq + result_.rows_read;
  std::vector<std::vector<uint32_t>> rows_of_bucket(bucket_count);
  std::vector<uint8_t> quarantine;
  std::vector<std::string> reasons;
  std::vector<uint32_t> quarantine_rows;
  int64_t quarantined_count = 0;  // rows of this delivery quarantined (or, validating, to be)
  std::string encoded;
  struct Profiled {
    Batch rows;
    std::vector<uint8_t> quarantine;
  };
  std::function<void(Profiled &&)> to_profile;
  const auto consume = [&](Batch&& b) {
    const size_t n = b.num_rows;
    std::vector<const Column*> columns;
    for (const Field& f : src_.schema) columns.push_back(&b.Get(f.name));
    rejected = rules.Consume(b, columns, delivered);
    check.Consume(b, delivered, quarantine, reasons);
    if (!rejected) {
      // A rejected delivery is still read to the end (for the counts), never spilled.
      std::vector<const Column*> pk;
      for (int k : pk_index_) pk.push_back(columns[k]);
      quarantine_rows.clear();
      for (size_t r = 0; r < n; ++r) {
        if (quarantine[r]) {
          quarantine_rows.push_back(static_cast<uint32_t>(r));
          continue;
        }
        uint32_t bucket = 0;
        if (!pk.empty() && !options_.validate_only) {
          encoded.clear();
          AppendKeyEncoding(pk, r, encoded);
          bucket = BucketOfKey(encoded, bucket_count);
        }
        rows_of_bucket[bucket].push_back(static_cast<uint32_t>(r));
      }
      if (!options_.validate_only) {
        for (uint32_t bucket = 0; bucket < bucket_count; ++bucket) {
          spill_->Append(bucket, columns, rows_of_bucket[bucket], seq_base + delivered);
        }
      }
      for (auto& rows : rows_of_bucket) rows.clear();
      quarantined_count += static_cast<int64_t>(quarantine_rows.size());
      if (!quarantine_rows.empty() && !options_.validate_only) {
        Batch bad;
        for (size_t c = 0; c < columns.size(); ++c) {
          bad.AddColumn(src_.schema[c].name, columns[c]->Gather(quarantine_rows));
        }
        Column row(DataType::kInt64), reason(DataType::kString);
        for (uint32_t r : quarantine_rows) {
          row.Append(Value::Int(delivered + r + 1));
          reason.Append(Value::String(reasons[r]));
        }
        bad.AddColumn("_row", std::move(row));
        bad.AddColumn("_reason", std::move(reason));
        quarantined_[d].Append(bad);
        // Memory holds at most a part of the quarantined rows: full parts go to disk (under
        // temporary names until the commit).
        if (quarantined_[d].num_rows >= QuarantinePartRows()) {
          if (!quarantine_db_) quarantine_db_ = db_->Connect();
          FlushQuarantine(log_, m_.snapshot, d, quarantined_[d], quarantine_parts_[d],
                          *quarantine_db_);
        }
      }
      if (src_.type != repo::SourceType::kFile) HashRows(columns, 0, n, query_hash_);
    }
    delivered += static_cast<int64_t>(n);
    // The profile of the kept rows is built on a third thread, overlapping the next batch.
    if (!rejected && profile) to_profile({std::move(b), quarantine});
  };
  // Stages: DuckDB reads and converts chunks (this thread), `consume` checks and spills them
  // (a second thread), the profile stage summarises them (a third).
  Pipeline<Profiled>(
      [&](const std::function<void(Profiled &&)>& push_profile) {
        to_profile = push_profile;
        if (push_) {
          consume(Batch(*options_.rows));
        } else {
          Pipeline<Batch>(
              [&](const std::function<void(Batch &&)>& emit) {
                db_->QueryChunks(q.sql, emit, context);
              },
              consume);
        }
      },
      [&](Profiled&& p) { profiles_[d].Update(p.rows, &p.quarantine); });
  rules.ThrowIfBroken(context);
  LogHistory history(log_, repo_.root, latest_, deliveries_, profiles_, d);
  for (quality::CheckResult& c : check.Finish(profiles_[d], history)) {
    c.delivery = deliveries_[d].file.empty() ? "query" : deliveries_[d].file;
    result_.checks.push_back(std::move(c));
  }
  if (check.failed()) result_.rejected = true;
  deliveries_[d].rows = delivered;
  deliveries_[d].quarantined = quarantined_count;
  result_.delivery_rows.emplace_back(delivered, quarantined_count);
  result_.rows_read += delivered;
  result_.rows_quarantined += quarantined_count;
}

void IngestRun::WriteSegments() {
  result_.first_seq = m_.next_seq;
  m_.next_seq += result_.rows_read;
  spill_->Flush();
  // One task per run of a bucket; a bucket with one run keeps the name <snapshot>-<bucket>.
  struct Task {
    uint32_t bucket;
    SpillRun run;
    std::string path;
  };
  std::vector<Task> tasks;
  for (uint32_t b = 0; b < m_.bucket_count; ++b) {
    const std::vector<SpillRun> runs = spill_->Runs(b, SegmentRows());
    for (size_t r = 0; r < runs.size(); ++r) {
      tasks.push_back(
          {b, runs[r],
           runs.size() == 1
               ? fmt::format("segments/{:08d}-{:04d}.parquet", m_.snapshot, b)
               : fmt::format("segments/{:08d}-{:04d}-{:04d}.parquet", m_.snapshot, b, r)});
    }
  }
  // Tasks run concurrently, one DuckDB connection per worker for the Parquet writer; each
  // worker drives its own COPY on its own thread (DuckDB's pool threads would only add workers
  // polling for tasks). Segments are listed in task order whatever the scheduling.
  const int threads = DefaultThreads();
  db_->Execute("SET threads = 1");
  std::vector<std::unique_ptr<io::DuckDb>> connections(threads);
  written_.assign(tasks.size(), Segment{});
  std::mutex progress_mutex;
  size_t done = 0;
  const std::string& created_field = src_.created_timestamp_field;
  ParallelFor(tasks.size(), threads, [&](size_t i, int worker) {
    if (!connections[worker]) connections[worker] = db_->Connect();
    const Task& task = tasks[i];
    const fs::path final_path = log_.SegmentPath(task.path);
    const fs::path tmp = final_path.string() + ".tmp";
    Segment& s = written_[i];
    {
      std::optional<ScopedPhase> phase(std::in_place, "ingest: read bucket");
      Batch rows = spill_->Read(task.bucket, kSeqColumn, task.run);
      phase.reset();
      phase.emplace("ingest: sort bucket");
      std::vector<const Column*> keys;
      for (const std::string& k : m_.partition_keys) keys.push_back(&rows.Get(k));
      const Column& ts = rows.Get(src_.timestamp_field);
      const auto [lo, hi] = std::minmax_element(ts.i64.begin(), ts.i64.end());
      s.min_ts = *lo;
      s.max_ts = *hi;
      std::vector<uint32_t> order(rows.num_rows);
      std::iota(order.begin(), order.end(), 0u);
      engine::SortedKeys sorted;
      order = engine::SortRows(keys, ts, created_field.empty() ? nullptr : &rows.Get(created_field),
                               rows.Get(kSeqColumn).i64.data(), std::move(order), &sorted);
      // The sort's own copies of the keys, times and sequences are in output order: the writer
      // reads those columns sequentially instead of gathering them (they have no nulls).
      std::vector<uint8_t> in_order(rows.columns.size(), 0);
      if (sorted.filled) {
        auto adopt = [&](const std::string& name, std::vector<int64_t>& values) {
          const int c = rows.Find(name);
          Column& col = rows.columns[c];
          if (std::find(col.valid.begin(), col.valid.end(), 0) != col.valid.end()) return;
          col.i64.swap(values);
          in_order[c] = 1;
        };
        for (size_t k = 0; k < m_.partition_keys.size(); ++k) {
          adopt(m_.partition_keys[k], sorted.keys[k]);
        }
        adopt(src_.timestamp_field, sorted.ts);
        adopt(kSeqColumn, sorted.seq);
      }
      phase.reset();
      phase.emplace("ingest: write bucket");
      connections[worker]->WriteParquet(rows, tmp.string(), &order, &in_order,
                                        io::ParquetLayout::kCompact);
    }
    ScopedPhase phase("ingest: writeback+hash");
    StartWriteback(tmp);
    s.path = task.path;
    s.bucket = task.bucket;
    s.rows = task.run.rows;
    s.sha256 = Sha256OfFile(tmp);
    s.snapshot = m_.snapshot;
    CrashPoint("ingest:after-segment");
    std::lock_guard<std::mutex> lock(progress_mutex);
    if (options_.progress) options_.progress(static_cast<double>(++done) / tasks.size());
  });
  connections.clear();
  // Durable before the manifest names them: every segment's bytes (fsyncs in parallel, so
  // the file system commits them together; their writeback started as each was written),
  // then the renames, then the directory once.
  ScopedPhase phase("ingest: fsync segments");
  ParallelFor(tasks.size(), 8, [&](size_t i, int) {
    FsyncFile(log_.SegmentPath(tasks[i].path).string() + ".tmp");
  });
  for (const Task& task : tasks) {
    const fs::path final_path = log_.SegmentPath(task.path);
    fs::rename(final_path.string() + ".tmp", final_path);
  }
  FsyncDir(log_.dir() / "segments");
}

void IngestRun::Commit() {
  // Quarantined rows, durable under their names before the manifest names them.
  for (size_t d = 0; d < deliveries_.size(); ++d) {
    FlushQuarantine(log_, m_.snapshot, d, quarantined_[d], quarantine_parts_[d], *db_);
    for (const std::string& rel : quarantine_parts_[d]) {
      const fs::path tmp = log_.dir() / (rel + ".tmp");
      FsyncFile(tmp);
      RenameDurable(tmp, log_.dir() / rel);
    }
    deliveries_[d].quarantine_paths = quarantine_parts_[d];
  }
  for (size_t d = 0; d < deliveries_.size() && options_.profile; ++d) {
    const std::string rel = fmt::format("profiles/{:08d}-{:04d}.profile", m_.snapshot, d);
    const fs::path final_path = log_.dir() / rel;
    fs::create_directories(final_path.parent_path());
    WriteFileAtomic(final_path, profiles_[d].Serialize());
    deliveries_[d].profile_path = rel;
  }
  for (Segment& s : written_) m_.segments.push_back(std::move(s));
  result_.segments_written = static_cast<int64_t>(written_.size());
  for (Delivery& d : deliveries_) {
    d.snapshot = m_.snapshot;
    m_.deliveries.push_back(d);
  }
  CrashPoint("ingest:before-commit");
  log_.Commit(m_);
  committed_run_ = true;
  CrashPoint("ingest:after-commit");
  result_.snapshot = m_.snapshot;
  result_.rows_committed = result_.rows_read - result_.rows_quarantined;
}

void IngestRun::Discard() {
  // Segments and quarantine parts not committed yet have temporary names; the lock makes them
  // this run's or a crashed run's. (The spill files go with the spill directory.)
  std::error_code ignored;
  for (const char* dir : {"quarantine", "segments"}) {
    for (const auto& e : fs::directory_iterator(log_.dir() / dir, ignored)) {
      if (e.path().extension() == ".tmp") fs::remove(e.path(), ignored);
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
    const std::string near = ClosestName(source_name, names);
    throw NotFoundError(fmt::format(
        "unknown source '{}'{}", source_name,
        near.empty() ? " (run `sluice list` to see sources)" : "; did you mean '" + near + "'?"));
  }
  const bool push = src->type == repo::SourceType::kPush;
  if (push != (options.rows != nullptr)) {
    throw InputError(push ? fmt::format("source '{}' is a push source: its rows arrive through "
                                        "POST /push on `sluice serve`",
                                        src->name)
                          : fmt::format("source '{}' is not a push source", src->name));
  }
  return IngestRun(repo, *src, options).Run();
}

}  // namespace sluice::offline
