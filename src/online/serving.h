// Answers online feature requests (SPEC §6): feature references or a feature service, entity
// key values, request data for on-demand views, a time. Used by `sluice get-online`,
// `sluice serve` and `sluice consistency-check`.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "online/online_view.h"
#include "online/store.h"
#include "repo/definitions.h"
#include "repo/feature_plan.h"

namespace sluice::online {

struct OnlineResult {
  std::vector<std::string> feature_names;         // "view__feature" or "feature"
  std::vector<std::vector<FeatureValue>> values;  // [feature][entity row]
  size_t rows = 0;
};

// What a list of features needs (repo/feature_plan.h); each service's is built at start-up.
using repo::FeaturePlan;

class FeatureServer {
 public:
  // `defs`: the applied definitions; views and on-demand expressions are compiled once.
  FeatureServer(repo::RepoDefinition defs, Store& store);
  ~FeatureServer();

  const repo::RepoDefinition& defs() const { return defs_; }

  // The (view, feature) list of a service, or of "view:feature" / "view" references. Throws
  // NotFoundError naming an unknown service, view or feature (with a suggestion).
  std::vector<repo::FeatureRef> ResolveService(const std::string& name) const;
  // A service's plan, built with the server (no definition lookups per request).
  const FeaturePlan& ServicePlan(const std::string& name) const;
  FeaturePlan Plan(std::vector<repo::FeatureRef> features) const;
  std::vector<repo::FeatureRef> ResolveFeatures(const std::vector<std::string>& refs) const;
  // Values of `features` for each entity row at time `now`. `entities` holds one column per
  // join key (the plan's entity_keys; same length, right types); `request` one per request
  // field. Throws InputError naming a missing key or field, a wrong type, or unequal lengths,
  // and UnavailableError when the store fails.
  OnlineResult Get(const std::vector<repo::FeatureRef>& features,
                   const std::map<std::string, Column>& entities,
                   const std::map<std::string, Column>& request, Micros now,
                   bool full_feature_names) const;
  OnlineResult Get(const FeaturePlan& plan, const std::map<std::string, Column>& entities,
                   const std::map<std::string, Column>& request, Micros now,
                   bool full_feature_names) const;

 private:
  struct Impl;
  repo::RepoDefinition defs_;
  Store& store_;
  std::unique_ptr<Impl> impl_;
};

// Feast's get-online-features response as JSON text: {"metadata": {"feature_names": [keys…,
// features…]}, "results": [{"values", "statuses", "event_timestamps"} per column]} with the
// entity key columns first (status PRESENT, timestamp of the epoch, as Feast does). Values:
// numbers (floats keep a fraction: 5.0), strings, booleans, timestamps as RFC 3339 text, lists
// as arrays, null.
std::string FeastResponse(const OnlineResult& result, const std::vector<Field>& keys,
                          const std::map<std::string, Column>& entities);

}  // namespace sluice::online
