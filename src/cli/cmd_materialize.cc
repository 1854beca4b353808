// `sluice materialize`: bring the online store up to date from the offline log, in this process
// or, when a `sluice serve` holds the store, through that server.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/alloc.h"
#include "common/fs.h"
#include "common/json.h"
#include "online/materialize.h"
#include "online/store.h"
#include "server/http.h"
#include "sluice/error.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct MaterializeCommandOptions {
  std::vector<std::string> views;  // empty: all
  std::string until;               // empty: the newest snapshots
};

CLI::App* RegisterMaterialize(CLI::App& app, MaterializeCommandOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "materialize", "Bring the online store up to date from the offline log (incremental)");
  cmd->add_option("--views", o.views, "Feature views to materialize (default: all)");
  cmd->add_option("--until", o.until,
                  "Materialize up to the newest snapshot committed at or before this time");
  return cmd;
}

// Where the `sluice serve` that holds the store listens.
struct HoldingServer {
  std::string host;  // an address of this machine it accepts connections on
  int port = 0;
  std::string tls_cert;  // its certificate when it serves HTTPS
};

// The `sluice serve` that holds the store, from the file it writes beside the store; throws
// InputError (quoting `busy`) when no server registered itself there.
HoldingServer FindHoldingServer(const repo::RepoDefinition& repo,
                                const online::StoreBusyError& busy) {
  const std::filesystem::path info_path = online::ServerInfoPath(repo);
  json info;
  try {
    info = json::parse(ReadFile(info_path));
  } catch (const std::exception&) {
    throw InputError(
        fmt::format("{}, and no `sluice serve` is registered in {}: stop the "
                    "other process and run materialize again",
                    busy.what(), info_path.string()));
  }
  HoldingServer server{info.value("host", std::string("127.0.0.1")), info.value("port", 0),
                       info.value("tls_cert", std::string())};
  std::fprintf(stderr,
               "materialize: the online store is held by `sluice serve` (pid %lld, "
               "port %d); materializing through it\n",
               static_cast<long long>(info.value("pid", 0)), server.port);
  return server;
}

// POST /materialize to the server on `port`; its JSON answer, or InputError when it failed.
json PostMaterialize(const repo::RepoDefinition& repo, const HoldingServer& holder,
                     const online::MaterializeOptions& o) {
  const int port = holder.port;
  json body = json::object();
  if (!o.views.empty()) body["views"] = o.views;
  if (o.until) body["until"] = FormatTimestamp(*o.until);
  const std::string& token = repo.config.server.any_write_token();
  if (repo.config.server.auth() && token.empty()) {
    throw InputError(fmt::format(
        "the online store is held by `sluice serve` (port {}), which needs a write token for "
        "materialize: set server.write_token (or server.auth_token) in sluice.yaml",
        port));
  }
  const server::HttpResponse res =
      server::HttpPost(holder.host, port, "/materialize", JsonText(body),
                       token.empty() ? "" : "Bearer " + token, holder.tls_cert);
  json out;
  try {
    out = json::parse(res.body);
  } catch (const std::exception&) {
    throw InputError(
        fmt::format("sluice serve (port {}) answered {}: {}", port, res.status, res.body));
  }
  if (res.status != 200) {
    const std::string message =
        out.contains("error") ? out["error"].value("message", res.body) : res.body;
    throw InputError(fmt::format("materialize through sluice serve (port {}): {}", port, message));
  }
  return out;
}

online::ViewMaterialized ViewMaterializedFromJson(const json& v) {
  online::ViewMaterialized r;
  r.view = v.at("view");
  r.source = v.at("source");
  r.from_snapshot = v.at("from_snapshot");
  r.to_snapshot = v.at("to_snapshot");
  r.full = v.at("full");
  r.no_data = v.at("no_data");
  r.rows_read = v.at("rows_read");
  r.entities_written = v.at("entities_written");
  r.entities_rebuilt = v.at("entities_rebuilt");
  return r;
}

// Runs materialize in the `sluice serve` that holds the store (POST /materialize), found
// through the file it writes beside the store. Names the store in `store_name`.
std::vector<online::ViewMaterialized> MaterializeThroughServer(const repo::RepoDefinition& repo,
                                                               const online::MaterializeOptions& o,
                                                               const online::StoreBusyError& busy,
                                                               std::string& store_name) {
  const HoldingServer holder = FindHoldingServer(repo, busy);
  const json out = PostMaterialize(repo, holder, o);
  store_name = out.value("store", "") +
               fmt::format(" (through sluice serve on port {})", holder.port);
  std::vector<online::ViewMaterialized> results;
  for (const json& v : out.at("views")) results.push_back(ViewMaterializedFromJson(v));
  return results;
}

void PrintMaterialized(const std::vector<online::ViewMaterialized>& results,
                       const std::string& store_name, double secs) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : results) {
    std::string what;
    if (r.no_data) {
      what = "no data yet (run `sluice ingest " + r.source + "`)";
    } else if (r.from_snapshot == r.to_snapshot) {
      what = "up to date";
    } else {
      what = fmt::format("{} → snapshot {}", r.full ? "full" : "incremental", r.to_snapshot);
    }
    rows.push_back({r.view, r.source, what, WithThousands(r.rows_read),
                    WithThousands(r.entities_written), WithThousands(r.entities_rebuilt)});
  }
  PrintTable({"view", "source", "materialized", "rows read", "entities", "rebuilt"}, rows);
  std::printf("online store: %s (%.2f s)\n", store_name.c_str(), secs);
}

int RunMaterialize(const GlobalOptions& g, const MaterializeCommandOptions& o) {
  // Records and tile states churn through many allocation sizes: give freed memory back
  // (keeping it, the batch default, costs GBs of RSS here).
  SetFreedMemoryDecay(1000);
  const repo::RepoDefinition repo = LoadApplied(g);
  online::MaterializeOptions options;
  options.views = o.views;
  if (!o.until.empty()) options.until = ParseTimeOption(o.until, "--until");
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<online::Store> store;
  std::vector<online::ViewMaterialized> results;
  std::string store_name;
  try {
    store = online::OpenStore(repo, online::StoreMode::kWrite);
    store_name = store->Describe();
  } catch (const online::StoreBusyError& busy) {
    // `sluice serve` holds the store: materialize runs inside it.
    results = MaterializeThroughServer(repo, options, busy, store_name);
  }
  if (store) {
    ProgressBar bar("materialize");
    options.progress = [&bar](double f) { bar.Update(f); };
    results = online::Materialize(repo, *store, options);
  }
  const double secs = SecondsSince(start);
  if (g.json) {
    PrintJson(
        {{"store", store_name}, {"views", online::MaterializedJson(results)}, {"seconds", secs}});
  } else {
    PrintMaterialized(results, store_name, secs);
  }
  return 0;
}

}  // namespace

void AddMaterializeCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterMaterialize, RunMaterialize);
}

}  // namespace sluice::cli
