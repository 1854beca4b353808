// `sluice materialize`, `sluice get-online`.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/alloc.h"
#include "common/fs.h"
#include "common/text.h"
#include "common/time.h"
#include "online/consistency.h"
#include "online/materialize.h"
#include "online/serving.h"
#include "online/store.h"
#include "repo/feature_plan.h"
#include "server/http.h"
#include "server/server.h"
#include "sluice/error.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct MaterializeArgs {
  std::vector<std::string> views;
  std::string until;
};

struct ConsistencyArgs {
  std::string service;
  size_t sample = 1000;
  std::string at;
  uint64_t seed = 1;
};

struct ServeArgs {
  std::string host = "0.0.0.0";
  int port = -1;    // -1: server.port of sluice.yaml
  int threads = 0;  // 0: ServeThreads(store)
};

struct GetOnlineArgs {
  std::string service;
  std::vector<std::string> features;
  std::vector<std::string> entities;  // "k=v[,k2=v2]" per entity row
  std::vector<std::string> request;   // "field=value" (one value per entity row, in order)
  std::string at;
};

Micros ParseTimeOption(const std::string& text, const char* option) {
  const auto t = ParseTimestamp(text);
  if (!t) {
    throw UsageError(
        fmt::format("{} '{}' is not a timestamp (write 2026-01-31T12:00:00Z)", option, text));
  }
  return *t;
}

// Parses `text` as a value of `type` for option `what`.
Value ParseValue(const std::string& text, DataType type, const std::string& what) {
  if (auto v = ParseScalar(text, type)) return std::move(*v);
  throw UsageError(fmt::format("{}: '{}' is not a {}", what, text, TypeName(type)));
}

std::string Cell(const Value& v) { return v.ToString(); }

// Runs materialize in the `sluice serve` that holds the store (POST /materialize), found
// through the file it writes beside the store.
std::vector<online::ViewMaterialized> MaterializeThroughServer(const repo::RepoDefinition& repo,
                                                               const online::MaterializeOptions& o,
                                                               const online::StoreBusyError& busy,
                                                               std::string& store_name) {
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
  const int port = info.value("port", 0);
  {
    std::fprintf(stderr,
                 "materialize: the online store is held by `sluice serve` (pid %lld, "
                 "port %d); materializing through it\n",
                 static_cast<long long>(info.value("pid", 0)), port);
  }
  json body = json::object();
  if (!o.views.empty()) body["views"] = o.views;
  if (o.until) body["until"] = FormatTimestamp(*o.until);
  const std::string& token = repo.config.server.auth_token;
  const server::HttpResponse res = server::HttpPost("127.0.0.1", port, "/materialize", body.dump(),
                                                    token.empty() ? "" : "Bearer " + token);
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
  store_name = out.value("store", "") + fmt::format(" (through sluice serve on port {})", port);
  std::vector<online::ViewMaterialized> results;
  for (const json& v : out.at("views")) {
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
    results.push_back(r);
  }
  return results;
}

}  // namespace

