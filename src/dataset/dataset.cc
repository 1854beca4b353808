#include "dataset/dataset.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <set>

#include "common/canonical.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/text.h"
#include "common/time.h"
#include "common/trace.h"
#include "engine/point_in_time.h"
#include "expr/expression.h"
#include "io/duckdb.h"
#include "offline/ingest.h"
#include "offline/segment_reader.h"
#include "offline/snapshot.h"
#include "repo/compiled_view.h"
#include "repo/feature_plan.h"
#include "repo/loader.h"
#include "sluice/error.h"

namespace sluice::dataset {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Everything needed to compute a service's features, independent of where it came from (the
// registry and newest snapshots for create; a manifest for reproduce).
struct BuildPlan {
  repo::RepoDefinition defs;  // the service, its views, their sources and entities
  const repo::FeatureServiceDef* service = nullptr;
  std::vector<const repo::FeatureViewDef*> views;  // needed feature views
  std::vector<const repo::OnDemandViewDef*> odvs;  // needed on-demand views, in dependency order
  std::vector<repo::FeatureRef> outputs;           // (view, feature) in output order
  repo::FeaturePlan features;                      // the same, resolved (repo/feature_plan.h)
  std::map<std::string, offline::SnapshotManifest> snapshots;  // by source name
  fs::path offline_root;
};

BuildPlan MakePlan(
    repo::RepoDefinition defs, const std::string& service_name,
    const std::function<offline::SnapshotManifest(const repo::SourceDef&)>& snapshot_of) {
  BuildPlan plan;
  plan.defs = std::move(defs);
  const repo::RepoDefinition& d = plan.defs;
  plan.outputs = repo::ResolveService(d, service_name);
  plan.service = d.FindService(service_name);
  plan.features = repo::PlanFeatures(d, plan.outputs);
  for (const std::string& v : plan.features.views) plan.views.push_back(d.FindFeatureView(v));
  for (const std::string& v : plan.features.on_demand_views) {
    plan.odvs.push_back(d.FindOnDemandView(v));
  }
  for (const auto* v : plan.views) {
    const repo::SourceDef* src = d.FindSource(v->source);
    if (!plan.snapshots.count(src->name)) plan.snapshots.emplace(src->name, snapshot_of(*src));
  }
  return plan;
}

// Reads the entity file with canonical column types.
// The first structural problem of a CSV entity file, as DuckDB's sniffer would hide it (an
// extra field in one row makes it read the whole file as one column; an empty file becomes a
// column "column0"; a duplicate header is renamed): InputError naming the line. Compressed
// files are left to DuckDB.
void CheckCsvShape(const fs::path& path, const std::string& context) {
  const std::string name = path.filename().string();
  if (!name.ends_with(".csv") && !name.ends_with(".tsv")) return;
  const char delim = name.ends_with(".tsv") ? '\t' : ',';
  std::error_code ec;
  // A file this large is left to DuckDB's own errors rather than read twice.
  if (fs::file_size(path, ec) > (size_t{512} << 20) || ec) return;
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw InputError(fmt::format("{}: the file is empty (expected a header line: the join keys, a "
                                 "timestamp column, any other columns)",
                                 context));
  }
  // Blank lines before the header are skipped (as DuckDB does); a header without the
  // delimiter but with another one (`;`, `|`, a tab in a .csv) is another dialect: DuckDB's.
  size_t first = 0, line = 1;
  while (first < text.size()) {  // whole lines of nothing but spaces (a header may start with
                                 // a tab: an empty first column name in a .tsv)
    const size_t end = text.find('\n', first);
    const size_t stop = end == std::string::npos ? text.size() : end;
    if (text.find_first_not_of(" \t\r", first) < stop) break;
    first = stop + (end == std::string::npos ? 0 : 1);
    ++line;
  }
  const std::string_view head(text.data() + first,
                              std::min(text.find('\n', first), text.size()) - first);
  if (head.find(delim) == std::string_view::npos &&
      head.find_first_of(";|\t") != std::string_view::npos) {
    return;
  }
  // RFC 4180 records: a quoted field may hold the delimiter, newlines and doubled quotes.
  std::vector<std::string> header, record;
  std::string field;
  size_t record_line = line;
  bool quoted = false, at_field_start = true;
  const auto end_record = [&] {
    record.push_back(field);
    field.clear();
    at_field_start = true;
    if (header.empty()) {
      header = record;
      std::map<std::string, size_t> seen;
      for (size_t i = 0; i < header.size(); ++i) {
        const auto [it, fresh] = seen.emplace(header[i], i);
        if (!fresh) {
          throw InputError(fmt::format(
              "{}: column '{}' appears twice in the header (columns {} and {})", context,
              header[i], it->second + 1, i + 1));
        }
      }
    } else if (record.size() != header.size() && !(record.size() == 1 && record[0].empty())) {
      throw InputError(fmt::format("{}: line {} has {} field(s), the header has {}", context,
                                   record_line, record.size(), header.size()));
    }
    record.clear();
  };
  for (size_t i = first; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        line += c == '\n';
        field += c;
      }
    } else if (c == '"' && at_field_start) {
      quoted = true;
      at_field_start = false;
    } else if (c == delim) {
      record.push_back(field);
      field.clear();
      at_field_start = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      record_line = ++line;
    } else {
      field += c;
      at_field_start = false;
    }
  }
  if (quoted) {
    throw InputError(fmt::format(
        "{}: line {}: a quoted field is not closed (a '\"' without its closing '\"')", context,
        record_line));
  }
  if (!field.empty() || !record.empty()) end_record();
}

