#include "repo/compiled_view.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/aggregate.h"
#include "expr/expression.h"
#include "sluice/error.h"

namespace sluice::repo {

CompiledView CompileView(const RepoDefinition& defs, const FeatureViewDef& view) {
  const SourceDef& src = *defs.FindSource(view.source);
  CompiledView out;
  engine::LastValueSpec& spec = out.spec;
  spec.join_keys = defs.JoinKeys(view);
  spec.timestamp_field = src.timestamp_field;
  spec.created_timestamp_field = src.created_timestamp_field;
  spec.ttl_us = view.ttl_us;
  const size_t last_values = static_cast<size_t>(std::count_if(
      view.features.begin(), view.features.end(), [](const auto& f) { return f.aggregate.empty(); }));
  for (const FeatureDef& f : view.features) {
    const expr::TextPosition pos{f.loc.file, f.loc.line};
    if (f.aggregate.empty()) {
      out.column_of.push_back(spec.features.size());
      spec.features.push_back(expr::Expression::Compile(f.expr, src.schema, pos));
      continue;
    }
    engine::WindowFeature w;
    std::optional<DataType> input;
    if (!f.expr.empty()) {
      w.expr = expr::Expression::Compile(f.expr, src.schema, pos);
      input = w.expr->type();
    }
    if (!f.where.empty()) w.where = expr::Expression::Compile(f.where, src.schema, pos);
    w.fn = engine::MakeAggregate(f.aggregate, input);
    if (!w.fn || !f.window_us || !f.hop_us) {
      throw InternalError(fmt::format("feature '{}' of view '{}' was not checked at apply",
                                      f.name, view.name));
    }
    w.window_us = *f.window_us;
    w.hop_us = *f.hop_us;
    out.column_of.push_back(last_values + spec.windows.size());
    spec.windows.push_back(std::move(w));
  }
  return out;
}

}  // namespace sluice::repo
