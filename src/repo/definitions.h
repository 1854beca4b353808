// Typed definitions of a feature repository (SPEC §3): what the YAML says, checked and with
// types inferred, plus their versions. Every definition converts to and from canonical JSON,
// the form stored in the registry and in dataset manifests.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sluice/column.h"
#include "sluice/types.h"

namespace sluice::repo {

// Where a definition stands in its file (1-based line).
struct Location {
  std::string file;
  int line = 0;
};

struct EntityDef {
  std::string name;
  std::vector<std::string> join_keys;
  Location loc;
  std::string version;
};

// Where a source's rows come from. Text only at the edges (YAML, canonical JSON, output).
enum class SourceType {
  kFile,  // files matching a path or glob
  kSql,   // a DuckDB query
  kPush,  // rows sent to POST /push
};
// "file", "sql", "push".
std::string_view SourceTypeName(SourceType type);
// nullopt for any other text.
std::optional<SourceType> ParseSourceType(std::string_view text);

struct SourceDef {
  std::string name;
  SourceType type = SourceType::kFile;
  std::string path;   // file: a path or glob, relative to the repository root
  std::string query;  // sql: a DuckDB query (paths in it relative to the repository root)
  std::string timestamp_field;
  std::string created_timestamp_field;  // "" when absent
  Schema schema;      // declared (`schema:`) or inferred at apply
  Location loc;
  std::string version;
};

struct FeatureDef {
  std::string name;
  std::string expr;             // "" only for `count` without expr
  std::string aggregate;        // "" for a last-value feature (SPEC §5.1)
  std::optional<Micros> window_us;
  std::optional<Micros> hop_us;
  std::string where;
  DataType type = DataType::kInt64;  // result type, set by the checker
  Location loc;
};

struct FeatureViewDef {
  std::string name;
  std::vector<std::string> entities;
  std::string source;
  std::optional<Micros> ttl_us;  // nullopt = unbounded
  std::vector<FeatureDef> features;
  Location loc;
  std::string version;
};

struct OnDemandViewDef {
  std::string name;
  std::vector<std::string> inputs;  // feature views (or on-demand views) it reads
  Schema request;                   // request-time fields
  std::vector<FeatureDef> features;
  Location loc;
  std::string version;
};

// One entry of a service's feature list: a whole view (feature empty) or view:feature.
struct FeatureRef {
  std::string view;
  std::string feature;
};

struct FeatureServiceDef {
  std::string name;
  std::vector<FeatureRef> features;
  Location loc;
  std::string version;
};

// What a check rule does when it fails (SPEC §7).
enum class Severity {
  kWarn,        // report, commit anyway
  kFail,        // reject the whole delivery: nothing committed
  kQuarantine,  // row-level rules: bad rows go to quarantine, good rows are committed
};
// "warn", "fail", "quarantine".
std::string_view SeverityName(Severity severity);
// nullopt for any other text.
std::optional<Severity> ParseSeverity(std::string_view text);

// One rule of a check suite (SPEC §7; docs/guide.md "Data quality") as written, rule-agnostic:
// what each kind's keys mean, and which kinds exist, is known only to the rule classes of
// `quality/rules/` (one class per kind, in one table), which read `params` from YAML and judge
// with it.
struct RuleDef {
  std::string kind;  // the `rule:` key: not_null, range, drift, ...
  Severity severity = Severity::kFail;
  // The rule's own keys in canonical form (an object; `rule` and `severity` excluded), as the
  // rule class wrote them when it read the YAML (or as the registry stored them). Part of the
  // suite's version: the same YAML must always give the same params.
  nlohmann::json params = nlohmann::json::object();
  Location loc;
};

// A check suite: rules run on every delivery of a source at ingest (and by `validate`), or on
// a training dataset when `dataset create` builds it.
struct CheckSuiteDef {
  std::string name;
  std::string source;   // exactly one of source and dataset is set
  std::string dataset;
  std::vector<RuleDef> rules;
  Location loc;
  std::string version;
};

struct OnlineStoreConfig {
  std::string type = "rocksdb";  // rocksdb | redis
  std::string path = ".sluice/online";
  std::string url;
};

// `server:` in sluice.yaml (SPEC §6, §9).
struct ServerConfig {
  int64_t port = 6566;
  // Bearer tokens ("" = not set). auth_token and write_token allow every path; read_token
  // allows the read paths only (/get-online-features, /metrics). With none set, no token is
  // needed; with only read_token, the write paths (/push, /materialize) are refused.
  std::string auth_token;
  std::string write_token;
  std::string read_token;
  int64_t max_request_bytes = 1 << 20;  // larger bodies get 413
  // Overload: a read or push request that waited longer than this in the server's queue is
  // answered 503 with Retry-After (0: never shed); connections beyond max_connections too.
  int64_t max_queue_delay_us = 10'000;
  int64_t max_connections = 4096;
  // HTTPS (`server.tls: {cert, key}`): PEM files, relative to the repository root ("": HTTP).
  std::string tls_cert;
  std::string tls_key;
  bool auth() const { return !auth_token.empty() || !write_token.empty() || !read_token.empty(); }
  // The token a client of the write paths sends (`sluice materialize` through a server).
  const std::string& any_write_token() const {
    return write_token.empty() ? auth_token : write_token;
  }
};

// sluice.yaml. Paths are relative to the repository root.
struct ProjectConfig {
  std::string project;
  std::string registry = ".sluice/registry.db";
  std::string offline_store = ".sluice/offline";
  OnlineStoreConfig online_store;
  ServerConfig server;
  // Segments per delivery are bucketed by a hash of the join keys into this many buckets; one
  // bucket is the unit of bounded-memory processing. Fixed per source once data is ingested.
  int bucket_count = 16;
};

// A whole repository as loaded from its files (or as applied, from the registry).
struct RepoDefinition {
  std::filesystem::path root;
  ProjectConfig config;
  std::vector<EntityDef> entities;
  std::vector<SourceDef> sources;
  std::vector<FeatureViewDef> feature_views;
  std::vector<OnDemandViewDef> on_demand_views;
  std::vector<FeatureServiceDef> feature_services;
  std::vector<CheckSuiteDef> checks;