// An entity column that the reader typed as text but must be `want` (the timestamp column,
// an int64 join key; JSON lines hold timestamps as text): every value parsed, the first that
// does not parse named with its row.
void CoerceEntityColumn(Batch& b, int c, DataType want, const std::string& entity_file,
                        const std::string& what) {
  const Column& text = b.columns[c];
  Column out(want);
  out.Reserve(text.size());
  for (size_t r = 0; r < text.size(); ++r) {
    if (text.IsNull(r)) {
      out.Append(Value::Null(want));
      continue;
    }
    const std::optional<Value> v = ParseScalar(text.str[r], want);
    if (!v) {
      const std::string& raw = text.str[r];
      throw InputError(
          fmt::format("{}: row {}: {} '{}' has the value '{}', which is not a valid {}",
                      entity_file, r + 1, what, b.schema[c].name,
                      raw.size() > 60 ? raw.substr(0, 60) + "..." : raw, TypeName(want)));
    }
    out.Append(*v);
  }
  b.columns[c] = std::move(out);
  b.schema[c].type = want;
}

Batch ReadEntities(const fs::path& path, io::DuckDb& db) {
  const std::string from = io::ReadFunction(io::FormatOfPath(path.string()), {path.string()});
  const std::string context = "entity file " + path.string();
  CheckCsvShape(path, context);
  const auto described = db.Describe("SELECT * FROM " + from, context);
  return db.Query("SELECT " + io::CanonicalSelect(described, context) + " FROM " + from, context);
}

std::vector<std::string> ColumnNames(const Batch& b) {
  std::vector<std::string> names;
  for (const Field& f : b.schema) names.push_back(f.name);
  return names;
}

