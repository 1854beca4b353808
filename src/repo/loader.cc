#include "repo/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "common/time.h"
#include "sluice/error.h"

namespace sluice::repo {
namespace fs = std::filesystem;

namespace {

// A YAML node with the file it came from, so every error can say file:line.
struct Doc {
  std::string file;  // path relative to the repository root

  int Line(const YAML::Node& n) const { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

  [[noreturn]] void Fail(const YAML::Node& n, const std::string& message,
                         const std::string& hint) const {
    throw DefinitionError(file, Line(n), message, hint);
  }

  void ExpectMap(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) Fail(n, what + " must be a mapping", "write it as {key: value, ...}");
  }

  // Rejects keys outside `allowed`, suggesting the nearest allowed key.
  void CheckKeys(const YAML::Node& n, const std::string& what,
                 const std::vector<std::string>& allowed) const {
    for (const auto& kv : n) {
      const std::string key = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string near = ClosestName(key, allowed);
      Fail(kv.first, fmt::format("unknown key '{}' in {}", key, what),
           near.empty() ? "allowed keys: " + fmt::format("{}", fmt::join(allowed, ", "))
                        : "did you mean '" + near + "'?");
    }
  }

  std::string Str(const YAML::Node& parent, const std::string& key, const std::string& what,
                  bool required = true) const {
    const YAML::Node n = parent[key];
    if (!n) {
      if (required) Fail(parent, fmt::format("{} has no '{}'", what, key), "add " + key + ": ...");
      return "";
    }
    if (!n.IsScalar()) Fail(n, fmt::format("'{}' of {} must be a string", key, what), "");
    return n.as<std::string>();
  }

  std::vector<std::string> StrList(const YAML::Node& parent, const std::string& key,
                                   const std::string& what) const {
    const YAML::Node n = parent[key];
    if (!n) Fail(parent, fmt::format("{} has no '{}'", what, key), "add " + key + ": [...]");
    if (!n.IsSequence() || n.size() == 0) {
      Fail(n, fmt::format("'{}' of {} must be a non-empty list", key, what),
           "write it as " + key + ": [a, b]");
    }
    std::vector<std::string> out;
    for (const auto& item : n) {
      if (!item.IsScalar()) Fail(item, fmt::format("'{}' of {} must list names", key, what), "");
      out.push_back(item.as<std::string>());
    }
    return out;
  }

  std::optional<Micros> Duration(const YAML::Node& parent, const std::string& key,
                                 const std::string& what) const {
    const YAML::Node n = parent[key];
    if (!n) return std::nullopt;
    const std::string text = n.IsScalar() ? n.as<std::string>() : "";
    if (text == "0") return 0;
    auto d = ParseDuration(text);
    if (!d) {
      Fail(n, fmt::format("bad duration '{}' for '{}' of {}", text, key, what),
           "write an integer and a unit: ms, s, m, h, d or w (e.g. 30d, 1h, 90s)");
    }
    return d;
  }

  std::optional<double> Number(const YAML::Node& parent, const std::string& key,
                               const std::string& what) const {
    const YAML::Node n = parent[key];
    if (!n) return std::nullopt;
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v)) {
      Fail(n, fmt::format("'{}' of {} must be a number", key, what), "");
    }
    return v;
  }

  Location Loc(const YAML::Node& n) const { return {file, Line(n)}; }
};

