#include "repo/definitions.h"

#include <algorithm>
#include <set>

#include "common/hash.h"
#include "common/json.h"
#include "sluice/error.h"

namespace sluice::repo {

using nlohmann::json;

namespace {

template <typename T>
const T* FindByName(const std::vector<T>& items, std::string_view name) {
  for (const T& item : items) {
    if (item.name == name) return &item;
  }
  return nullptr;
}

json FeatureToJson(const FeatureDef& f) {
  json j = {{"name", f.name}, {"expr", f.expr}, {"type", TypeName(f.type)}};
  if (!f.aggregate.empty()) j["aggregate"] = f.aggregate;
  if (f.window_us) j["window_us"] = *f.window_us;
  if (f.hop_us) j["hop_us"] = *f.hop_us;
  if (!f.where.empty()) j["where"] = f.where;
  return j;
}

FeatureDef FeatureFromJson(const json& j) {
  FeatureDef f;
  f.name = j.at("name");
  f.expr = j.value("expr", "");
  f.type = ParseTypeName(j.at("type").get<std::string>()).value();
  f.aggregate = j.value("aggregate", "");
  if (j.contains("window_us")) f.window_us = j["window_us"].get<Micros>();
  if (j.contains("hop_us")) f.hop_us = j["hop_us"].get<Micros>();
  f.where = j.value("where", "");
  return f;
}

std::string ShortHash(const json& j) { return Sha256Hex(JsonText(j)).substr(0, 16); }

}  // namespace

std::string_view SourceTypeName(SourceType type) {
  switch (type) {
    case SourceType::kFile: return "file";
    case SourceType::kSql: return "sql";
    case SourceType::kPush: return "push";
  }
  return "file";
}

std::optional<SourceType> ParseSourceType(std::string_view text) {
  for (SourceType t : {SourceType::kFile, SourceType::kSql, SourceType::kPush}) {
    if (SourceTypeName(t) == text) return t;
  }
  return std::nullopt;
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kWarn: return "warn";
    case Severity::kFail: return "fail";
    case Severity::kQuarantine: return "quarantine";
  }
  return "fail";
}

std::optional<Severity> ParseSeverity(std::string_view text) {
  for (Severity s : {Severity::kWarn, Severity::kFail, Severity::kQuarantine}) {
    if (SeverityName(s) == text) return s;
  }
  return std::nullopt;
}

const EntityDef* RepoDefinition::FindEntity(std::string_view n) const {
  return FindByName(entities, n);
}
const SourceDef* RepoDefinition::FindSource(std::string_view n) const {
  return FindByName(sources, n);
}
const FeatureViewDef* RepoDefinition::FindFeatureView(std::string_view n) const {
  return FindByName(feature_views, n);
}
const OnDemandViewDef* RepoDefinition::FindOnDemandView(std::string_view n) const {
  return FindByName(on_demand_views, n);
}
const FeatureServiceDef* RepoDefinition::FindService(std::string_view n) const {
  return FindByName(feature_services, n);
}
const CheckSuiteDef* RepoDefinition::FindCheckSuite(std::string_view n) const {
  return FindByName(checks, n);
}

std::vector<const CheckSuiteDef*> RepoDefinition::SuitesOf(std::string_view source) const {
  std::vector<const CheckSuiteDef*> out;
  for (const CheckSuiteDef& c : checks) {
    if (!c.source.empty() && c.source == source) out.push_back(&c);
  }
  return out;
}

std::vector<const CheckSuiteDef*> RepoDefinition::DatasetSuites(std::string_view dataset) const {
  std::vector<const CheckSuiteDef*> out;
  for (const CheckSuiteDef& c : checks) {
    if (!c.dataset.empty() && c.dataset == dataset) out.push_back(&c);
  }
  return out;
}

std::vector<std::string> RepoDefinition::FeatureNames(std::string_view view) const {
  std::vector<std::string> out;
  if (const auto* fv = FindFeatureView(view)) {
    for (const auto& f : fv->features) out.push_back(f.name);
  } else if (const auto* odv = FindOnDemandView(view)) {
    for (const auto& f : odv->features) out.push_back(f.name);
  }
  return out;
}

std::vector<FeatureRef> RepoDefinition::ServiceFeatures(const FeatureServiceDef& service) const {
  std::vector<FeatureRef> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (const FeatureRef& r : service.features) {
    const std::vector<std::string> names =
        r.feature.empty() ? FeatureNames(r.view) : std::vector<std::string>{r.feature};
    for (const std::string& f : names) {
      if (seen.insert({r.view, f}).second) out.push_back({r.view, f});
    }
  }
  return out;
}