Batch Build(const BuildPlan& plan, Batch entities, const std::string& ts_column,
            const std::string& entity_file, const std::function<void(double)>& progress) {
  const repo::RepoDefinition& d = plan.defs;
  const int ts_index = entities.Find(ts_column);
  if (ts_index < 0) {
    const std::string near = ClosestName(ts_column, ColumnNames(entities));
    throw InputError(fmt::format(
        "{}: no timestamp column '{}'{}", entity_file, ts_column,
        near.empty() ? fmt::format(" (columns: {}; pass --timestamp-column)",
                                   fmt::join(ColumnNames(entities), ", "))
                     : "; did you mean '" + near + "'? (pass --timestamp-column " + near + ")"));
  }
  if (entities.schema[ts_index].type == DataType::kString) {
    CoerceEntityColumn(entities, ts_index, DataType::kTimestamp, entity_file, "timestamp column");
  }
  if (entities.schema[ts_index].type != DataType::kTimestamp) {
    throw InputError(fmt::format("{}: column '{}' has type {}, not timestamp", entity_file,
                                 ts_column, TypeName(entities.schema[ts_index].type)));
  }
  // Join keys the reader typed as text that the sources hold as int64 (a dirty value, JSON):
  // parsed, or the first bad value named.
  for (const repo::FeatureViewDef* view : plan.views) {
    const repo::SourceDef& src = *d.FindSource(view->source);
    for (const std::string& e : view->entities) {
      for (const std::string& k : d.FindEntity(e)->join_keys) {
        const int i = entities.Find(k);
        if (i < 0 || entities.schema[i].type != DataType::kString) continue;
        const DataType want = src.schema[FindField(src.schema, k)].type;
        if (want == DataType::kInt64) {
          CoerceEntityColumn(entities, i, want, entity_file, "join key");
        }
      }
    }
  }
  // Feature values by "view.feature", for outputs and on-demand inputs.
  std::map<std::string, Column> values;
  for (size_t vi = 0; vi < plan.views.size(); ++vi) {
    const repo::FeatureViewDef& view = *plan.views[vi];
    const repo::SourceDef& src = *d.FindSource(view.source);
    const repo::CompiledView compiled = repo::CompileView(d, view);
    const engine::LastValueSpec& spec = compiled.spec;
    const std::vector<size_t>& column_of = compiled.column_of;
    engine::EntityRows rows;
    rows.ts = &entities.columns[ts_index];
    for (const std::string& k : spec.join_keys) {
      const int i = entities.Find(k);
      if (i < 0) {
        throw InputError(fmt::format("{}: no column '{}' (join key of feature view '{}')",
                                     entity_file, k, view.name));
      }
      const DataType want = src.schema[FindField(src.schema, k)].type;
      if (entities.schema[i].type != want) {
        throw InputError(fmt::format("{}: join key '{}' has type {} but source '{}' has {}",
                                     entity_file, k, TypeName(entities.schema[i].type), src.name,
                                     TypeName(want)));
      }
      rows.keys.push_back(&entities.columns[i]);
    }
    offline::SegmentReader reader(plan.offline_root / src.name, plan.snapshots.at(src.name));
    auto view_progress = [&](double f) {
      if (progress) progress((vi + f) / static_cast<double>(plan.views.size()));
    };
    std::vector<Column> cols = engine::ComputeLastValues(spec, reader, rows, view_progress);
    for (size_t f = 0; f < view.features.size(); ++f) {
      values[view.name + "." + view.features[f].name] = std::move(cols[column_of[f]]);
    }
  }
  std::map<std::string, Column> request;
  for (const Field& f : plan.features.request_fields) {
    const int i = entities.Find(f.name);
    if (i < 0 || entities.schema[i].type != f.type) {
      std::string odv;  // the first on-demand view that needs it, for the message
      for (const repo::OnDemandViewDef* v : plan.odvs) {
        if (odv.empty() && FindField(v->request, f.name) >= 0) odv = v->name;
      }
      throw InputError(fmt::format(
          "{}: on-demand view '{}' needs request column '{}' of type {} in the entity file",
          entity_file, odv, f.name, TypeName(f.type)));
    }
    request.emplace(f.name, entities.columns[i]);
  }
  repo::OnDemandFeatures(d).Evaluate(plan.features, request, entities.num_rows, values);
  Batch out = entities;
  for (const repo::FeatureRef& r : plan.outputs) {
    const std::string name = r.view + "__" + r.feature;
    if (out.Find(name) >= 0) {
      throw InputError(fmt::format(
          "{}: column '{}' has the name of a feature the dataset adds (is it an earlier "
          "dataset?); keep the entity keys, the timestamp and request columns only",
          entity_file, name));
    }
    out.AddColumn(name, values.at(r.view + "." + r.feature));
  }
  out.num_rows = entities.num_rows;
  return out;
}

std::string ContentHash(const Batch& b) {
  Sha256 h;
  HashSchema(b.schema, h);
  HashRows(b, 0, b.num_rows, h);
  return h.HexDigest();
}