void LoadFeatures(const Doc& doc, const YAML::Node& list, const std::string& owner,
                  std::vector<FeatureDef>& out) {
  if (!list || !list.IsSequence() || list.size() == 0) {
    doc.Fail(list ? list : YAML::Node(), owner + " has no features",
             "add features: [{name: f, expr: column}]");
  }
  for (const auto& f : list) {
    doc.ExpectMap(f, "a feature of " + owner);
    doc.CheckKeys(f, "a feature of " + owner,
                  {"name", "expr", "aggregate", "window", "hop", "where", "description"});
    FeatureDef def;
    def.name = doc.Str(f, "name", "a feature of " + owner);
    const std::string what = fmt::format("feature '{}' of {}", def.name, owner);
    def.expr = doc.Str(f, "expr", what, false);
    def.aggregate = doc.Str(f, "aggregate", what, false);
    def.where = doc.Str(f, "where", what, false);
    def.window_us = doc.Duration(f, "window", what);
    def.hop_us = doc.Duration(f, "hop", what);
    def.loc = doc.Loc(f);
    if (def.aggregate.empty()) {
      if (def.expr.empty()) doc.Fail(f, what + " has no expr", "add expr: <column or expression>");
      if (def.window_us || def.hop_us || !def.where.empty()) {
        doc.Fail(f, what + " has window/hop/where but no aggregate",
                 "add aggregate: sum (or count, mean, min, max, ...)");
      }
    }
    out.push_back(std::move(def));
  }
}

Schema LoadSchemaMap(const Doc& doc, const YAML::Node& n, const std::string& what) {
  Schema schema;
  doc.ExpectMap(n, what);
  for (const auto& kv : n) {
    const std::string type_name = kv.second.IsScalar() ? kv.second.as<std::string>() : "";
    auto type = ParseTypeName(type_name);
    if (!type) {
      doc.Fail(kv.second, fmt::format("unknown type '{}' for '{}' in {}", type_name,
                                      kv.first.as<std::string>(), what),
               "types: int64, float64, bool, string, timestamp, list<float64>");
    }
    schema.push_back({kv.first.as<std::string>(), *type});
  }
  return schema;
}

RuleDef LoadRule(const Doc& doc, const YAML::Node& n, const std::string& suite);

