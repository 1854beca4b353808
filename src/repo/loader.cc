#include "repo/loader.h"

#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <tuple>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/text.h"
#include "repo/yaml_reader.h"
#include "sluice/error.h"

namespace sluice::repo {
namespace fs = std::filesystem;

namespace {

using Doc = YamlReader;

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
    def.name = doc.Name(f, "name", "a feature of " + owner);
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

// Loads one file's objects into `repo`. An object with an error is skipped and its error
// added to `errors`, so that one run reports every broken object, not only the first.
void LoadDefinitionFile(const Doc& doc, const YAML::Node& root, const RuleParser& parse_rule,
                        RepoDefinition& repo, std::vector<DefinitionError>& errors) {
  if (root.IsNull()) return;
  doc.ExpectMap(root, "a definition file");
  const std::vector<std::string> kinds = {"entities",         "sources",
                                          "feature_views",    "on_demand_views",
                                          "feature_services", "checks"};
  // A YAML file of another tool (docker-compose.yml, a CI file) shares none of the keys.
  bool any = false;
  std::vector<std::string> keys;
  for (const auto& kv : root) {
    const std::string key = kv.first.IsScalar() ? kv.first.as<std::string>() : "?";
    keys.push_back(key);
    any = any || std::find(kinds.begin(), kinds.end(), key) != kinds.end();
  }
  if (!any && !keys.empty()) {
    doc.Fail(root,
             fmt::format("not a sluice definition file (its keys: {})",
                         fmt::join(keys.begin(), keys.begin() + std::min<size_t>(keys.size(), 5),
                                   ", ")),
             "list it in .sluiceignore at the repository root if it belongs to another tool");
  }
  doc.CheckKeys(root, "a definition file", kinds);
  auto each = [&](const char* key, auto&& fn) {
    const YAML::Node list = root[key];
    if (!list) return;
    if (!list.IsSequence()) doc.Fail(list, std::string(key) + " must be a list", "");
    for (const auto& item : list) {
      try {
        doc.ExpectMap(item, std::string("an item of ") + key);
        fn(item);
      } catch (const DefinitionError& e) {
        errors.push_back(e);
      } catch (const YAML::Exception& e) {
        // A value yaml-cpp cannot convert where the reader did not look first: still the
        // file's error, at its line.
        errors.emplace_back(doc.file, e.mark.line + 1, "invalid value: " + e.msg,
                            "check this item's keys and values");
      }
    }
  };
  each("entities", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "an entity", {"name", "join_keys", "description"});
    EntityDef e;
    e.name = doc.Name(n, "name", "an entity");
    e.join_keys = doc.StrList(n, "join_keys", "entity '" + e.name + "'");
    e.loc = doc.Loc(n);
    repo.entities.push_back(std::move(e));
  });
  each("sources", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "a source",
                  {"name", "type", "path", "query", "timestamp_field", "created_timestamp_field",
                   "schema", "description"});
    SourceDef s;
    s.name = doc.Name(n, "name", "a source");
    const std::string what = "source '" + s.name + "'";
    const std::string type = doc.Str(n, "type", what);
    const std::optional<SourceType> parsed = ParseSourceType(type);
    if (!parsed) {
      doc.Fail(n["type"], fmt::format("{} has unsupported type '{}'", what, type),
               "supported here: file, sql, push");
    }
    s.type = *parsed;
    switch (s.type) {
      case SourceType::kFile:
        s.path = doc.Str(n, "path", what);
        break;
      case SourceType::kSql:
        s.query = doc.Str(n, "query", what);
        break;
      case SourceType::kPush:
        // Rows arrive through POST /push: nothing to infer the columns from.
        if (!n["schema"]) {
          doc.Fail(n, what + " (type push) needs a schema",
                   "declare its columns: schema: {user_id: int64, event_time: timestamp, ...}");
        }
        break;
    }
    s.timestamp_field = doc.Str(n, "timestamp_field", what);
    s.created_timestamp_field = doc.Str(n, "created_timestamp_field", what, false);
    if (n["schema"]) s.schema = doc.SchemaMap(n["schema"], what + " schema");
    s.loc = doc.Loc(n);
    repo.sources.push_back(std::move(s));
  });
  each("feature_views", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "a feature view",
                  {"name", "entities", "source", "ttl", "features", "description", "online"});
    FeatureViewDef v;
    v.name = doc.Name(n, "name", "a feature view");
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
    v.name = doc.Name(n, "name", "an on-demand view");
    const std::string what = "on-demand view '" + v.name + "'";
    v.inputs = doc.StrList(n, "inputs", what);
    if (n["request"]) v.request = doc.SchemaMap(n["request"], what + " request");
    v.loc = doc.Loc(n);
    LoadFeatures(doc, n["features"], what, v.features);
    repo.on_demand_views.push_back(std::move(v));
  });
  each("feature_services", [&](const YAML::Node& n) {
    doc.CheckKeys(n, "a feature service", {"name", "features", "description"});
    FeatureServiceDef s;
    s.name = doc.Name(n, "name", "a feature service");
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
    c.name = doc.Name(n, "name", "a check suite");
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
      RuleDef rule;
      rule.kind = doc.Str(r, "rule", "a rule of " + what);
      rule.loc = doc.Loc(r);
      parse_rule(doc, r, c.name, rule);
      c.rules.push_back(std::move(rule));
    }
    c.loc = doc.Loc(n);
    repo.checks.push_back(std::move(c));
  });
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
    doc.CheckKeys(sv, "server",
                  {"port", "auth_token", "write_token", "read_token", "max_request_bytes",
                   "max_queue_delay", "max_connections", "tls"});
    for (auto [key, token] : {std::pair{"auth_token", &c.server.auth_token},
                              std::pair{"write_token", &c.server.write_token},
                              std::pair{"read_token", &c.server.read_token}}) {
      if (!sv[key]) continue;
      *token = doc.Str(sv, key, "server");
      if (token->empty()) {
        doc.Fail(sv[key], fmt::format("server.{} is empty", key),
                 "set a token, or remove the key");
      }
      // A bearer token is token68 (RFC 9110 §11.2): one with a space could never match.
      const bool ok = std::all_of(token->begin(), token->end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("-._~+/=").find(c) != std::string_view::npos;
      });
      if (!ok) {
        doc.Fail(sv[key], fmt::format("server.{} holds a character a bearer token cannot", key),
                 "use letters, digits and - . _ ~ + / =");
      }
    }
    if (!c.server.read_token.empty() &&
        (c.server.read_token == c.server.write_token ||
         c.server.read_token == c.server.auth_token)) {
      doc.Fail(sv["read_token"], "server.read_token equals a token that may write",
               "use a different token for reads");
    }
    for (auto [key, value, max] : {std::tuple{"port", &c.server.port, int64_t{65535}},
                                   std::tuple{"max_request_bytes", &c.server.max_request_bytes,
                                              int64_t{INT64_MAX}},
                                   std::tuple{"max_connections", &c.server.max_connections,
                                              int64_t{1'000'000}}}) {
      if (!sv[key]) continue;
      int64_t n = 0;
      try {
        n = sv[key].as<int64_t>();
      } catch (const YAML::Exception&) {
      }
      if (n < 1 || n > max) {
        doc.Fail(sv[key], fmt::format("server.{} must be a positive integer{}", key,
                                      max == INT64_MAX ? "" : fmt::format(" up to {}", max)),
                 "");
      }
      *value = n;
    }
    if (const YAML::Node tls = sv["tls"]) {
      doc.ExpectMap(tls, "server.tls");
      doc.CheckKeys(tls, "server.tls", {"cert", "key"});
      if (!tls["cert"] || !tls["key"]) {
        doc.Fail(tls, "server.tls needs both cert and key",
                 "cert: a PEM certificate chain; key: its unencrypted private key (PEM)");
      }
      c.server.tls_cert = doc.Str(tls, "cert", "server.tls");
      c.server.tls_key = doc.Str(tls, "key", "server.tls");
      if (c.server.tls_cert.empty() || c.server.tls_key.empty()) {
        doc.Fail(tls, "server.tls has an empty cert or key", "name both PEM files, or remove tls");
      }
    }
    if (sv["max_queue_delay"]) {
      c.server.max_queue_delay_us = *doc.Duration(sv, "max_queue_delay", "server");
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

// `.sluiceignore` at the repository root: one glob per line (fnmatch; `#` comments and blank
// lines skipped), as in .gitignore without negation: a pattern with a `/` matches the path
// from the root (a leading `/` is dropped), one without matches a file or directory name at
// any depth, and a trailing `/` matches directories only. What matches is not read as
// definitions (e.g. a docker-compose.yml, CI files, a vendored chart).
struct IgnoreRules {
  struct Rule {
    std::string pattern;
    bool path = false;      // matched against the path from the root
    bool dir_only = false;  // trailing '/'
  };
  std::vector<Rule> rules;

  bool Ignores(const std::string& rel, const std::string& name, bool is_dir) const {
    for (const Rule& r : rules) {
      if (r.dir_only && !is_dir) continue;
      const std::string& subject = r.path ? rel : name;
      if (::fnmatch(r.pattern.c_str(), subject.c_str(), r.path ? FNM_PATHNAME : 0) == 0) {
        return true;
      }
    }
    return false;
  }
};

IgnoreRules ReadIgnoreFile(const fs::path& path) {
  IgnoreRules out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line.starts_with("#")) continue;
    IgnoreRules::Rule r;
    if (line.ends_with("/")) {
      r.dir_only = true;
      line.pop_back();
    }
    if (line.starts_with("/")) line.erase(0, 1);
    r.path = line.find('/') != std::string::npos;
    r.pattern = line;
    if (!r.pattern.empty()) out.rules.push_back(std::move(r));
  }
  return out;
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
  try {
    return LoadProjectConfig({"sluice.yaml"}, ParseYaml(config_path, "sluice.yaml"));
  } catch (const YAML::Exception& e) {
    throw DefinitionError("sluice.yaml", e.mark.line + 1, "invalid value: " + e.msg,
                          "check the settings' keys and values");
  }
}

