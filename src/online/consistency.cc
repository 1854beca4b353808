#include "online/consistency.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "common/key.h"
#include "engine/point_in_time.h"
#include "offline/ingest.h"
#include "offline/segment_reader.h"
#include "offline/snapshot.h"
#include "online/serving.h"
#include "repo/compiled_view.h"
#include "repo/feature_plan.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

// Entities sampled from one feature view's source: its join keys as columns, n rows.
struct Sample {
  std::vector<std::string> keys;
  std::map<std::string, Column> columns;
  size_t n = 0;
  // "key=value, …" of row i.
  std::string Describe(size_t i) const {
    std::string who;
    for (size_t k = 0; k < keys.size(); ++k) {
      who += (k ? ", " : "") + keys[k] + "=" + columns.at(keys[k]).Get(i).ToString();
    }
    return who;
  }
};

class Checker {
 public:
  Checker(const repo::RepoDefinition& repo, Store& store, const ConsistencyOptions& options,
          ConsistencyReport& report)
      : repo_(repo),
        options_(options),
        report_(report),
        server_(repo, store),
        on_demand_(repo),
        offline_root_(offline::OfflineRoot(repo)) {}

  // Compares `refs` (features of one feature view, or of on-demand views whose inputs read
  // the keys of `sample_view`) on entities sampled from `sample_view`'s source.
  void Compare(const std::vector<repo::FeatureRef>& refs, const repo::FeatureViewDef& sample_view) {
    const repo::FeaturePlan plan = repo::PlanFeatures(repo_, refs);
    const Sample& sample = SampleOf(sample_view);
    report_.entities += sample.n;
    if (sample.n == 0) return;
    std::map<std::string, Column> offline;
    for (const std::string& v : plan.views)
      OfflineValues(*repo_.FindFeatureView(v), sample, offline);
    on_demand_.Evaluate(plan, {}, sample.n, offline);
    const OnlineResult online = server_.Get(plan, sample.columns, {}, options_.at, false);
    for (size_t f = 0; f < plan.features.size(); ++f) {
      const repo::FeatureRef& ref = plan.features[f];
      const Column& want = offline.at(ref.view + "." + ref.feature);
      for (size_t i = 0; i < sample.n; ++i) {
        ++report_.compared;
        const FeatureValue& got = online.values[f][i];
        const Value expected = want.Get(i);
        if (got.value == expected) continue;
        ++report_.mismatches;
        if (report_.examples.size() < 20) {
          report_.examples.push_back({ref.view, ref.feature, sample.Describe(i),
                                      got.value.ToString(), expected.ToString(),
                                      std::string(StatusName(got.status))});
        }
      }
    }
  }

 private:
  // The view's sample, drawn once: on-demand views sampled from the same view reuse it.
  const Sample& SampleOf(const repo::FeatureViewDef& view) {
    auto it = samples_.find(view.name);
    if (it == samples_.end()) it = samples_.emplace(view.name, SampleEntities(view)).first;
    return it->second;
  }