void LoadDefinitionFile(const Doc& doc, const YAML::Node& root, RepoDefinition& repo) {
  if (root.IsNull()) return;
  doc.ExpectMap(root, "a definition file");
  doc.CheckKeys(root, "a definition file",
                {"entities", "sources", "feature_views", "on_demand_views", "feature_services",
                 "checks"});
  auto each = [&](const char* key, auto&& fn) {
    const YAML::Node list = root[key];
    if (!list) return;
    if (!list.IsSequence()) doc.Fail(list, std::string(key) + " must be a list", "");
    for (const auto& item : list) {
      doc.ExpectMap(item, std::string("an item of ") + key);
      fn(item);
    }
  };
  each("entities", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "an entity", {"name", "join_keys", "description"});
    EntityDef e;
    e.name = doc.Str(n, "name", "an entity");
    e.join_keys = doc.StrList(n, "join_keys", "entity '" + e.name + "'");
    e.loc = doc.Loc(n);
    repo.entities.push_back(std::move(e));
  });
  each("sources", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "a source",
                  {"name", "type", "path", "query", "timestamp_field", "created_timestamp_field",
                   "schema", "description"});
    SourceDef s;
    s.name = doc.Str(n, "name", "a source");
    const std::string what = "source '" + s.name + "'";
    s.type = doc.Str(n, "type", what);
    if (s.type == "file") {
      s.path = doc.Str(n, "path", what);
    } else if (s.type == "sql") {
      s.query = doc.Str(n, "query", what);
    } else if (s.type == "push") {
      // Rows arrive through POST /push: nothing to infer the columns from.
      if (!n["schema"]) {
        doc.Fail(n, what + " (type push) needs a schema",
                 "declare its columns: schema: {user_id: int64, event_time: timestamp, ...}");
      }
    } else {
      doc.Fail(n["type"], fmt::format("{} has unsupported type '{}'", what, s.type),
               "supported here: file, sql, push");
    }
    s.timestamp_field = doc.Str(n, "timestamp_field", what);
    s.created_timestamp_field = doc.Str(n, "created_timestamp_field", what, false);
    if (n["schema"]) s.schema = LoadSchemaMap(doc, n["schema"], what + " schema");
    s.loc = doc.Loc(n);
    repo.sources.push_back(std::move(s));
  });
  each("feature_views", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "a feature view",
                  {"name", "entities", "source", "ttl", "features", "description", "online"});
    FeatureViewDef v;
    v.name = doc.Str(n, "name", "a feature view");
    const std::string what = "feature view '" + v.name + "'";
    v.entities = doc.StrList(n, "entities", what);
    v.source = doc.Str(n, "source", what);
    v.ttl_us = doc.Duration(n, "ttl", what);
    v.loc = doc.Loc(n);
    LoadFeatures(doc, n["features"], what, v.features);
    repo.feature_views.push_back(std::move(v));
  });
  each("on_demand_views", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "an on-demand view", {"name", "inputs", "request", "features", "description"});
    OnDemandViewDef v;
    v.name = doc.Str(n, "name", "an on-demand view");
    const std::string what = "on-demand view '" + v.name + "'";
    v.inputs = doc.StrList(n, "inputs", what);
    if (n["request"]) v.request = LoadSchemaMap(doc, n["request"], what + " request");
    v.loc = doc.Loc(n);
    LoadFeatures(doc, n["features"], what, v.features);
    repo.on_demand_views.push_back(std::move(v));
  });
  each("feature_services", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "a feature service", {"name", "features", "description"});
    FeatureServiceDef s;
    s.name = doc.Str(n, "name", "a feature service");
    for (const std::string& ref : doc.StrList(n, "features", "feature service '" + s.name + "'")) {
      const size_t colon = ref.find(':');
      if (colon == std::string::npos) {
        s.features.push_back({ref, ""});
      } else {
        s.features.push_back({ref.substr(0, colon), ref.substr(colon + 1)});
      }
    }
    s.loc = doc.Loc(n);
    repo.feature_services.push_back(std::move(s));
  });
  each("checks", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "a check suite", {"name", "source", "dataset", "rules", "description"});
    CheckSuiteDef c;
    c.name = doc.Str(n, "name", "a check suite");
    const std::string what = "check suite '" + c.name + "'";
    if (n["source"].IsDefined() == n["dataset"].IsDefined()) {
      doc.Fail(n, what + " needs exactly one of source and dataset",
               "source: NAME (checked at ingest) or dataset: NAME (checked by dataset create)");
    }
    c.source = doc.Str(n, "source", what, false);
    c.dataset = doc.Str(n, "dataset", what, false);
    const YAML::Node rules = n["rules"];
    if (!rules || !rules.IsSequence() || rules.size() == 0) {
      doc.Fail(rules ? rules : n, what + " has no rules", "rules: [{rule: not_null, column: id}]");
    }
    for (const auto& r : rules) {
      doc.ExpectMap(r, "a rule of " + what);
      c.rules.push_back(LoadRule(doc, r, c.name));
    }
    c.loc = doc.Loc(n);
    repo.checks.push_back(std::move(c));
  });
}