RepoDefinition LoadRepo(const fs::path& root_in, const RuleParser& parse_rule) {
  RepoDefinition repo;
  repo.root = fs::absolute(root_in).lexically_normal();
  const fs::path config_path = repo.root / "sluice.yaml";
  repo.config = LoadConfig(repo.root);

  const IgnoreRules ignore = ReadIgnoreFile(repo.root / ".sluiceignore");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(repo.root); it != fs::end(it); ++it) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    const std::string rel = fs::relative(p, repo.root).generic_string();
    if (it->is_directory()) {
      if (name.starts_with(".") || name == "datasets" || name == "node_modules" ||
          ignore.Ignores(rel, name, true)) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if ((p.extension() == ".yaml" || p.extension() == ".yml") && p != config_path &&
        !ignore.Ignores(rel, name, false)) {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<DefinitionError> errors;
  for (const fs::path& p : files) {
    const std::string rel = fs::relative(p, repo.root).string();
    try {
      LoadDefinitionFile(Doc{rel}, ParseYaml(p, rel), parse_rule, repo, errors);
    } catch (const DefinitionError& e) {  // the file as a whole (invalid YAML, not a mapping)
      errors.push_back(e);
    } catch (const YAML::Exception& e) {
      errors.emplace_back(rel, e.mark.line + 1, "invalid value: " + e.msg,
                          "check the file's top-level keys");
    }
  }
  if (errors.size() == 1) throw errors.front();
  if (!errors.empty()) {
    std::string all;
    for (const DefinitionError& e : errors) {
      all += (all.empty() ? "" : "\n") + std::string(e.what());
    }
    throw InputError(fmt::format("{}\n{} errors in the definitions", all, errors.size()));
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