std::vector<std::string> RepoDefinition::JoinKeys(const FeatureViewDef& view) const {
  std::vector<std::string> keys;
  for (const std::string& e : view.entities) {
    const EntityDef* entity = FindEntity(e);
    if (!entity) throw InternalError("feature view " + view.name + ": unknown entity " + e);
    keys.insert(keys.end(), entity->join_keys.begin(), entity->join_keys.end());
  }
  return keys;
}

std::vector<std::string> RepoDefinition::PartitionKeys(const SourceDef& source) const {
  std::vector<std::string> keys;
  bool first = true;
  for (const FeatureViewDef& v : feature_views) {
    if (v.source != source.name) continue;
    const std::vector<std::string> view_keys = JoinKeys(v);
    if (first) {
      keys = view_keys;
      first = false;
      continue;
    }
    std::erase_if(keys, [&](const std::string& k) {
      return std::find(view_keys.begin(), view_keys.end(), k) == view_keys.end();
    });
  }
  return keys;
}

std::vector<std::string> RepoDefinition::AllJoinKeys(const SourceDef& source) const {
  std::vector<std::string> keys;
  for (const FeatureViewDef& v : feature_views) {
    if (v.source != source.name) continue;
    for (const std::string& k : JoinKeys(v)) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  }
  return keys;
}

json SchemaToJson(const Schema& schema) {
  json j = json::array();
  for (const Field& f : schema) j.push_back({{"name", f.name}, {"type", TypeName(f.type)}});
  return j;
}

Schema SchemaFromJson(const json& j) {
  Schema s;
  for (const json& f : j) {
    auto type = ParseTypeName(f.at("type").get<std::string>());
    if (!type) throw InputError("unknown type in stored schema: " + JsonText(f.at("type")));
    s.push_back({f.at("name"), *type});
  }
  return s;
}

json ToJson(const EntityDef& d) { return {{"name", d.name}, {"join_keys", d.join_keys}}; }

json ToJson(const SourceDef& d) {
  json j = {{"name", d.name},
            {"type", std::string(SourceTypeName(d.type))},
            {"timestamp_field", d.timestamp_field},
            {"schema", SchemaToJson(d.schema)}};
  if (!d.path.empty()) j["path"] = d.path;
  if (!d.query.empty()) j["query"] = d.query;
  if (!d.created_timestamp_field.empty()) {
    j["created_timestamp_field"] = d.created_timestamp_field;
  }
  return j;
}

json ToJson(const FeatureViewDef& d) {
  json j = {{"name", d.name}, {"entities", d.entities}, {"source", d.source}};
  if (d.ttl_us) j["ttl_us"] = *d.ttl_us;
  j["features"] = json::array();
  for (const FeatureDef& f : d.features) j["features"].push_back(FeatureToJson(f));
  return j;
}

json ToJson(const OnDemandViewDef& d) {
  json j = {{"name", d.name}, {"inputs", d.inputs}, {"request", SchemaToJson(d.request)}};
  j["features"] = json::array();
  for (const FeatureDef& f : d.features) j["features"].push_back(FeatureToJson(f));
  return j;
}

json ToJson(const FeatureServiceDef& d) {
  json refs = json::array();
  for (const FeatureRef& r : d.features) {
    refs.push_back(r.feature.empty() ? r.view : r.view + ":" + r.feature);
  }
  return {{"name", d.name}, {"features", refs}};
}

json ToJson(const RuleDef& r) {
  json j = r.params.is_object() ? r.params : json::object();
  j["rule"] = r.kind;
  j["severity"] = std::string(SeverityName(r.severity));
  return j;
}

json ToJson(const CheckSuiteDef& d) {
  json rules = json::array();
  for (const RuleDef& r : d.rules) rules.push_back(ToJson(r));
  json j = {{"name", d.name}, {"rules", rules}};
  if (!d.source.empty()) j["source"] = d.source;
  if (!d.dataset.empty()) j["dataset"] = d.dataset;
  return j;
}

void FromJson(const json& j, CheckSuiteDef& d) {
  d.name = j.at("name");
  d.source = j.value("source", "");
  d.dataset = j.value("dataset", "");
  for (const json& x : j.at("rules")) {
    RuleDef r;
    r.kind = x.at("rule");
    const std::string severity = x.at("severity");
    const std::optional<Severity> parsed = ParseSeverity(severity);
    if (!parsed) throw InputError("unknown severity in stored check suite: " + severity);
    r.severity = *parsed;
    r.params = x;
    r.params.erase("rule");
    r.params.erase("severity");
    d.rules.push_back(std::move(r));
  }
  d.version = j.value("version", "");
}