// One rule of a check suite; the keys each rule takes are listed here (docs/guide.md).
RuleDef LoadRule(const Doc& doc, const YAML::Node& n, const std::string& suite) {
  RuleDef r;
  r.rule = doc.Str(n, "rule", "a rule of check suite '" + suite + "'");
  const std::string what = fmt::format("rule '{}' of check suite '{}'", r.rule, suite);
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kKeys = {
      {"schema", {"columns", "allow_extra"}},
      {"not_null", {"column", "mostly"}},
      {"range", {"column", "min", "max", "mostly"}},
      {"accepted_values", {"column", "values", "mostly"}},
      {"regex", {"column", "pattern", "mostly"}},
      {"unique", {"columns", "column", "mostly"}},
      {"row_count", {"min", "max"}},
      {"null_rate", {"column", "min", "max"}},
      {"mean", {"column", "min", "max"}},
      {"stddev", {"column", "min", "max"}},
      {"quantile", {"column", "q", "min", "max"}},
      {"freshness", {"column", "warn_after", "error_after"}},
      {"drift", {"column", "method", "reference", "max"}},
      {"volume", {"last", "k"}},
      {"referential", {"columns", "column", "source", "mostly"}},
  };
  auto kind = std::find_if(kKeys.begin(), kKeys.end(), [&](const auto& k) { return k.first == r.rule; });
  if (kind == kKeys.end()) {
    std::vector<std::string> names;
    for (const auto& k : kKeys) names.push_back(k.first);
    const std::string near = ClosestName(r.rule, names);
    doc.Fail(n["rule"], fmt::format("unknown rule '{}' in check suite '{}'", r.rule, suite),
             near.empty() ? fmt::format("rules: {}", fmt::join(names, ", "))
                          : "did you mean '" + near + "'?");
  }
  std::vector<std::string> allowed = {"rule", "severity", "description"};
  allowed.insert(allowed.end(), kind->second.begin(), kind->second.end());
  doc.CheckKeys(n, what, allowed);
  r.severity = n["severity"] ? doc.Str(n, "severity", what) : "fail";
  if (r.severity != "warn" && r.severity != "fail" && r.severity != "quarantine") {
    doc.Fail(n["severity"], fmt::format("{} has unknown severity '{}'", what, r.severity),
             "severity: warn, fail or quarantine");
  }
  r.loc = doc.Loc(n);
  const bool needs_column = r.rule != "schema" && r.rule != "row_count" &&
                            r.rule != "freshness" && r.rule != "unique" && r.rule != "volume" &&
                            r.rule != "referential";
  if (needs_column) r.column = doc.Str(n, "column", what);
  if (r.rule == "freshness") r.column = doc.Str(n, "column", what, false);
  if (r.rule == "referential") r.source = doc.Str(n, "source", what);
  if (r.rule == "unique" || r.rule == "referential") {
    if (n["column"] && n["columns"]) doc.Fail(n, what + " has both column and columns", "keep one");
    r.columns = n["column"] ? std::vector<std::string>{doc.Str(n, "column", what)}
                            : doc.StrList(n, "columns", what);
  }
  r.min = doc.Number(n, "min", what);
  r.max = doc.Number(n, "max", what);
  r.mostly = doc.Number(n, "mostly", what);
  if (r.mostly && (*r.mostly < 0 || *r.mostly > 1)) {
    doc.Fail(n["mostly"], fmt::format("'mostly' of {} must be between 0 and 1", what),
             "e.g. mostly: 0.99 (99% of non-null values must pass)");
  }
  const bool bounded = r.rule == "range" || r.rule == "row_count" || r.rule == "null_rate" ||
                       r.rule == "mean" || r.rule == "stddev" || r.rule == "quantile";
  if (bounded && !r.min && !r.max) doc.Fail(n, what + " has neither min nor max", "add min: or max:");
  if (r.min && r.max && *r.min > *r.max) {
    doc.Fail(n, fmt::format("{} has min {} > max {}", what, *r.min, *r.max), "swap them");
  }
  if (r.rule == "accepted_values") {
    const YAML::Node v = n["values"];
    if (!v || !v.IsSequence() || v.size() == 0) {
      doc.Fail(v ? v : n, what + " needs a non-empty list of values", "values: [a, b, c]");
    }
    for (const auto& x : v) {
      if (!x.IsScalar()) doc.Fail(x, what + ": values must be scalars", "");
      r.values.push_back(x.as<std::string>());
    }
  }
  if (r.rule == "regex") r.pattern = doc.Str(n, "pattern", what);
  if (r.rule == "quantile") {
    const auto q = doc.Number(n, "q", what);
    if (!q || *q < 0 || *q > 1) doc.Fail(n, what + " needs q between 0 and 1", "q: 0.99");
    r.q = *q;
  }
  if (r.rule == "schema") {
    if (!n["columns"]) doc.Fail(n, what + " has no columns", "columns: {user_id: int64, ...}");
    r.schema = LoadSchemaMap(doc, n["columns"], what + " columns");
    if (n["allow_extra"]) {
      const YAML::Node a = n["allow_extra"];
      bool b = true;
      if (!a.IsScalar() || !YAML::convert<bool>::decode(a, b)) {
        doc.Fail(a, fmt::format("'allow_extra' of {} must be true or false", what), "");
      }
      r.allow_extra = b;
    }
  }
  if (r.rule == "drift") {
    r.method = doc.Str(n, "method", what);
    if (r.method != "psi" && r.method != "ks" && r.method != "js") {
      doc.Fail(n["method"], fmt::format("{} has unknown method '{}'", what, r.method),
               "method: psi (population stability index), ks (Kolmogorov-Smirnov, numbers) or js "
               "(Jensen-Shannon, categories)");
    }
    r.reference = n["reference"] ? doc.Str(n, "reference", what) : "previous";
    const auto number_after = [&](const std::string& prefix) -> std::optional<int64_t> {
      if (r.reference.rfind(prefix, 0) != 0) return std::nullopt;
      int64_t v = 0;
      const std::string rest = r.reference.substr(prefix.size());
      const auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
      if (ec != std::errc() || p != rest.data() + rest.size() || v <= 0) return -1;
      return v;
    };
    const auto last = number_after("last:"), snapshot = number_after("snapshot:");
    const bool file = r.reference.rfind("file:", 0) == 0 && r.reference.size() > 5;
    if (!(r.reference == "previous" || (last && *last > 0) || (snapshot && *snapshot > 0) || file)) {
      doc.Fail(n["reference"], fmt::format("{} has a bad reference '{}'", what, r.reference),
               "reference: previous, last:N (the previous N deliveries), snapshot:N or "
               "file:PATH");
    }
    if (!r.max) doc.Fail(n, what + " has no max", "max: 0.2 (the highest score that passes)");
  }
  if (r.rule == "volume") {
    const YAML::Node last = n["last"];
    if (!last || !last.IsScalar() || !YAML::convert<int64_t>::decode(last, r.last) || r.last < 2) {
      doc.Fail(last ? last : n, what + " needs last: N (N >= 2 deliveries of history)", "last: 7");
    }
    if (const auto k = doc.Number(n, "k", what)) r.k = *k;
    if (r.k <= 0) doc.Fail(n["k"], what + ": k must be positive", "k: 3");
  }
  if (r.rule == "freshness") {
    r.warn_after_us = doc.Duration(n, "warn_after", what);
    r.error_after_us = doc.Duration(n, "error_after", what);
    if (!r.warn_after_us && !r.error_after_us) {
      doc.Fail(n, what + " has neither warn_after nor error_after", "warn_after: 2h, error_after: 1d");
    }
  }
  return r;
}

