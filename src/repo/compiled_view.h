// A checked feature view compiled for the feature engine: the one translation from YAML
// definitions to engine specs, shared by datasets and the online path so that both compute
// the same features the same way.
#pragma once

#include <vector>

#include "engine/point_in_time.h"
#include "repo/definitions.h"

namespace sluice::repo {

struct CompiledView {
  // Join keys, times, ttl, last-value expressions (spec.features) and windows (spec.windows).
  engine::LastValueSpec spec;
  // For view feature i: its column in engine::ComputeLastValues' output (last values first,
  // then windows), i.e. spec.features[column_of[i]] or spec.windows[column_of[i] - features].
  std::vector<size_t> column_of;
};

// Compiles `view` (checked at apply) against its source's schema. Throws InternalError if the
// view was not checked (an unknown aggregate or a missing window).
CompiledView CompileView(const RepoDefinition& defs, const FeatureViewDef& view);

}  // namespace sluice::repo