fs::path DatasetsDir(const fs::path& root) { return root / "datasets"; }

// The name of a dataset to create: NameProblem's rule.
void CheckName(const std::string& name) {
  const std::string problem = NameProblem(name, NameKind::kDataset);
  if (problem.empty()) return;
  throw UsageError(fmt::format("dataset name '{}' {} ({})", ShownName(name), problem,
                               NameRule(NameKind::kDataset)));
}

json DefinitionsJson(const BuildPlan& plan) {
  const repo::RepoDefinition& d = plan.defs;
  json j;
  auto with_version = [](json v, const std::string& version) {
    v["version"] = version;
    return v;
  };
  j["service"] = with_version(repo::ToJson(*plan.service), plan.service->version);
  j["feature_views"] = json::array();
  j["entities"] = json::array();
  j["sources"] = json::array();
  j["on_demand_views"] = json::array();
  std::set<std::string> entities;
  for (const auto* v : plan.views) {
    j["feature_views"].push_back(with_version(repo::ToJson(*v), v->version));
    for (const std::string& e : v->entities) entities.insert(e);
  }
  for (const std::string& e : entities) {
    const auto* def = d.FindEntity(e);
    j["entities"].push_back(with_version(repo::ToJson(*def), def->version));
  }
  for (const auto& [name, snap] : plan.snapshots) {
    const auto* src = d.FindSource(name);
    json s = snap.ToJson();
    s.erase("deliveries");
    j["sources"].push_back(
        {{"definition", with_version(repo::ToJson(*src), src->version)}, {"snapshot", s}});
  }
  for (const auto* odv : plan.odvs) {
    j["on_demand_views"].push_back(with_version(repo::ToJson(*odv), odv->version));
  }
  return j;
}

}  // namespace