ProjectConfig LoadProjectConfig(const Doc& doc, const YAML::Node& root) {
  ProjectConfig c;
  doc.ExpectMap(root, "sluice.yaml");
  doc.CheckKeys(root, "sluice.yaml",
                {"project", "registry", "offline_store", "online_store", "server", "bucket_count"});
  c.project = doc.Str(root, "project", "sluice.yaml");
  if (root["registry"]) c.registry = doc.Str(root, "registry", "sluice.yaml");
  if (const YAML::Node off = root["offline_store"]) {
    doc.ExpectMap(off, "offline_store");
    doc.CheckKeys(off, "offline_store", {"path"});
    c.offline_store = doc.Str(off, "path", "offline_store");
  }
  if (const YAML::Node on = root["online_store"]) {
    doc.ExpectMap(on, "online_store");
    doc.CheckKeys(on, "online_store", {"type", "path", "url"});
    c.online_store.type = doc.Str(on, "type", "online_store");
    if (on["path"]) c.online_store.path = doc.Str(on, "path", "online_store");
    if (on["url"]) c.online_store.url = doc.Str(on, "url", "online_store");
    if (c.online_store.type != "rocksdb" && c.online_store.type != "redis") {
      doc.Fail(on["type"], "unknown online_store type '" + c.online_store.type + "'",
               "use rocksdb (embedded) or redis");
    }
  }
  if (const YAML::Node sv = root["server"]) {
    doc.ExpectMap(sv, "server");
    doc.CheckKeys(sv, "server", {"port", "auth_token", "max_request_bytes"});
    if (sv["auth_token"]) c.server.auth_token = doc.Str(sv, "auth_token", "server");
    for (const char* key : {"port", "max_request_bytes"}) {
      if (!sv[key]) continue;
      int64_t n = 0;
      try {
        n = sv[key].as<int64_t>();
      } catch (const YAML::Exception&) {
      }
      const bool port = std::string(key) == "port";
      if (n < 1 || (port && n > 65535)) {
        doc.Fail(sv[key], fmt::format("server.{} must be a positive integer{}", key,
                                      port ? " up to 65535" : ""), "");
      }
      (port ? c.server.port : c.server.max_request_bytes) = n;
    }
  }
  if (const YAML::Node b = root["bucket_count"]) {
    int n = 0;
    try {
      n = b.as<int>();
    } catch (const YAML::Exception&) {
    }
    if (n < 1 || n > 4096) doc.Fail(b, "bucket_count must be an integer from 1 to 4096", "");
    c.bucket_count = n;
  }
  return c;
}

