// `sluice get-online`: read features from the online store, as the server answers them.
#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/text.h"
#include "online/serving.h"
#include "online/store.h"
#include "repo/feature_plan.h"
#include "sluice/error.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct GetOnlineOptions {
  std::string service;                // exactly one of service and features
  std::vector<std::string> features;  // view:feature or view
  std::vector<std::string> entities;  // "k=v[,k2=v2]" per entity row
  std::vector<std::string> request;   // "field=value" (one value per entity row, in order)
  std::string at;                     // empty: now
};

CLI::App* RegisterGetOnline(CLI::App& app, GetOnlineOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "get-online", "Read features from the online store, as the server answers them");
  cmd->add_option("--service", o.service, "Feature service");
  cmd->add_option("--features", o.features, "Features as view:feature (or view for all)");
  cmd->add_option("--entity", o.entities,
                  "One entity row: key=value[,key2=value2] (repeat for more rows)")
      ->required();
  cmd->add_option("--request", o.request,
                  "Request data for on-demand views: field=value (repeat; one per entity row)");
  cmd->add_option("--at", o.at, "Answer as of this time (default: now)");
  return cmd;
}

// Parses `text` as a value of `type` for option `what`.
Value ParseValue(const std::string& text, DataType type, const std::string& what) {
  if (auto v = ParseScalar(text, type)) return std::move(*v);
  throw UsageError(fmt::format("{}: '{}' is not a {}", what, text, TypeName(type)));
}

// One --entity row, "k=v[,k2=v2]", as key → value text.
std::map<std::string, std::string> ParseEntityRow(const std::string& row) {
  std::map<std::string, std::string> given;
  size_t pos = 0;
  while (pos <= row.size()) {
    const size_t comma = std::min(row.find(',', pos), row.size());
    const std::string part = row.substr(pos, comma - pos);
    const size_t eq = part.find('=');
    if (eq == std::string::npos)
      throw UsageError(fmt::format("--entity '{}': write key=value", row));
    given[part.substr(0, eq)] = part.substr(eq + 1);
    pos = comma + 1;
  }
  return given;
}

// The --entity rows as one column per join key, one value per row.
std::map<std::string, Column> EntityColumns(const std::vector<Field>& keys,
                                            const std::vector<std::string>& rows) {
  std::map<std::string, Column> entities;
  for (const Field& k : keys) entities.emplace(k.name, Column(k.type));
  for (const std::string& row : rows) {
    const std::map<std::string, std::string> given = ParseEntityRow(row);
    for (const Field& k : keys) {
      auto it = given.find(k.name);
      if (it == given.end()) {
        throw UsageError(fmt::format("--entity '{}' lacks join key '{}'", row, k.name));
      }
      entities.at(k.name).Append(ParseValue(it->second, k.type, "--entity " + k.name));
    }
  }
  return entities;
}

// The --request values as one column per request field the plan's on-demand views ask for.
std::map<std::string, Column> RequestColumns(const std::vector<Field>& fields,
                                             const std::vector<std::string>& given) {
  std::map<std::string, Column> request;
  for (const Field& f : fields) request.emplace(f.name, Column(f.type));
  for (const std::string& r : given) {
    const size_t eq = r.find('=');
    if (eq == std::string::npos) throw UsageError("--request '" + r + "': write field=value");
    const std::string name = r.substr(0, eq);
    auto it = request.find(name);
    if (it == request.end()) {
      throw UsageError(fmt::format("--request '{}': no on-demand view asks for '{}'", r, name));
    }
    it->second.Append(ParseValue(r.substr(eq + 1), it->second.type, "--request " + name));
  }
  return request;
}

// One table per entity row: each feature's value, status and event timestamp.
void PrintOnlineResult(const online::OnlineResult& result, const std::vector<Field>& keys,
                       const std::map<std::string, Column>& entities, Micros at) {
  for (size_t r = 0; r < result.rows; ++r) {
    std::string who;
    for (const Field& k : keys) {
      who += (who.empty() ? "" : ", ") + k.name + "=" + entities.at(k.name).Get(r).ToString();
    }
    std::printf("%s%s (as of %s)\n", r ? "\n" : "", who.c_str(), FormatTimestamp(at).c_str());
    std::vector<std::vector<std::string>> rows;
    for (size_t f = 0; f < result.feature_names.size(); ++f) {
      const online::FeatureValue& v = result.values[f][r];
      rows.push_back({result.feature_names[f], v.value.ToString(),
                      std::string(online::StatusName(v.status)),
                      v.event_ts ? FormatTimestamp(v.event_ts) : "-"});
    }
    PrintTable({"feature", "value", "status", "event_timestamp"}, rows);
  }
}

int RunGetOnline(const GlobalOptions& g, const GetOnlineOptions& o) {
  if (o.service.empty() == o.features.empty()) {
    throw UsageError("give exactly one of --service or --features");
  }
  const repo::RepoDefinition repo = LoadApplied(g);
  // Names and values are checked before the store is opened: bad input is exit 2 even
  // when the store is unreachable (exit 4).
  const repo::FeaturePlan plan =
      repo::PlanFeatures(repo, o.service.empty() ? repo::ResolveFeatureRefs(repo, o.features)
                                                 : repo::ResolveService(repo, o.service));
  const std::vector<Field>& keys = plan.entity_keys;
  const std::map<std::string, Column> entities = EntityColumns(keys, o.entities);
  const std::map<std::string, Column> request = RequestColumns(plan.request_fields, o.request);
  const Micros at = o.at.empty() ? NowMicros() : ParseTimeOption(o.at, "--at");
  std::unique_ptr<online::Store> store = online::OpenStore(repo, online::StoreMode::kRead);
  const online::FeatureServer server(repo, *store);
  const online::OnlineResult result = server.Get(plan, entities, request, at, true);
  if (g.json) {
    PrintJson(json::parse(online::FeastResponse(result, keys, entities)));
  } else {
    PrintOnlineResult(result, keys, entities, at);
  }
  return 0;
}

}  // namespace

void AddGetOnlineCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterGetOnline, RunGetOnline);
}

}  // namespace sluice::cli