DatasetSummary Create(const repo::RepoDefinition& repo, const CreateOptions& options) {
  CheckName(options.name);
  const fs::path dir = DatasetsDir(repo.root) / options.name;
  if (fs::exists(dir) && !options.force) {
    throw InputError(fmt::format("dataset '{}' already exists at {} (pass --force to replace it)",
                                 options.name, dir.string()));
  }
  const fs::path offline_root = offline::OfflineRoot(repo);
  BuildPlan plan = MakePlan(repo, options.service, [&](const repo::SourceDef& src) {
    auto latest = offline::SourceLog(offline_root, src.name).Latest();
    if (!latest) {
      throw InputError(fmt::format("source '{}' has no data yet: run `sluice ingest {}` first",
                                   src.name, src.name));
    }
    return *latest;
  });
  plan.offline_root = offline_root;
  // An entity query's rows go to a Parquet file in a temporary directory (gc removes one a
  // killed run left), which then stands in for an entity file.
  const bool query = !options.entities_query.empty();
  const std::string entity_label = query ? "the entity query" : options.entities_path;
  const fs::path query_dir =
      DatasetsDir(repo.root) / fmt::format(".{}.entities.tmp-{}", options.name, ::getpid());
  struct RemoveQueryDir {
    const fs::path& path;
    bool made = false;
    ~RemoveQueryDir() {
      std::error_code ignored;
      if (made) fs::remove_all(path, ignored);
    }
  } remove_query_dir{query_dir};
  fs::path entity_path;
  if (query) {
    ScopedPhase phase("dataset: run the entity query");
    fs::create_directories(query_dir);
    remove_query_dir.made = true;
    entity_path = query_dir / "entities.parquet";
    io::DuckDb qdb;
    qdb.Execute("SET file_search_path = " + io::QuoteLiteral(repo.root.string()));
    qdb.Execute(fmt::format("COPY ({}) TO {} (FORMAT parquet)", options.entities_query,
                            io::QuoteLiteral(entity_path.string())),
                "running the entity query");
  } else {
    entity_path = fs::absolute(options.entities_path);
    if (!fs::is_regular_file(entity_path)) {
      throw InputError("entity file " + options.entities_path + " does not exist");
    }
  }
  const std::string entity_sha = Sha256OfFile(entity_path);
  io::DuckDb db;
  Batch entities;
  {
    ScopedPhase phase("dataset: read entities");
    entities = ReadEntities(entity_path, db);
  }
  const size_t entity_rows = entities.num_rows;
  Batch out;
  {
    ScopedPhase phase("dataset: compute features");
    out = Build(plan, std::move(entities), options.timestamp_column, entity_label,
                options.progress);
  }
  // Check suites on the dataset's rows, before anything is written.
  std::vector<quality::CheckResult> checks;
  if (const auto suites = repo.DatasetSuites(options.name); !suites.empty()) {
    ScopedPhase phase("dataset: checks");
    quality::DeliveryCheck check(suites, out.schema, options.timestamp_column, NowMicros());
    std::vector<quality::DeliveredColumn> columns;
    for (const Field& f : out.schema) columns.push_back({f.name, std::string(TypeName(f.type))});
    check.SetDeliveredColumns(std::move(columns));
    std::vector<uint8_t> quarantine;
    std::vector<std::string> reasons;
    check.Consume(out, 0, quarantine, reasons);
    quality::Profile profile(out.schema);
    profile.Update(out);
    struct NoHistory final : quality::History {
      std::optional<quality::Profile> Reference(const std::string&) override { return {}; }
      std::vector<int64_t> RecentRows(int64_t) override { return {}; }
    } none;
    checks = check.Finish(profile, none);
    for (quality::CheckResult& c : checks) c.delivery = "dataset " + options.name;
    if (check.failed()) {
      DatasetSummary rejected;
      rejected.name = options.name;
      rejected.rows = static_cast<int64_t>(out.num_rows);
      rejected.checks = std::move(checks);
      rejected.rejected = true;
      return rejected;
    }
  }
  ScopedPhase write_phase("dataset: write + hash");

  // Build the directory under a temporary name, then rename it into place.
  fs::create_directories(DatasetsDir(repo.root));
  const fs::path tmp = DatasetsDir(repo.root) / fmt::format(".{}.tmp-{}", options.name, ::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  // Whatever fails from here on, the temporary directory goes (a kill leaves it to `gc`).
  struct RemoveUnlessRenamed {
    const fs::path& path;
    ~RemoveUnlessRenamed() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } remove_tmp{tmp};
  // The content hash reads the same columns as the writer: compute it alongside.
  std::future<std::string> content_hash =
      std::async(std::launch::async, [&out] { return ContentHash(out); });
  db.WriteParquet(out, (tmp / "data.parquet").string());
  FsyncFile(tmp / "data.parquet");
  std::string ext = entity_path.extension().string();
  if (entity_path.string().ends_with(".csv.gz")) ext = ".csv.gz";
  const std::string copy_name = "entities" + ext;
  fs::copy_file(entity_path, tmp / copy_name);
  FsyncFile(tmp / copy_name);
  if (Sha256OfFile(tmp / copy_name) != entity_sha) {
    throw InputError(entity_label + " changed while it was read");
  }
  json manifest = {{"format_version", 1},
                   {"name", options.name},
                   {"created_at", FormatTimestamp(NowMicros())},
                   {"project", repo.config.project},
                   {"offline_store", repo.config.offline_store},
                   {"entity_file",
                    {{"path", query ? "" : options.entities_path},
                     {"copy", copy_name},
                     {"sha256", entity_sha},
                     {"timestamp_column", options.timestamp_column},
                     {"rows", entity_rows}}},
                   {"definitions", DefinitionsJson(plan)},
                   {"columns", repo::SchemaToJson(out.schema)},
                   {"row_count", out.num_rows},
                   {"content_hash", content_hash.get()}};
  if (query) manifest["entity_file"]["query"] = options.entities_query;
  WriteFileAtomic(tmp / "manifest.json", JsonText(manifest, 2));
  FsyncDir(tmp);
  if (fs::exists(dir)) {
    const fs::path old =
        DatasetsDir(repo.root) / fmt::format(".{}.old-{}", options.name, ::getpid());
    RenameDurable(dir, old);
    RenameDurable(tmp, dir);
    fs::remove_all(old);
  } else {
    RenameDurable(tmp, dir);
  }
  DatasetSummary summary{options.name, dir, static_cast<int64_t>(out.num_rows),
                         manifest["content_hash"], manifest};
  summary.checks = std::move(checks);
  return summary;
}

json Show(const fs::path& root, const std::string& name) {
  // Datasets created before names were checked may have other characters: reading one needs
  // only a name that stays inside datasets/.
  if (name.empty() || name.size() > 255 || name.find_first_of("/\\") != std::string::npos ||
      name.find('\0') != std::string::npos || name.starts_with(".")) {
    CheckName(name);  // the error of the rule
  }
  const fs::path p = DatasetsDir(root) / name / "manifest.json";
  if (!fs::exists(p)) {
    throw NotFoundError(fmt::format("no dataset '{}' in {} (see `sluice dataset list`)", name,
                                 DatasetsDir(root).string()));
  }
  try {
    return json::parse(ReadFile(p));
  } catch (const json::exception& e) {
    throw InputError(fmt::format("corrupt dataset manifest {}: {}", p.string(), e.what()));
  }
}

void Delete(const fs::path& root, const std::string& name) {
  (void)Show(root, name);  // the name's checks, and NotFoundError when there is no such dataset
  const fs::path dir = DatasetsDir(root) / name;
  const fs::path aside = DatasetsDir(root) / fmt::format(".{}.deleted-{}", name, ::getpid());
  RenameDurable(dir, aside);
  fs::remove_all(aside);
}

int RemoveAbandoned(const fs::path& root) {
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(DatasetsDir(root), ec)) {
    const std::string n = e.path().filename().string();
    if (!e.is_directory(ec) || !n.starts_with(".")) continue;
    const size_t dash = n.rfind('-');
    if (dash == std::string::npos) continue;
    const std::string_view kind = std::string_view(n).substr(0, dash);
    if (!kind.ends_with(".tmp") && !kind.ends_with(".old") && !kind.ends_with(".deleted")) {
      continue;
    }
    int pid = 0;
    const auto [end, perr] = std::from_chars(n.data() + dash + 1, n.data() + n.size(), pid);
    if (perr != std::errc() || end != n.data() + n.size() || pid <= 0) continue;
    if (::kill(pid, 0) == 0 || errno == EPERM) continue;  // its process still runs
    if (kind.ends_with(".old")) {
      // A replaced dataset, renamed aside before its successor took the name: when the
      // process died between the two renames it is the only copy, and goes back.
      const fs::path name = DatasetsDir(root) / std::string(kind.substr(1, kind.size() - 5));
      if (!fs::exists(name)) {
        fs::rename(e.path(), name, ec);
        continue;
      }
    }
    fs::remove_all(e.path(), ec);
    if (!ec) ++removed;
  }
  return removed;
}

