#include "registry/registry.h"

#include <sqlite3.h>

#include <map>

#include <fmt/format.h>

#include "common/json.h"
#include "common/time.h"
#include "registry/changes.h"
#include "sluice/error.h"

namespace sluice::registry {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      throw InternalError(std::string("registry: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // True while a row is available.
  bool Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw InternalError(std::string("registry: ") + sqlite3_errmsg(db_));
  }
  std::string Text(int col) {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    throw InternalError(std::string("registry: ") + message);
  }
}

struct Versioned {
  std::string kind, name, version;
  json definition;
};

std::vector<Versioned> Flatten(const repo::RepoDefinition& repo) {
  std::vector<Versioned> out;
  auto add = [&](const char* kind, const auto& items) {
    for (const auto& d : items) out.push_back({kind, d.name, d.version, repo::ToJson(d)});
  };
  add("entity", repo.entities);
  add("source", repo.sources);
  add("feature_view", repo.feature_views);
  add("on_demand_view", repo.on_demand_views);
  add("feature_service", repo.feature_services);
  add("check", repo.checks);
  return out;
}

const std::vector<std::string>& KindOrder() {
  static const std::vector<std::string> kinds = {"entity", "source", "feature_view",
                                                 "on_demand_view", "feature_service",
                                                 "check"};
  return kinds;
}

}  // namespace

Registry::Registry(const fs::path& path) : path_(path) {
  fs::create_directories(path.parent_path());
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    std::string message = sqlite3_errmsg(db_);
    sqlite3_close(db_);
    throw InputError(fmt::format("cannot open registry {}: {}", path.string(), message));
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    Exec(db_,
         "PRAGMA journal_mode = WAL;"
         "PRAGMA synchronous = FULL;"
         "CREATE TABLE IF NOT EXISTS versions (kind TEXT NOT NULL, name TEXT NOT NULL, "
         "  version TEXT NOT NULL, definition TEXT NOT NULL, applied_at INTEGER NOT NULL, "
         "  PRIMARY KEY (kind, name, version));"
         "CREATE TABLE IF NOT EXISTS current (kind TEXT NOT NULL, name TEXT NOT NULL, "
         "  version TEXT NOT NULL, PRIMARY KEY (kind, name));"
         "CREATE TABLE IF NOT EXISTS applies (id INTEGER PRIMARY KEY, applied_at INTEGER NOT "
         "  NULL, plan TEXT NOT NULL);");
  } catch (const InternalError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(fmt::format("{} is not a usable sluice registry ({})", path.string(),
                                 e.what()));
  }
}

Registry::~Registry() {
  if (db_) sqlite3_close(db_);
}

std::vector<PlanEntry> Registry::Plan(const repo::RepoDefinition& repo) {
  std::map<std::pair<std::string, std::string>, std::string> current;
  Statement q(db_, "SELECT kind, name, version FROM current");
  while (q.Step()) current[{q.Text(0), q.Text(1)}] = q.Text(2);
  std::vector<PlanEntry> plan;
  for (const Versioned& v : Flatten(repo)) {
    auto it = current.find({v.kind, v.name});
    if (it == current.end()) {
      plan.push_back({v.kind, v.name, "add", "", v.version, {}});
    } else {
      PlanEntry e{v.kind, v.name, it->second == v.version ? "unchanged" : "change", it->second,
                  v.version, {}};
      if (e.action == "change") {
        e.changes = DefinitionChanges(GetVersion(v.kind, v.name, it->second), v.definition);
      }
      plan.push_back(std::move(e));
      current.erase(it);
    }
  }
  for (const auto& [key, version] : current) {
    plan.push_back({key.first, key.second, "remove", version, "", {}});
  }
  auto rank = [](const std::string& kind) {
    const auto& k = KindOrder();
    return std::find(k.begin(), k.end(), kind) - k.begin();
  };
  std::sort(plan.begin(), plan.end(), [&](const PlanEntry& a, const PlanEntry& b) {
    return std::make_pair(rank(a.kind), a.name) < std::make_pair(rank(b.kind), b.name);
  });
  return plan;
}

std::vector<PlanEntry> Registry::Apply(const repo::RepoDefinition& repo) {
  std::vector<PlanEntry> plan = Plan(repo);
  const Micros now = NowMicros();
  Exec(db_, "BEGIN IMMEDIATE");
  try {
    for (const Versioned& v : Flatten(repo)) {
      Statement(db_,
                "INSERT OR IGNORE INTO versions (kind, name, version, definition, applied_at) "
                "VALUES (?, ?, ?, ?, ?)")
          .Bind(1, v.kind).Bind(2, v.name).Bind(3, v.version).Bind(4, JsonText(v.definition))
          .Bind(5, now)
          .Step();
    }
    Exec(db_, "DELETE FROM current");
    for (const Versioned& v : Flatten(repo)) {
      Statement(db_, "INSERT INTO current (kind, name, version) VALUES (?, ?, ?)")
          .Bind(1, v.kind).Bind(2, v.name).Bind(3, v.version)
          .Step();
    }
    json j = json::array();
    for (const PlanEntry& e : plan) {
      if (e.action != "unchanged") j.push_back({{"kind", e.kind}, {"name", e.name}, {"action", e.action}});
    }
    Statement(db_, "INSERT INTO applies (applied_at, plan) VALUES (?, ?)")
        .Bind(1, now).Bind(2, JsonText(j))
        .Step();
    Exec(db_, "COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return plan;
}

repo::RepoDefinition Registry::LoadApplied(const fs::path& root,
                                           const repo::ProjectConfig& config) {
  repo::RepoDefinition repo;
  repo.root = root;
  repo.config = config;
  Statement q(db_,
              "SELECT c.kind, v.definition, v.version FROM current c JOIN versions v "
              "ON c.kind = v.kind AND c.name = v.name AND c.version = v.version "
              "ORDER BY c.kind, c.name");
  bool any = false;
  while (q.Step()) {
    any = true;
    const std::string kind = q.Text(0);
    json j = json::parse(q.Text(1));
    j["version"] = q.Text(2);
    auto load = [&](auto& items) {
      items.emplace_back();
      repo::FromJson(j, items.back());
    };
    if (kind == "entity") load(repo.entities);
    else if (kind == "source") load(repo.sources);
    else if (kind == "feature_view") load(repo.feature_views);
    else if (kind == "on_demand_view") load(repo.on_demand_views);
    else if (kind == "feature_service") load(repo.feature_services);
    else if (kind == "check") load(repo.checks);
  }
  if (!any) {
    throw InputError("nothing is applied in " + path_.string() + ": run `sluice apply` first");
  }
  return repo;
}

json Registry::GetVersion(const std::string& kind, const std::string& name,
                          const std::string& version) {
  Statement q(db_, "SELECT definition FROM versions WHERE kind = ? AND name = ? AND version = ?");
  q.Bind(1, kind).Bind(2, name).Bind(3, version);
  if (!q.Step()) {
    throw InputError(fmt::format("registry {} has no {} '{}' at version {}", path_.string(), kind,
                                 name, version));
  }
  json j = json::parse(q.Text(0));
  j["version"] = version;
  return j;
}

std::vector<AppliedVersion> Registry::History(const std::string& kind, const std::string& name) {
  Statement q(db_,
              "SELECT version, applied_at FROM versions WHERE kind = ? AND name = ? "
              "ORDER BY applied_at, rowid");
  q.Bind(1, kind).Bind(2, name);
  std::vector<AppliedVersion> out;
  while (q.Step()) out.push_back({q.Text(0), q.Int(1)});
  return out;
}

}  // namespace sluice::registry