YAML::Node ParseYaml(const fs::path& path, const std::string& rel) {
  try {
    return YAML::LoadFile(path.string());
  } catch (const YAML::ParserException& e) {
    throw DefinitionError(rel, e.mark.line + 1, "invalid YAML: " + e.msg,
                          "check indentation and quoting near this line");
  } catch (const YAML::BadFile&) {
    throw InputError("cannot read " + path.string());
  }
}

template <typename T>
void CheckUnique(const std::vector<T>& items, const std::string& kind) {
  std::map<std::string, const T*> seen;
  for (const T& item : items) {
    auto [it, fresh] = seen.emplace(item.name, &item);
    if (!fresh) {
      throw DefinitionError(item.loc.file, item.loc.line,
                            fmt::format("duplicate {} name '{}'", kind, item.name),
                            fmt::format("first defined at {}:{}; rename one of them",
                                        it->second->loc.file, it->second->loc.line));
    }
  }
}

}  // namespace

ProjectConfig LoadConfig(const fs::path& root_in) {
  const fs::path root = fs::absolute(root_in).lexically_normal();
  const fs::path config_path = root / "sluice.yaml";
  if (!fs::exists(config_path)) {
    throw InputError(fmt::format(
        "{} is not a sluice repository: sluice.yaml not found (pass --repo DIR or cd into one)",
        root.string()));
  }
  return LoadProjectConfig({"sluice.yaml"}, ParseYaml(config_path, "sluice.yaml"));
}

RepoDefinition LoadRepo(const fs::path& root_in) {
  RepoDefinition repo;
  repo.root = fs::absolute(root_in).lexically_normal();
  const fs::path config_path = repo.root / "sluice.yaml";
  repo.config = LoadConfig(repo.root);

  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(repo.root); it != fs::end(it); ++it) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    if (it->is_directory()) {
      if (name.starts_with(".") || name == "datasets" || name == "node_modules") {
        it.disable_recursion_pending();
      }
      continue;
    }
    if ((p.extension() == ".yaml" || p.extension() == ".yml") && p != config_path) {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    const std::string rel = fs::relative(p, repo.root).string();
    LoadDefinitionFile(Doc{rel}, ParseYaml(p, rel), repo);
  }
  CheckUnique(repo.entities, "entity");
  CheckUnique(repo.sources, "source");
  std::vector<FeatureViewDef> all_views = repo.feature_views;
  for (const auto& odv : repo.on_demand_views) {
    FeatureViewDef v;
    v.name = odv.name;
    v.loc = odv.loc;
    all_views.push_back(v);
  }
  CheckUnique(all_views, "view");
  CheckUnique(repo.feature_services, "feature service");
  CheckUnique(repo.checks, "check suite");
  return repo;
}

}  // namespace sluice::repo