std::vector<ListedDataset> List(const fs::path& root) {
  std::vector<ListedDataset> out;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(DatasetsDir(root), ec)) {
    const std::string n = e.path().filename().string();
    if (e.is_directory() && !n.starts_with(".") && fs::exists(e.path() / "manifest.json")) {
      names.push_back(n);
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    ListedDataset d{n, nullptr, ""};
    const std::string path = (DatasetsDir(root) / n / "manifest.json").string();
    try {
      json m = Show(root, n);
      // The fields a listing and gc read, with their types.
      const bool ok = m.is_object() && m.value("name", json()).is_string() &&
                      m.value("created_at", json()).is_string() &&
                      m.value("row_count", json()).is_number_integer() &&
                      m.value("content_hash", json()).is_string() &&
                      m.value("definitions", json()).is_object() &&
                      m["definitions"].value("service", json()).is_object() &&
                      m["definitions"]["service"].value("name", json()).is_string() &&
                      m["definitions"].value("sources", json()).is_array();
      if (!ok) {
        d.problem = fmt::format("corrupt dataset manifest {}: a field is missing or of the wrong "
                                "type (name, created_at, row_count, content_hash, definitions)",
                                path);
      } else {
        for (const json& src : m["definitions"]["sources"]) {
          const bool src_ok = src.is_object() && src.contains("definition") &&
                              src["definition"].value("name", json()).is_string() &&
                              src.contains("snapshot") &&
                              src["snapshot"].value("snapshot", json()).is_number_integer();
          if (!src_ok) {
            d.problem =
                fmt::format("corrupt dataset manifest {}: a source has no name or snapshot", path);
          }
        }
      }
      if (d.problem.empty()) d.manifest = std::move(m);
    } catch (const Error& e) {
      d.problem = e.what();
    } catch (const json::exception& e) {
      d.problem = fmt::format("corrupt dataset manifest {}: {}", path, e.what());
    }
    out.push_back(std::move(d));
  }
  return out;
}