void FromJson(const json& j, EntityDef& d) {
  d.name = j.at("name");
  d.join_keys = j.at("join_keys").get<std::vector<std::string>>();
  d.version = j.value("version", "");
}

void FromJson(const json& j, SourceDef& d) {
  d.name = j.at("name");
  const std::string type = j.at("type");
  const std::optional<SourceType> parsed = ParseSourceType(type);
  if (!parsed) throw InputError("unknown source type in stored definition: " + type);
  d.type = *parsed;
  d.path = j.value("path", "");
  d.query = j.value("query", "");
  d.timestamp_field = j.at("timestamp_field");
  d.created_timestamp_field = j.value("created_timestamp_field", "");
  d.schema = SchemaFromJson(j.at("schema"));
  d.version = j.value("version", "");
}

void FromJson(const json& j, FeatureViewDef& d) {
  d.name = j.at("name");
  d.entities = j.at("entities").get<std::vector<std::string>>();
  d.source = j.at("source");
  if (j.contains("ttl_us")) d.ttl_us = j["ttl_us"].get<Micros>();
  for (const json& f : j.at("features")) d.features.push_back(FeatureFromJson(f));
  d.version = j.value("version", "");
}

void FromJson(const json& j, OnDemandViewDef& d) {
  d.name = j.at("name");
  d.inputs = j.at("inputs").get<std::vector<std::string>>();
  d.request = SchemaFromJson(j.at("request"));
  for (const json& f : j.at("features")) d.features.push_back(FeatureFromJson(f));
  d.version = j.value("version", "");
}

void FromJson(const json& j, FeatureServiceDef& d) {
  d.name = j.at("name");
  for (const json& r : j.at("features")) {
    const std::string s = r.get<std::string>();
    const size_t colon = s.find(':');
    if (colon == std::string::npos) {
      d.features.push_back({s, ""});
    } else {
      d.features.push_back({s.substr(0, colon), s.substr(colon + 1)});
    }
  }
  d.version = j.value("version", "");
}

void AssignVersions(RepoDefinition& repo) {
  for (EntityDef& e : repo.entities) e.version = ShortHash(ToJson(e));
  for (SourceDef& s : repo.sources) s.version = ShortHash(ToJson(s));
  for (FeatureViewDef& v : repo.feature_views) {
    json j = ToJson(v);
    j["source_version"] = repo.FindSource(v.source)->version;
    for (const std::string& e : v.entities) j["entity_versions"].push_back(repo.FindEntity(e)->version);
    v.version = ShortHash(j);
  }
  // On-demand views may read other on-demand views; their inputs' versions are settled first
  // by iterating in dependency order (the checker rejects cycles).
  std::vector<bool> done(repo.on_demand_views.size(), false);
  for (size_t pass = 0; pass < repo.on_demand_views.size(); ++pass) {
    for (size_t i = 0; i < repo.on_demand_views.size(); ++i) {
      OnDemandViewDef& v = repo.on_demand_views[i];
      if (done[i]) continue;
      json j = ToJson(v);
      bool ready = true;
      for (const std::string& in : v.inputs) {
        if (const auto* fv = repo.FindFeatureView(in)) {
          j["input_versions"].push_back(fv->version);
        } else if (const auto* odv = repo.FindOnDemandView(in)) {
          if (odv->version.empty()) ready = false;
          j["input_versions"].push_back(odv->version);
        }
      }
      if (!ready) continue;
      v.version = ShortHash(j);
      done[i] = true;
    }
  }
  for (FeatureServiceDef& s : repo.feature_services) {
    json j = ToJson(s);
    for (const FeatureRef& r : s.features) {
      if (const auto* fv = repo.FindFeatureView(r.view)) j["view_versions"].push_back(fv->version);
      if (const auto* odv = repo.FindOnDemandView(r.view)) {
        j["view_versions"].push_back(odv->version);
      }
    }
    s.version = ShortHash(j);
  }
  for (CheckSuiteDef& c : repo.checks) {
    json j = ToJson(c);
    if (const auto* src = repo.FindSource(c.source)) j["source_version"] = src->version;
    c.version = ShortHash(j);
  }
}

}  // namespace sluice::repo
