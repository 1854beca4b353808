// What a list of features needs, worked out in one place for every path that computes them
// (SPEC §3, §6): training datasets, the feature server, `get-online` and `consistency-check`.
// A plan names the feature views to read, the on-demand views in dependency order, the entity
// keys and the request fields; OnDemandFeatures evaluates the on-demand views of a plan over
// columns of their inputs, the same way for datasets and for serving.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "expr/expression.h"
#include "repo/definitions.h"
#include "sluice/column.h"

namespace sluice::repo {

struct FeaturePlan {
  std::vector<FeatureRef> features;          // the outputs, in order
  std::vector<std::string> views;            // feature views to read, in definition order
  std::vector<std::string> on_demand_views;  // inputs first; otherwise in definition order
  std::vector<Field> entity_keys;            // join keys with their types, in first-use order
  std::vector<Field> request_fields;         // request data the on-demand views need
};

// The (view, feature) list of service `name`. Throws InputError naming an unknown service,
// with the closest name or the list of services.
std::vector<FeatureRef> ResolveService(const RepoDefinition& defs, const std::string& name);

// "view:feature" and "view" references (a whole view: its features in order) as a feature
// list. Throws InputError naming an unknown view or feature, with a suggestion.
std::vector<FeatureRef> ResolveFeatureRefs(const RepoDefinition& defs,
                                           const std::vector<std::string>& refs);

// The plan of `features` (each naming a feature view or an on-demand view of `defs`). Views
// reached only as inputs of on-demand views are read too.
FeaturePlan PlanFeatures(const RepoDefinition& defs, std::vector<FeatureRef> features);

// Every on-demand view of a repository compiled once. Thread-safe after construction.
class OnDemandFeatures {
 public:
  explicit OnDemandFeatures(const RepoDefinition& defs);

  // Adds to `values` ("view.feature" → n values) the features of every on-demand view of
  // `plan`, in the plan's order. `values` must hold every feature of the plan's feature views;
  // `request` holds the plan's request fields (n values each, the declared types).
  void Evaluate(const FeaturePlan& plan, const std::map<std::string, Column>& request, size_t n,
                std::map<std::string, Column>& values) const;
  // The feature-view features ("view.feature") the plan's on-demand views read: what
  // Evaluate needs in `values` (the rest of its inputs it computes itself).
  std::vector<std::string> Inputs(const FeaturePlan& plan) const;

 private:
  struct View {
    Schema request;
    std::vector<std::string> inputs;  // "input_view.feature", the expressions' other columns
    std::vector<std::string> names;   // its features
    std::vector<expr::Expression> exprs;
  };
  std::map<std::string, View> views_;  // by on-demand view name
};

}  // namespace sluice::repo