ReproduceResult Reproduce(const fs::path& root, const std::string& name,
                          const std::function<void(double)>& progress) {
  const json m = Show(root, name);
  const fs::path dir = DatasetsDir(root) / name;
  repo::RepoDefinition defs;
  defs.root = root;
  try {
    const json& d = m.at("definitions");
    auto load = [](const json& items, auto& out) {
      for (const json& j : items) {
        out.emplace_back();
        repo::FromJson(j, out.back());
      }
    };
    load(d.at("entities"), defs.entities);
    load(d.at("feature_views"), defs.feature_views);
    load(d.at("on_demand_views"), defs.on_demand_views);
    defs.feature_services.emplace_back();
    repo::FromJson(d.at("service"), defs.feature_services.back());
    std::map<std::string, offline::SnapshotManifest> snaps;
    for (const json& s : d.at("sources")) {
      defs.sources.emplace_back();
      repo::FromJson(s.at("definition"), defs.sources.back());
      json snap = s.at("snapshot");
      snap["deliveries"] = json::array();
      snaps.emplace(defs.sources.back().name, offline::SnapshotManifest::FromJson(snap));
    }
    const fs::path offline_root = fs::path(m.at("offline_store").get<std::string>()).is_absolute()
                                      ? fs::path(m.at("offline_store").get<std::string>())
                                      : root / m.at("offline_store").get<std::string>();
    BuildPlan plan = MakePlan(std::move(defs), d.at("service").at("name"),
                              [&](const repo::SourceDef& src) { return snaps.at(src.name); });
    plan.offline_root = offline_root;
    // Every segment must be the very file the dataset was built from.
    for (const auto& [source, snap] : plan.snapshots) {
      for (const offline::Segment& seg : snap.segments) {
        const fs::path p = offline_root / source / seg.path;
        if (!fs::exists(p)) {
          throw InputError(
              fmt::format("dataset '{}' needs segment {} of source '{}' snapshot {}, which is gone",
                          name, p.string(), source, snap.snapshot));
        }
        if (Sha256OfFile(p) != seg.sha256) {
          throw InputError(
              fmt::format("segment {} of source '{}' was altered (sha256 differs "
                          "from the dataset manifest)",
                          p.string(), source));
        }
      }
    }
    const json& ef = m.at("entity_file");
    const fs::path copy = dir / ef.at("copy").get<std::string>();
    if (!fs::exists(copy) || Sha256OfFile(copy) != ef.at("sha256").get<std::string>()) {
      throw InputError(fmt::format("dataset '{}': entity file copy {} is missing or altered", name,
                                   copy.string()));
    }
    io::DuckDb db;
    Batch out = Build(plan, ReadEntities(copy, db), ef.at("timestamp_column"), copy.string(),
                      progress);
    ReproduceResult r;
    r.name = name;
    r.rows = static_cast<int64_t>(out.num_rows);
    r.expected_hash = m.at("content_hash");
    r.actual_hash = ContentHash(out);
    r.matches = r.expected_hash == r.actual_hash;
    if (r.matches && !fs::exists(dir / "data.parquet")) {
      const fs::path tmp = dir / "data.parquet.tmp";
      db.WriteParquet(out, tmp.string());
      FsyncFile(tmp);
      RenameDurable(tmp, dir / "data.parquet");
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("corrupt dataset manifest for '{}': {}", name, e.what()));
  }
}

}  // namespace sluice::dataset
