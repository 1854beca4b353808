#include "online/serving.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <set>

#include "common/key.h"
#include "common/text.h"
#include "common/time.h"
#include "expr/expression.h"
#include "sluice/error.h"

namespace sluice::online {

struct FeatureServer::Impl {
  explicit Impl(const repo::RepoDefinition& defs) : on_demand(defs) {}
  std::map<std::string, std::unique_ptr<OnlineView>> views;  // by feature view name
  repo::OnDemandFeatures on_demand;
  std::map<std::string, FeaturePlan> services;  // by service name
};

FeatureServer::FeatureServer(repo::RepoDefinition defs, Store& store)
    : defs_(std::move(defs)), store_(store), impl_(std::make_unique<Impl>(defs_)) {
  for (const auto& fv : defs_.feature_views) {
    impl_->views.emplace(fv.name, std::make_unique<OnlineView>(defs_, fv));
  }
  for (const auto& svc : defs_.feature_services) {
    impl_->services.emplace(svc.name, repo::PlanFeatures(defs_, defs_.ServiceFeatures(svc)));
  }
}

FeatureServer::~FeatureServer() = default;

const FeaturePlan& FeatureServer::ServicePlan(const std::string& name) const {
  auto it = impl_->services.find(name);
  if (it == impl_->services.end()) repo::ResolveService(defs_, name);  // throws: unknown
  return it->second;
}

std::vector<repo::FeatureRef> FeatureServer::ResolveService(const std::string& name) const {
  return ServicePlan(name).features;
}

std::vector<repo::FeatureRef> FeatureServer::ResolveFeatures(
    const std::vector<std::string>& refs) const {
  return repo::ResolveFeatureRefs(defs_, refs);
}

FeaturePlan FeatureServer::Plan(std::vector<repo::FeatureRef> features) const {
  return repo::PlanFeatures(defs_, std::move(features));
}

OnlineResult FeatureServer::Get(const std::vector<repo::FeatureRef>& features,
                                const std::map<std::string, Column>& entities,
                                const std::map<std::string, Column>& request, Micros now,
                                bool full_feature_names) const {
  return Get(Plan(features), entities, request, now, full_feature_names);
}

OnlineResult FeatureServer::Get(const FeaturePlan& plan,
                                const std::map<std::string, Column>& entities,
                                const std::map<std::string, Column>& request, Micros now,
                                bool full_feature_names) const {
  const std::vector<repo::FeatureRef>& features = plan.features;
  const std::vector<std::string>& fvs = plan.views;
  const std::vector<std::string>& odvs = plan.on_demand_views;
  // Row count and types of the entity keys and request fields.
  size_t n = 0;
  bool have_n = false;
  auto check = [&](const std::map<std::string, Column>& given, const std::vector<Field>& need,
                   const char* kind) {
    for (const Field& f : need) {
      auto it = given.find(f.name);
      if (it == given.end()) {
        throw InputError(
            fmt::format("missing {} '{}' ({} {})", kind, f.name, TypeName(f.type), "expected"));
      }
      if (it->second.type != f.type) {
        throw InputError(fmt::format("{} '{}' must be {}, not {}", kind, f.name, TypeName(f.type),
                                     TypeName(it->second.type)));
      }
      if (have_n && it->second.size() != n) {
        throw InputError(fmt::format("{} '{}' has {} values, others have {}", kind, f.name,
                                     it->second.size(), n));
      }
      n = it->second.size();
      have_n = true;
    }
  };
  check(entities, plan.entity_keys, "entity key");
  check(request, plan.request_fields, "request field");

  // One MultiGet for every (view, entity row).
  std::vector<std::string> keys;
  std::vector<std::vector<int>> slot(fvs.size(), std::vector<int>(n, -1));
  std::string enc;
  for (size_t v = 0; v < fvs.size(); ++v) {
    const auto* fv = defs_.FindFeatureView(fvs[v]);
    std::vector<const Column*> cols;
    for (const std::string& k : defs_.JoinKeys(*fv)) cols.push_back(&entities.at(k));
    for (size_t r = 0; r < n; ++r) {
      bool null_key = false;
      for (const Column* c : cols) null_key |= c->IsNull(r);
      if (null_key) continue;
      enc.clear();
      AppendKeyEncoding(cols, r, enc);
      slot[v][r] = static_cast<int>(keys.size());
      keys.push_back(RecordKey(fvs[v], enc));
    }
  }
  const std::vector<std::optional<std::string>> stored =
      keys.empty() ? std::vector<std::optional<std::string>>{} : store_.MultiGet(keys);

  // Values by "view.feature", one per entity row.
  std::map<std::string, std::vector<FeatureValue>> values;
  std::vector<const std::string*> records(n);
  std::vector<std::vector<FeatureValue>> read;
  for (size_t v = 0; v < fvs.size(); ++v) {
    const OnlineView& view = *impl_->views.at(fvs[v]);
    for (size_t r = 0; r < n; ++r) {
      const int s = slot[v][r];
      records[r] = s >= 0 && stored[s] ? &*stored[s] : nullptr;
    }
    view.Read(records, now, read);
    const auto& feats = view.def().features;
    for (size_t f = 0; f < feats.size(); ++f)
      values[fvs[v] + "." + feats[f].name] = std::move(read[f]);
  }
  if (!odvs.empty() && n > 0) {
    // On-demand features (repo/feature_plan.h) over the feature values they read, as columns.
    std::map<std::string, Column> columns;
    for (const std::string& name : impl_->on_demand.Inputs(plan)) {
      const std::vector<FeatureValue>& vals = values.at(name);
      Column c(vals[0].value.type);
      for (const FeatureValue& v : vals) c.Append(v.value);
      columns.emplace(name, std::move(c));
    }
    impl_->on_demand.Evaluate(plan, request, n, columns);
    for (const std::string& name : odvs) {
      for (const std::string& f : defs_.FeatureNames(name)) {
        const Column& col = columns.at(name + "." + f);
        std::vector<FeatureValue>& out = values[name + "." + f];
        out.resize(n);
        for (size_t r = 0; r < n; ++r) {
          out[r].value = col.Get(r);
          out[r].status = out[r].value.is_null ? Status::kNullValue : Status::kPresent;
        }
      }
    }
  } else {
    for (const std::string& name : odvs) {
      for (const std::string& f : defs_.FeatureNames(name)) values[name + "." + f];
    }
  }
  OnlineResult result;
  result.rows = n;
  for (const repo::FeatureRef& r : features) {
    result.feature_names.push_back(full_feature_names ? r.view + "__" + r.feature : r.feature);
    result.values.push_back(values.at(r.view + "." + r.feature));
  }
  return result;
}

namespace {

// JSON text written straight into one string: the response is the hot path's biggest
// allocation, and a document tree would cost one allocation per value.
void AppendJsonString(std::string_view v, std::string& out) {
  out += '"';
  for (const char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  out += '"';
}

void AppendDouble(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  const size_t start = out.size();
  fmt::format_to(std::back_inserter(out), "{}", d);
  // Keep floats floats ("5.0", as nlohmann::json writes them), so readers see the type.
  if (out.find_first_of(".e", start) == std::string::npos) out += ".0";
}

void AppendValue(const Value& v, std::string& out) {
  if (v.is_null) {
    out += "null";
    return;
  }
  switch (v.type) {
    case DataType::kInt64:
      fmt::format_to(std::back_inserter(out), "{}", v.i);
      return;
    case DataType::kFloat64:
      AppendDouble(v.d, out);
      return;
    case DataType::kBool:
      out += v.i != 0 ? "true" : "false";
      return;
    case DataType::kString:
      AppendJsonString(v.s, out);
      return;
    case DataType::kTimestamp:
      AppendJsonString(FormatTimestamp(v.i), out);
      return;
    case DataType::kFloat64List:
      out += '[';
      for (size_t i = 0; i < v.list.size(); ++i) {
        if (i) out += ',';
        AppendDouble(v.list[i], out);
      }
      out += ']';
      return;
  }
  out += "null";
}

}  // namespace

std::string FeastResponse(const OnlineResult& result, const std::vector<Field>& keys,
                          const std::map<std::string, Column>& entities) {
  std::string out;
  out.reserve(256 + result.rows * (keys.size() + result.feature_names.size()) * 48);
  out += R"({"metadata":{"feature_names":[)";
  bool first = true;
  for (const Field& k : keys) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(k.name, out);
  }
  for (const std::string& name : result.feature_names) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(name, out);
  }
  out += R"(]},"results":[)";
  // Event timestamps as text, per row: a view's features share their row's timestamp, so
  // each is formatted once, not once per feature.
  std::vector<std::pair<Micros, std::string>> ts_text(result.rows,
                                                      {0, '"' + FormatTimestamp(0) + '"'});
  // One column per key, then per feature: values, statuses, event timestamps.
  auto column = [&](auto value_of, auto status_of, auto ts_of) {
    out += R"({"values":[)";
    for (size_t r = 0; r < result.rows; ++r) {
      if (r) out += ',';
      value_of(r);
    }
    out += R"(],"statuses":[)";
    for (size_t r = 0; r < result.rows; ++r) {
      if (r) out += ',';
      out += '"';
      out += status_of(r);
      out += '"';
    }
    out += R"(],"event_timestamps":[)";
    for (size_t r = 0; r < result.rows; ++r) {
      if (r) out += ',';
      const Micros t = ts_of(r);
      if (t != ts_text[r].first) ts_text[r] = {t, '"' + FormatTimestamp(t) + '"'};
      out += ts_text[r].second;
    }
    out += "]}";
  };
  first = true;
  for (const Field& k : keys) {
    if (!first) out += ',';
    first = false;
    const Column& c = entities.at(k.name);
    column([&](size_t r) { AppendValue(c.Get(r), out); },
           [&c](size_t r) { return std::string_view(c.IsNull(r) ? "NULL_VALUE" : "PRESENT"); },
           [](size_t) { return Micros{0}; });
  }
  for (size_t f = 0; f < result.feature_names.size(); ++f) {
    if (!first) out += ',';
    first = false;
    const std::vector<FeatureValue>& vals = result.values[f];
    column([&](size_t r) { AppendValue(vals[r].value, out); },
           [&](size_t r) { return StatusName(vals[r].status); },
           [&](size_t r) { return vals[r].event_ts; });
  }
  out += "]}";
  return out;
}

}  // namespace sluice::online
