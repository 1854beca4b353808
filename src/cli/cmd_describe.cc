// `sluice describe NAME`: one applied definition — its fields, what it uses and what uses it,
// the versions applied, and for a source its snapshots.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/text.h"
#include "offline/ingest.h"
#include "offline/snapshot.h"
#include "registry/changes.h"
#include "registry/registry.h"
#include "sluice/error.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct DescribeOptions {
  std::string name;
  std::string kind;  // "": any kind
};

const std::vector<std::string> kKinds = {"entity",          "source", "feature_view",
                                         "on_demand_view", "feature_service", "check"};

CLI::App* RegisterDescribe(CLI::App& app, DescribeOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "describe",
      "Show one applied definition: its fields, what it uses and what uses it, its versions, "
      "and a source's snapshots");
  cmd->add_option("name", o.name, "The definition's name (any kind)")->required();
  cmd->add_option("--kind", o.kind, "Its kind, when several kinds have the name")
      ->check(CLI::IsMember(kKinds))
      ->option_text("KIND");
  return cmd;
}

struct Ref {
  std::string kind, name;
};

// One applied definition with its links to others.
struct Described {
  std::string kind, name, version;
  json definition;
  std::vector<Ref> uses, used_by;
};

// Every applied definition, with what it uses.
std::vector<Described> All(const repo::RepoDefinition& repo) {
  std::vector<Described> out;
  for (const auto& e : repo.entities) out.push_back({"entity", e.name, e.version, ToJson(e), {}, {}});
  for (const auto& s : repo.sources) out.push_back({"source", s.name, s.version, ToJson(s), {}, {}});
  for (const auto& v : repo.feature_views) {
    Described d{"feature_view", v.name, v.version, ToJson(v), {{"source", v.source}}, {}};
    for (const auto& e : v.entities) d.uses.push_back({"entity", e});
    out.push_back(std::move(d));
  }
  for (const auto& v : repo.on_demand_views) {
    Described d{"on_demand_view", v.name, v.version, ToJson(v), {}, {}};
    for (const auto& in : v.inputs) d.uses.push_back({"feature_view", in});
    out.push_back(std::move(d));
  }
  for (const auto& s : repo.feature_services) {
    Described d{"feature_service", s.name, s.version, ToJson(s), {}, {}};
    for (const auto& r : s.features) {
      const bool on_demand = std::any_of(repo.on_demand_views.begin(), repo.on_demand_views.end(),
                                         [&](const auto& v) { return v.name == r.view; });
      const Ref ref{on_demand ? "on_demand_view" : "feature_view", r.view};
      if (std::none_of(d.uses.begin(), d.uses.end(),
                       [&](const Ref& x) { return x.name == ref.name; })) {
        d.uses.push_back(ref);
      }
    }
    out.push_back(std::move(d));
  }
  for (const auto& c : repo.checks) {
    Described d{"check", c.name, c.version, ToJson(c), {}, {}};
    if (!c.source.empty()) d.uses.push_back({"source", c.source});
    out.push_back(std::move(d));
  }
  // used_by is the other side of uses.
  for (const Described& d : out) {
    for (const Ref& u : d.uses) {
      for (Described& target : out) {
        if (target.kind == u.kind && target.name == u.name) {
          target.used_by.push_back({d.kind, d.name});
        }
      }
    }
  }
  return out;
}

// The one definition the options name; InputError when none or several do.
const Described& Find(const std::vector<Described>& all, const DescribeOptions& o) {
  std::vector<const Described*> found;
  std::vector<std::string> names;
  for (const Described& d : all) {
    if (o.kind.empty() || d.kind == o.kind) names.push_back(d.name);
    if (d.name == o.name && (o.kind.empty() || d.kind == o.kind)) found.push_back(&d);
  }
  if (found.empty()) {
    const std::string close = ClosestName(o.name, names);
    throw InputError(fmt::format("no applied {} named '{}'{}",
                                 o.kind.empty() ? "definition" : o.kind, ShownName(o.name),
                                 close.empty() ? "" : "; did you mean '" + close + "'?"));
  }
  if (found.size() > 1) {
    std::vector<std::string> kinds;
    for (const Described* d : found) kinds.push_back(d->kind);
    throw InputError(fmt::format("'{}' names a {}: say which with --kind", o.name,
                                 fmt::join(kinds, " and a ")));
  }
  return *found.front();
}

json RefsJson(const std::vector<Ref>& refs) {
  json j = json::array();
  for (const Ref& r : refs) j.push_back({{"kind", r.kind}, {"name", r.name}});
  return j;
}

std::string RefsText(const std::vector<Ref>& refs) {
  std::vector<std::string> out;
  for (const Ref& r : refs) out.push_back(r.kind + " " + r.name);
  return out.empty() ? "(nothing)" : fmt::format("{}", fmt::join(out, ", "));
}