void AddOnlineCommands(CLI::App& app, const GlobalOptions& g, Action& action) {
  static MaterializeArgs m;
  CLI::App* mat = app.add_subcommand(
      "materialize", "Bring the online store up to date from the offline log (incremental)");
  mat->add_option("--views", m.views, "Feature views to materialize (default: all)");
  mat->add_option("--until", m.until,
                  "Materialize up to the newest snapshot committed at or before this time");
  mat->callback([&g, &action] {
    action = [&g] {
      // Records and tile states churn through many allocation sizes: give freed memory back
      // (keeping it, the batch default, costs GBs of RSS here).
      SetFreedMemoryDecay(1000);
      const repo::RepoDefinition repo = LoadApplied(g);
      online::MaterializeOptions o;
      o.views = m.views;
      if (!m.until.empty()) o.until = ParseTimeOption(m.until, "--until");
      const auto start = std::chrono::steady_clock::now();
      std::unique_ptr<online::Store> store;
      std::vector<online::ViewMaterialized> results;
      std::string store_name;
      try {
        store = online::OpenStore(repo, online::StoreMode::kWrite);
        store_name = store->Describe();
      } catch (const online::StoreBusyError& busy) {
        // `sluice serve` holds the store: materialize runs inside it.
        results = MaterializeThroughServer(repo, o, busy, store_name);
      }
      if (store) {
        ProgressBar bar("materialize");
        o.progress = [&bar](double f) { bar.Update(f); };
        results = online::Materialize(repo, *store, o);
      }
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (g.json) {
        PrintJson({{"store", store_name},
                   {"views", online::MaterializedJson(results)},
                   {"seconds", secs}});
        return 0;
      }
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
      return 0;
    };
  });

  static ConsistencyArgs c;
  CLI::App* cc = app.add_subcommand("consistency-check",
                                    "Compare online values with the offline engine's for sampled "
                                    "entities (exit 1 on any mismatch)");
  cc->add_option("--service", c.service, "Feature service")->required();
  cc->add_option("--sample", c.sample, "Entities to sample per feature view")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cc->add_option("--at", c.at, "The time both paths answer at (default: now)");
  cc->add_option("--seed", c.seed, "Sampling seed")->capture_default_str();
  cc->callback([&g, &action] {
    action = [&g] {
      const repo::RepoDefinition repo = LoadApplied(g);
      std::unique_ptr<online::Store> store = online::OpenStore(repo, online::StoreMode::kRead);
      online::ConsistencyOptions o;
      o.service = c.service;
      o.sample = c.sample;
      o.seed = c.seed;
      o.at = c.at.empty() ? NowMicros() : ParseTimeOption(c.at, "--at");
      const online::ConsistencyReport r = online::CheckConsistency(repo, *store, o);
      const double rate =
          r.compared ? static_cast<double>(r.mismatches) / static_cast<double>(r.compared) : 0.0;
      if (g.json) {
        json examples = json::array();
        for (const auto& m : r.examples) {
          examples.push_back({{"view", m.view},
                              {"feature", m.feature},
                              {"entity", m.entity},
                              {"online", m.online},
                              {"offline", m.offline},
                              {"status", m.status}});
        }
        PrintJson({{"service", r.service},
                   {"at", FormatTimestamp(r.at)},
                   {"entities", r.entities},
                   {"compared", r.compared},
                   {"mismatches", r.mismatches},
                   {"mismatch_rate", rate},
                   {"examples", examples},
                   {"skipped", r.skipped}});
      } else {
        std::printf("service %s at %s: %s entities, %s values compared, %s mismatches (%.4f%%)\n",
                    r.service.c_str(), FormatTimestamp(r.at).c_str(),
                    WithThousands(static_cast<int64_t>(r.entities)).c_str(),
                    WithThousands(static_cast<int64_t>(r.compared)).c_str(),
                    WithThousands(static_cast<int64_t>(r.mismatches)).c_str(), rate * 100);
        if (!r.examples.empty()) {
          std::vector<std::vector<std::string>> rows;
          for (const auto& m : r.examples) {
            rows.push_back({m.view + ":" + m.feature, m.entity, m.online, m.status, m.offline});
          }
          PrintTable({"feature", "entity", "online", "status", "offline"}, rows);
          std::printf("hint: run `sluice materialize` if the offline log has newer snapshots\n");
        }
        if (!r.skipped.empty()) {
          std::printf("not compared (on-demand, needing request data): %zu features\n",
                      r.skipped.size());
        }
      }
      return r.mismatches == 0 ? 0 : 1;
    };
  });

  static ServeArgs sv;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Serve online features over HTTP (Feast's /get-online-features, /push; /health, /metrics)");
  serve->add_option("--port", sv.port,
                    "Port (default: server.port in sluice.yaml, 6566; 0: any free port)");
  serve->add_option("--host", sv.host, "Address to listen on")->capture_default_str();
  serve
      ->add_option("--threads", sv.threads,
                   "Event-loop threads (default: one per core; more for a Redis store, whose "
                   "reads wait on the network)")
      ->check(CLI::Range(1, 4096));
  serve->callback([&g, &action] {
    action = [&g] {
      SetFreedMemoryDecay(1000);  // a long-running process gives freed memory back
      // SIGINT/SIGTERM stop the server cleanly: blocked before any thread starts (threads
      // inherit the mask; the store starts some), then awaited by one thread.
      sigset_t stop_signals;
      sigemptyset(&stop_signals);
      sigaddset(&stop_signals, SIGINT);
      sigaddset(&stop_signals, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
      const repo::RepoDefinition repo = LoadApplied(g);
      const int port = sv.port >= 0 ? sv.port : static_cast<int>(repo.config.server.port);
      std::unique_ptr<online::Store> store = online::OpenStore(repo, online::StoreMode::kServe);
      int threads = sv.threads;
      if (threads == 0) {
        // Handlers run on the event loops: one per core keeps them busy when reads are local
        // (RocksDB); Redis reads wait on a round trip, so more loops overlap the waits.
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        threads = repo.config.online_store.type == "redis" ? 4 * cores : cores;
      }
      const std::string store_name = store->Describe();
      server::Server srv(repo, std::move(store));
      std::thread waiter([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        srv.Stop();
      });
      const bool embedded = repo.config.online_store.type == "rocksdb";
      const std::filesystem::path info_path = online::ServerInfoPath(repo);
      srv.Run(sv.host, port, threads, [&](int bound) {
        if (embedded) {
          // Lets `sluice materialize` find this server while it holds the store.
          WriteFileAtomic(info_path, json{{"pid", ::getpid()}, {"port", bound}}.dump());
        }
        if (g.json) {
          std::printf(
              "%s\n",
              json{{"host", sv.host}, {"port", bound}, {"store", store_name}}.dump().c_str());
        } else {
          std::printf("serving on http://%s:%d (online store: %s)\n", sv.host.c_str(), bound,
                      store_name.c_str());
        }
        std::fflush(stdout);
      });
      // Run returned: stopped by a signal (or the listener failed).
      if (embedded) {
        std::error_code ignored;
        std::filesystem::remove(info_path, ignored);
      }
      pthread_kill(waiter.native_handle(), SIGTERM);
      waiter.join();
      return 0;
    };
  });

  static GetOnlineArgs a;
  CLI::App* get = app.add_subcommand(
      "get-online", "Read features from the online store, as the server answers them");
  get->add_option("--service", a.service, "Feature service");
  get->add_option("--features", a.features, "Features as view:feature (or view for all)");
  get->add_option("--entity", a.entities,
                  "One entity row: key=value[,key2=value2] (repeat for more rows)")
      ->required();
  get->add_option("--request", a.request,
                  "Request data for on-demand views: field=value (repeat; one per entity row)");
  get->add_option("--at", a.at, "Answer as of this time (default: now)");
  get->callback([&g, &action] {
    action = [&g] {
      if (a.service.empty() == a.features.empty()) {
        throw UsageError("give exactly one of --service or --features");
      }
      const repo::RepoDefinition repo = LoadApplied(g);
      // Names and values are checked before the store is opened: bad input is exit 2 even
      // when the store is unreachable (exit 4).
      const repo::FeaturePlan plan =
          repo::PlanFeatures(repo, a.service.empty() ? repo::ResolveFeatureRefs(repo, a.features)
                                                     : repo::ResolveService(repo, a.service));
      const std::vector<Field>& keys = plan.entity_keys;
      std::map<std::string, Column> entities;
      for (const Field& k : keys) entities.emplace(k.name, Column(k.type));
      for (const std::string& row : a.entities) {
        std::map<std::string, std::string> given;
        size_t pos = 0;
        while (pos <= row.size()) {
          const size_t comma = std::min(row.find(',', pos), row.size());
          const std::string part = row.substr(pos, comma - pos);
          const size_t eq = part.find('=');
          if (eq == std::string::npos) {
            throw UsageError(fmt::format("--entity '{}': write key=value", row));
          }
          given[part.substr(0, eq)] = part.substr(eq + 1);
          pos = comma + 1;
        }
        for (const Field& k : keys) {
          auto it = given.find(k.name);
          if (it == given.end()) {
            throw UsageError(fmt::format("--entity '{}' lacks join key '{}'", row, k.name));
          }
          entities.at(k.name).Append(ParseValue(it->second, k.type, "--entity " + k.name));
        }
      }
      std::map<std::string, Column> request;
      for (const Field& f : plan.request_fields) request.emplace(f.name, Column(f.type));
      for (const std::string& r : a.request) {
        const size_t eq = r.find('=');
        if (eq == std::string::npos) throw UsageError("--request '" + r + "': write field=value");
        const std::string name = r.substr(0, eq);
        auto it = request.find(name);
        if (it == request.end()) {
          throw UsageError(fmt::format("--request '{}': no on-demand view asks for '{}'", r, name));
        }
        it->second.Append(ParseValue(r.substr(eq + 1), it->second.type, "--request " + name));
      }
      const Micros at = a.at.empty() ? NowMicros() : ParseTimeOption(a.at, "--at");
      std::unique_ptr<online::Store> store = online::OpenStore(repo, online::StoreMode::kRead);
      const online::FeatureServer server(repo, *store);
      const online::OnlineResult result = server.Get(plan, entities, request, at, true);
      if (g.json) {
        PrintJson(json::parse(online::FeastResponse(result, keys, entities)));
        return 0;
      }
      for (size_t r = 0; r < result.rows; ++r) {
        std::string who;
        for (const Field& k : keys) {
          who += (who.empty() ? "" : ", ") + k.name + "=" + entities.at(k.name).Get(r).ToString();
        }
        std::printf("%s%s (as of %s)\n", r ? "\n" : "", who.c_str(), FormatTimestamp(at).c_str());
        std::vector<std::vector<std::string>> rows;
        for (size_t f = 0; f < result.feature_names.size(); ++f) {
          const online::FeatureValue& v = result.values[f][r];
          rows.push_back({result.feature_names[f], Cell(v.value),
                          std::string(online::StatusName(v.status)),
                          v.event_ts ? FormatTimestamp(v.event_ts) : "-"});
        }
        PrintTable({"feature", "value", "status", "event_timestamp"}, rows);
      }
      return 0;
    };
  });
}

}  // namespace sluice::cli
