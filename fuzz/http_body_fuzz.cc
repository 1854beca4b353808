// Request bodies of every endpoint, as the server reads them: POST /get-online-features
// (through Server::GetOnlineFeatures, against a repository with a window feature, an
// on-demand view and a push source, and an empty embedded store), POST /push and POST
// /materialize (their body readers). The first byte picks the endpoint. Every answer must be
// a status 200-599 and a body that is JSON.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "io/duckdb.h"
#include "online/store.h"
#include "quality/rules/rule_table.h"
#include "repo/checker.h"
#include "repo/loader.h"
#include "server/bodies.h"
#include "server/server.h"
#include "sluice/error.h"

using namespace sluice;

namespace {

constexpr const char* kDefs = R"(entities:
  - {name: user, join_keys: [user_id]}
  - {name: shop, join_keys: [shop]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts}
  - {name: clicks, type: push, timestamp_field: ts, schema: {user_id: int64, ts: timestamp, n: float64, tag: string, v: "list<float64>", ok: bool}}
feature_views:
  - name: v
    entities: [user]
    source: tx
    ttl: 30d
    features:
      - {name: amount, expr: amount}
      - {name: n_7d, aggregate: count, window: 7d, hop: 1d}
  - name: s
    entities: [shop]
    source: tx
    features:
      - {name: last_cat, expr: cat}
on_demand_views:
  - name: od
    inputs: [v]
    request: {bonus: float64, when: timestamp}
    features:
      - {name: boosted, expr: "v.amount + bonus"}
feature_services:
  - {name: svc, features: [v, od, s]}
)";

struct Fixture {
  repo::RepoDefinition defs;
  std::unique_ptr<server::Server> server;

  Fixture() {
    const auto& root = fuzz::ScratchDir();
    fuzz::WriteFile(root / "sluice.yaml", "project: f\n");
    fuzz::WriteFile(root / "defs.yaml", kDefs);
    fuzz::WriteFile(root / "data/a.csv",
                    "user_id,shop,ts,amount,cat\n1,a,2026-01-01 00:00:00,1.5,x\n");
    defs = repo::LoadRepo(root, quality::ParseRule);
    io::DuckDb db;
    repo::CheckRepo(defs, db);
    server = std::make_unique<server::Server>(
        defs, online::OpenRocksDbStore((root / "online").string(), online::StoreMode::kServe));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static Fixture f;
  const std::string body(fuzz::AsText(data + 1, size - 1));
  switch (data[0] % 3) {
    case 0: {
      const auto [status, answer] = f.server->GetOnlineFeatures(body);
      if (status < 200 || status > 599 || !nlohmann::json::accept(answer)) __builtin_trap();
      break;
    }
    case 1:
      try {
        const server::PushRequest p = server::ParsePushBody(body, f.defs);
        if (p.rows.num_rows == 0 || p.rows.columns.size() != 6) __builtin_trap();
      } catch (const server::HttpError& e) {
        if (e.status < 400 || e.status > 499) __builtin_trap();
      }
      break;
    default:
      try {
        (void)server::ParseMaterializeBody(body);
      } catch (const server::HttpError& e) {
        if (e.status < 400 || e.status > 499) __builtin_trap();
      }
  }
  return 0;
}