  // Lookups by name; nullptr when absent.
  const EntityDef* FindEntity(std::string_view name) const;
  const SourceDef* FindSource(std::string_view name) const;
  const FeatureViewDef* FindFeatureView(std::string_view name) const;
  const OnDemandViewDef* FindOnDemandView(std::string_view name) const;
  const FeatureServiceDef* FindService(std::string_view name) const;
  const CheckSuiteDef* FindCheckSuite(std::string_view name) const;
  // The suites attached to a source, in definition order.
  std::vector<const CheckSuiteDef*> SuitesOf(std::string_view source) const;
  // The suites attached to datasets named `dataset`, in definition order.
  std::vector<const CheckSuiteDef*> DatasetSuites(std::string_view dataset) const;
  // Feature names of a feature view or on-demand view, in definition order (empty if neither).
  std::vector<std::string> FeatureNames(std::string_view view) const;
  // A service's features as (view, feature), whole views expanded, in order, each once.
  std::vector<FeatureRef> ServiceFeatures(const FeatureServiceDef& service) const;
  // Join keys of a feature view: its entities' join keys, in order.
  std::vector<std::string> JoinKeys(const FeatureViewDef& view) const;
  // The keys a source's segments are bucketed and sorted by: the join keys that every feature
  // view reading the source shares (in the first such view's order). Empty when no view reads
  // it or the views share no key (then everything lands in bucket 0).
  std::vector<std::string> PartitionKeys(const SourceDef& source) const;
  // Every join key of every feature view reading the source (must be non-null at ingest).
  std::vector<std::string> AllJoinKeys(const SourceDef& source) const;
};

// Canonical JSON (what the version hashes; location excluded).
nlohmann::json ToJson(const EntityDef& d);
nlohmann::json ToJson(const SourceDef& d);
nlohmann::json ToJson(const FeatureViewDef& d);
nlohmann::json ToJson(const OnDemandViewDef& d);
nlohmann::json ToJson(const FeatureServiceDef& d);
nlohmann::json ToJson(const CheckSuiteDef& d);
nlohmann::json ToJson(const RuleDef& d);
void FromJson(const nlohmann::json& j, CheckSuiteDef& d);
void FromJson(const nlohmann::json& j, EntityDef& d);
void FromJson(const nlohmann::json& j, SourceDef& d);
void FromJson(const nlohmann::json& j, FeatureViewDef& d);
void FromJson(const nlohmann::json& j, OnDemandViewDef& d);
void FromJson(const nlohmann::json& j, FeatureServiceDef& d);
nlohmann::json SchemaToJson(const Schema& schema);
Schema SchemaFromJson(const nlohmann::json& j);

// Sets the `version` of every definition: the first 16 hex digits of the SHA-256 of its
// canonical JSON plus the versions of what it depends on (a view's version changes when its
// source's or entities' do). Call after checking.
void AssignVersions(RepoDefinition& repo);

}  // namespace sluice::repo