// One member of a list of named objects (a feature, a schema field, a rule) on one line.
std::string MemberText(const json& m) {
  if (m.contains("rule")) {
    std::vector<std::string> params;
    for (const auto& [k, v] : m.items()) {
      if (k != "rule" && k != "severity") params.push_back(k + "=" + registry::FieldText(k, v));
    }
    return fmt::format("{} {} ({})", m["rule"].get<std::string>(), fmt::join(params, " "),
                       m.value("severity", std::string("fail")));
  }
  std::string out = fmt::format("{:<24} {:<10}", m["name"].get<std::string>(),
                                m.value("type", std::string()));
  const std::string expr = m.value("expr", std::string());
  if (m.contains("aggregate")) {
    out += fmt::format(" {}({})", m["aggregate"].get<std::string>(), expr);
    if (m.contains("window_us")) out += " window " + registry::FieldText("window_us", m["window_us"]);
    if (m.contains("hop_us")) out += " hop " + registry::FieldText("hop_us", m["hop_us"]);
  } else if (!expr.empty()) {
    out += " " + expr;
  }
  if (m.contains("where")) out += " where " + m["where"].get<std::string>();
  return out;
}

// The fields of a definition in the order its YAML is usually written; others after them.
std::vector<std::string> FieldOrder(const json& def) {
  static const std::vector<std::string> kOrder = {
      "type",   "path",    "query",   "join_keys", "entities",
      "source", "dataset", "inputs",  "timestamp_field", "created_timestamp_field",
      "ttl_us", "request", "schema",  "features",  "rules"};
  std::vector<std::string> keys;
  for (const std::string& k : kOrder) {
    if (def.contains(k)) keys.push_back(k);
  }
  for (const auto& [k, v] : def.items()) {
    if (k != "name" && std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  return keys;
}

void PrintDefinition(const json& def) {
  for (const std::string& k : FieldOrder(def)) {
    const json& v = def[k];
    if (v.is_array() && !v.empty() && v[0].is_object()) {  // features, schema fields, rules
      std::printf("  %s:\n", k.c_str());
      for (const json& m : v) {
        std::string line = MemberText(m);
        line.erase(line.find_last_not_of(' ') + 1);
        std::printf("    %s\n", line.c_str());
      }
      continue;
    }
    const std::string text = v.is_string() ? v.get<std::string>() : registry::FieldText(k, v);
    std::printf("  %-24s %s\n", (registry::FieldName(k) + ":").c_str(), text.c_str());
  }
}

int RunDescribe(const GlobalOptions& g, const DescribeOptions& o) {
  const repo::RepoDefinition repo = LoadApplied(g);
  const std::vector<Described> all = All(repo);
  const Described& d = Find(all, o);
  registry::Registry reg(RegistryPath(repo.root, repo.config));
  const std::vector<registry::AppliedVersion> history = reg.History(d.kind, d.name);
  json versions = json::array();
  for (const auto& h : history) {
    versions.push_back({{"version", h.version}, {"applied_at", FormatTimestamp(h.applied_at)}});
  }
  // A source's offline log: how many snapshots, the current one.
  json snapshots;
  if (d.kind == "source") {
    offline::SourceLog log(offline::OfflineRoot(repo), d.name);
    const auto ids = log.ListSnapshots();
    snapshots = {{"count", ids.size()}};
    if (const auto latest = log.Latest()) {
      snapshots["latest"] = {{"snapshot", latest->snapshot},
                             {"rows", latest->TotalRows()},
                             {"created_at", FormatTimestamp(latest->created_at)}};
    }
  }
  if (g.json) {
    json out = {{"kind", d.kind},       {"name", d.name},         {"version", d.version},
                {"definition", d.definition}, {"uses", RefsJson(d.uses)},
                {"used_by", RefsJson(d.used_by)}, {"versions", versions}};
    if (!snapshots.is_null()) out["snapshots"] = snapshots;
    PrintJson(out);
    return 0;
  }
  std::printf("%s %s (version %s)\n", d.kind.c_str(), d.name.c_str(), d.version.c_str());
  PrintDefinition(d.definition);
  std::printf("  %-24s %s\n", "uses:", RefsText(d.uses).c_str());
  std::printf("  %-24s %s\n", "used by:", RefsText(d.used_by).c_str());
  if (!snapshots.is_null()) {
    if (snapshots.contains("latest")) {
      const json& l = snapshots["latest"];
      std::printf("  %-24s %zu; current #%lld: %s rows, %s\n", "snapshots:",
                  snapshots["count"].get<size_t>(),
                  static_cast<long long>(l["snapshot"].get<int64_t>()),
                  WithThousands(l["rows"].get<int64_t>()).c_str(),
                  l["created_at"].get<std::string>().c_str());
    } else {
      std::printf("  %-24s none yet (sluice ingest %s)\n", "snapshots:", d.name.c_str());
    }
  }
  std::printf("  %-24s", "versions:");
  for (size_t i = 0; i < history.size(); ++i) {
    std::printf("%s%s applied %s%s", i ? "\n                           " : " ", history[i].version.c_str(),
                FormatTimestamp(history[i].applied_at).c_str(),
                history[i].version == d.version ? " (current)" : "");
  }
  std::printf("\n");
  return 0;
}

}  // namespace

void AddDescribeCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterDescribe, RunDescribe);
}

}  // namespace sluice::cli
