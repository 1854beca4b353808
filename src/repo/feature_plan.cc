#include "repo/feature_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "common/text.h"
#include "sluice/error.h"

namespace sluice::repo {
namespace {

std::string Suggest(const std::string& name, const std::vector<std::string>& names,
                    const char* kind) {
  const std::string near = ClosestName(name, names);
  return near.empty() ? fmt::format(" ({}: {})", kind, fmt::join(names, ", "))
                      : "; did you mean '" + near + "'?";
}

}  // namespace

std::vector<FeatureRef> ResolveService(const RepoDefinition& defs, const std::string& name) {
  const FeatureServiceDef* service = defs.FindService(name);
  if (service == nullptr) {
    std::vector<std::string> names;
    for (const auto& s : defs.feature_services) names.push_back(s.name);
    throw NotFoundError(
        fmt::format("unknown feature service '{}'{}", name, Suggest(name, names, "services")));
  }
  return defs.ServiceFeatures(*service);
}

std::vector<FeatureRef> ResolveFeatureRefs(const RepoDefinition& defs,
                                           const std::vector<std::string>& refs) {
  std::vector<std::string> views;
  for (const auto& v : defs.feature_views) views.push_back(v.name);
  for (const auto& v : defs.on_demand_views) views.push_back(v.name);
  std::vector<FeatureRef> out;
  for (const std::string& ref : refs) {
    const size_t colon = ref.find(':');
    const std::string view = ref.substr(0, colon);
    if (!defs.FindFeatureView(view) && !defs.FindOnDemandView(view)) {
      throw NotFoundError(fmt::format("unknown feature view '{}' in '{}'{}", view, ref,
                                      Suggest(view, views, "views")));
    }
    const std::vector<std::string> names = defs.FeatureNames(view);
    if (colon == std::string::npos) {
      for (const std::string& f : names) out.push_back({view, f});
      continue;
    }
    const std::string feature = ref.substr(colon + 1);
    if (std::find(names.begin(), names.end(), feature) == names.end()) {
      throw NotFoundError(fmt::format("unknown feature '{}' of view '{}'{}", feature, view,
                                      Suggest(feature, names, "features")));
    }
    out.push_back({view, feature});
  }
  return out;
}

FeaturePlan PlanFeatures(const RepoDefinition& defs, std::vector<FeatureRef> features) {
  FeaturePlan plan;
  plan.features = std::move(features);
  // Every view the features reach, on-demand inputs included; feature views in first-use
  // order (the order of the entity keys).
  std::set<std::string> needed;
  std::vector<const FeatureViewDef*> first_use;
  std::function<void(const std::string&)> visit = [&](const std::string& v) {
    if (!needed.insert(v).second) return;
    if (const OnDemandViewDef* odv = defs.FindOnDemandView(v)) {
      for (const std::string& in : odv->inputs) visit(in);
    } else if (const FeatureViewDef* fv = defs.FindFeatureView(v)) {
      first_use.push_back(fv);
    }
  };
  for (const FeatureRef& r : plan.features) visit(r.view);
  for (const FeatureViewDef& fv : defs.feature_views) {
    if (needed.count(fv.name)) plan.views.push_back(fv.name);
  }
  // On-demand views: repeatedly the first (in definition order) whose inputs are all placed.
  std::set<std::string> placed;
  for (bool progress = true; progress;) {
    progress = false;
    for (const OnDemandViewDef& odv : defs.on_demand_views) {
      if (!needed.count(odv.name) || placed.count(odv.name)) continue;
      const bool ready = std::all_of(
          odv.inputs.begin(), odv.inputs.end(),
          [&](const std::string& in) { return defs.FindFeatureView(in) || placed.count(in); });
      if (!ready) continue;
      plan.on_demand_views.push_back(odv.name);
      placed.insert(odv.name);
      progress = true;
    }
  }
  for (const FeatureViewDef* fv : first_use) {
    const SourceDef* src = defs.FindSource(fv->source);
    for (const std::string& k : defs.JoinKeys(*fv)) {
      if (FindField(plan.entity_keys, k) >= 0) continue;
      plan.entity_keys.push_back({k, src->schema[FindField(src->schema, k)].type});
    }
  }
  for (const std::string& v : plan.on_demand_views) {
    for (const Field& f : defs.FindOnDemandView(v)->request) {
      if (FindField(plan.request_fields, f.name) < 0) plan.request_fields.push_back(f);
    }
  }
  return plan;
}

OnDemandFeatures::OnDemandFeatures(const RepoDefinition& defs) {
  for (const OnDemandViewDef& odv : defs.on_demand_views) {
    View& v = views_[odv.name];
    v.request = odv.request;
    Schema schema = odv.request;
    for (const std::string& in : odv.inputs) {
      const FeatureViewDef* fv = defs.FindFeatureView(in);
      const OnDemandViewDef* ov = defs.FindOnDemandView(in);
      for (const FeatureDef& f : fv ? fv->features : ov->features) {
        v.inputs.push_back(in + "." + f.name);
        schema.push_back({in + "." + f.name, f.type});
      }
    }
    for (const FeatureDef& f : odv.features) {
      v.names.push_back(f.name);
      v.exprs.push_back(expr::Expression::Compile(f.expr, schema, {f.loc.file, f.loc.line}));
    }
  }
}

std::vector<std::string> OnDemandFeatures::Inputs(const FeaturePlan& plan) const {
  std::set<std::string> inputs;
  for (const std::string& name : plan.on_demand_views) {
    for (const std::string& in : views_.at(name).inputs) {
      if (!views_.count(in.substr(0, in.find('.')))) inputs.insert(in);
    }
  }
  return {inputs.begin(), inputs.end()};
}

void OnDemandFeatures::Evaluate(const FeaturePlan& plan,
                                const std::map<std::string, Column>& request, size_t n,
                                std::map<std::string, Column>& values) const {
  for (const std::string& name : plan.on_demand_views) {
    const View& v = views_.at(name);
    Batch input;
    input.num_rows = n;
    for (const Field& f : v.request) input.AddColumn(f.name, request.at(f.name));
    for (const std::string& in : v.inputs) input.AddColumn(in, values.at(in));
    for (size_t f = 0; f < v.names.size(); ++f) {
      values[name + "." + v.names[f]] = v.exprs[f].Evaluate(input);
    }
  }
}

}  // namespace sluice::repo