  // Every distinct key of the view's source, then a seeded sample of them.
  Sample SampleEntities(const repo::FeatureViewDef& view) {
    const repo::SourceDef& src = *repo_.FindSource(view.source);
    offline::SegmentReader& reader = Reader(src);
    Sample s;
    s.keys = repo_.JoinKeys(view);
    std::map<std::string, std::vector<Value>> distinct;  // encoded key → key values
    for (uint32_t b = 0; b < reader.bucket_count(); ++b) {
      const Batch rows = reader.Read(b, s.keys);
      std::vector<const Column*> cols;
      for (const std::string& k : s.keys) cols.push_back(&rows.Get(k));
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
    std::mt19937_64 rng(options_.seed);
    std::shuffle(chosen.begin(), chosen.end(), rng);
    if (chosen.size() > options_.sample) chosen.resize(options_.sample);
    s.n = chosen.size();
    for (size_t k = 0; k < s.keys.size() && s.n > 0; ++k) {
      Column c((*chosen[0])[k].type);
      for (const auto* v : chosen) c.Append((*v)[k]);
      s.columns.emplace(s.keys[k], std::move(c));
    }
    return s;
  }

  // The offline engine's values of every feature of `view` for the sample at `at`.
  void OfflineValues(const repo::FeatureViewDef& view, const Sample& sample,
                     std::map<std::string, Column>& out) {
    const repo::CompiledView compiled = repo::CompileView(repo_, view);
    Column ts(DataType::kTimestamp);
    for (size_t i = 0; i < sample.n; ++i) ts.Append(Value::Timestamp(options_.at));
    engine::EntityRows rows;
    rows.ts = &ts;
    for (const std::string& k : compiled.spec.join_keys) rows.keys.push_back(&sample.columns.at(k));
    std::vector<Column> cols =
        engine::ComputeLastValues(compiled.spec, Reader(*repo_.FindSource(view.source)), rows);
    for (size_t f = 0; f < view.features.size(); ++f) {
      out[view.name + "." + view.features[f].name] = std::move(cols[compiled.column_of[f]]);
    }
  }

  offline::SegmentReader& Reader(const repo::SourceDef& src) {
    auto it = readers_.find(src.name);
    if (it != readers_.end()) return *it->second;
    const auto snapshot = offline::SourceLog(offline_root_, src.name).Latest();
    if (!snapshot) {
      throw InputError(fmt::format("source '{}' has no data yet: run `sluice ingest {}` first",
                                   src.name, src.name));
    }
    auto reader = std::make_unique<offline::SegmentReader>(
        offline::SourceLog(offline_root_, src.name).dir(), *snapshot);
    return *readers_.emplace(src.name, std::move(reader)).first->second;
  }

  const repo::RepoDefinition& repo_;
  const ConsistencyOptions& options_;
  ConsistencyReport& report_;
  const FeatureServer server_;
  const repo::OnDemandFeatures on_demand_;
  const std::filesystem::path offline_root_;
  std::map<std::string, std::unique_ptr<offline::SegmentReader>> readers_;
  std::map<std::string, Sample> samples_;  // by feature view
};

// A feature view among `views` whose join keys are all of `keys` (entities sampled from its
// source carry every key the on-demand inputs need), or nullptr.
const repo::FeatureViewDef* ViewWithKeys(const repo::RepoDefinition& repo,
                                         const std::vector<std::string>& views,
                                         const std::vector<Field>& keys) {
  for (const std::string& v : views) {
    const repo::FeatureViewDef* fv = repo.FindFeatureView(v);
    const std::vector<std::string> own = repo.JoinKeys(*fv);
    const bool all = std::all_of(keys.begin(), keys.end(), [&](const Field& k) {
      return std::find(own.begin(), own.end(), k.name) != own.end();
    });
    if (all) return fv;
  }
  return nullptr;
}

}  // namespace

ConsistencyReport CheckConsistency(const repo::RepoDefinition& repo, Store& store,
                                   const ConsistencyOptions& options) {
  const std::vector<repo::FeatureRef> all = repo::ResolveService(repo, options.service);
  ConsistencyReport report;
  report.service = options.service;
  report.at = options.at;
  // The service's features grouped by view, in service order.
  std::vector<std::string> views;
  std::map<std::string, std::vector<repo::FeatureRef>> by_view;
  for (const repo::FeatureRef& r : all) {
    if (!by_view.count(r.view)) views.push_back(r.view);
    by_view[r.view].push_back(r);
  }
  Checker checker(repo, store, options, report);
  for (const std::string& name : views) {
    const std::vector<repo::FeatureRef>& refs = by_view.at(name);
    if (const repo::FeatureViewDef* fv = repo.FindFeatureView(name)) {
      checker.Compare(refs, *fv);
      continue;
    }
    // An on-demand view: comparable when it needs no request data and one of its input
    // views carries every entity key it needs.
    const repo::FeaturePlan plan = repo::PlanFeatures(repo, refs);
    const repo::FeatureViewDef* sample_view =
        plan.request_fields.empty() ? ViewWithKeys(repo, plan.views, plan.entity_keys) : nullptr;
    if (sample_view == nullptr) {
      for (const repo::FeatureRef& r : refs) report.skipped.push_back(r.view + ":" + r.feature);
      continue;
    }
    checker.Compare(refs, *sample_view);
  }
  return report;
}

}  // namespace sluice::online
