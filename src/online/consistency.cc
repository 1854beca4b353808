#include "online/consistency.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include <fmt/format.h>

#include "common/key.h"
#include "engine/point_in_time.h"
#include "offline/ingest.h"
#include "offline/segment_reader.h"
#include "offline/snapshot.h"
#include "online/serving.h"
#include "repo/compiled_view.h"
#include "sluice/error.h"

namespace sluice::online {

ConsistencyReport CheckConsistency(const repo::RepoDefinition& repo, Store& store,
                                   const ConsistencyOptions& options) {
  const FeatureServer server(repo, store);
  const std::vector<repo::FeatureRef> all = server.ResolveService(options.service);
  ConsistencyReport report;
  report.service = options.service;
  report.at = options.at;
  // The service's features by feature view, in service order.
  std::vector<std::string> views;
  std::map<std::string, std::vector<repo::FeatureRef>> by_view;
  for (const repo::FeatureRef& r : all) {
    if (!repo.FindFeatureView(r.view)) {
      report.skipped.push_back(r.view + ":" + r.feature);
      continue;
    }
    if (!by_view.count(r.view)) views.push_back(r.view);
    by_view[r.view].push_back(r);
  }
  const std::filesystem::path offline_root = offline::OfflineRoot(repo);
  for (const std::string& name : views) {
    const repo::FeatureViewDef& view = *repo.FindFeatureView(name);
    const repo::SourceDef& src = *repo.FindSource(view.source);
    const auto snapshot = offline::SourceLog(offline_root, src.name).Latest();
    if (!snapshot) {
      throw InputError(fmt::format("source '{}' has no data yet: run `sluice ingest {}` first",
                                   src.name, src.name));
    }
    const repo::CompiledView compiled = repo::CompileView(repo, view);
    const std::vector<std::string>& keys = compiled.spec.join_keys;
    // Every distinct key of the source, then a seeded sample of them.
    offline::SegmentReader reader(offline::SourceLog(offline_root, src.name).dir(), *snapshot);
    std::map<std::string, std::vector<Value>> distinct;  // encoded key → key values
    for (uint32_t b = 0; b < reader.bucket_count(); ++b) {
      const Batch rows = reader.Read(b, keys);
      std::vector<const Column*> cols;
      for (const std::string& k : keys) cols.push_back(&rows.Get(k));
      std::string enc;
      for (size_t r = 0; r < rows.num_rows; ++r) {
        enc.clear();
        AppendKeyEncoding(cols, r, enc);
        if (distinct.count(enc)) continue;
        std::vector<Value> v;
        for (const Column* c : cols) v.push_back(c->Get(r));
        distinct.emplace(enc, std::move(v));
      }
    }
    std::vector<const std::vector<Value>*> chosen;
    for (const auto& [enc, v] : distinct) chosen.push_back(&v);
    std::mt19937_64 rng(options.seed);
    std::shuffle(chosen.begin(), chosen.end(), rng);
    if (chosen.size() > options.sample) chosen.resize(options.sample);
    const size_t n = chosen.size();
    report.entities += n;
    if (n == 0) continue;
    // The sampled entities as columns, at time `at`.
    std::map<std::string, Column> entity_cols;
    for (size_t k = 0; k < keys.size(); ++k) {
      Column c((*chosen[0])[k].type);
      for (const auto* v : chosen) c.Append((*v)[k]);
      entity_cols.emplace(keys[k], std::move(c));
    }
    Column ts(DataType::kTimestamp);
    for (size_t i = 0; i < n; ++i) ts.Append(Value::Timestamp(options.at));
    engine::EntityRows rows;
    rows.ts = &ts;
    for (const std::string& k : keys) rows.keys.push_back(&entity_cols.at(k));
    const std::vector<Column> offline =
        engine::ComputeLastValues(compiled.spec, reader, rows);
    const OnlineResult online = server.Get(by_view.at(name), entity_cols, {}, options.at, false);
    for (size_t f = 0; f < online.feature_names.size(); ++f) {
      const std::string& feature = by_view.at(name)[f].feature;
      size_t index = 0;
      while (view.features[index].name != feature) ++index;
      const Column& want = offline[compiled.column_of[index]];
      for (size_t i = 0; i < n; ++i) {
        ++report.compared;
        const FeatureValue& got = online.values[f][i];
        const Value expected = want.Get(i);
        if (got.value == expected) continue;
        ++report.mismatches;
        if (report.examples.size() < 20) {
          std::string who;
          for (size_t k = 0; k < keys.size(); ++k) {
            who += (k ? ", " : "") + keys[k] + "=" + (*chosen[i])[k].ToString();
          }
          report.examples.push_back({name, feature, who, got.value.ToString(),
                                     expected.ToString(), std::string(StatusName(got.status))});
        }
      }
    }
  }
  return report;
}

}  // namespace sluice::online
