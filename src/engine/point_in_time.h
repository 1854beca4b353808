// Point-in-time last-value features (SPEC §5.1): for entity key k at time t, the source row r
// with key k, ts_r <= t and (with a ttl) ts_r > t - ttl that is greatest by (ts_r, created_r,
// ingestion sequence); the feature is its expression evaluated on that row, null if no row
// qualifies. An entity row whose timestamp or any key is null gets nulls.
//
// Work is done one bucket at a time (bounded memory): entity rows and source rows of a bucket
// are sorted by (key, time) and merged in one linear pass; the chosen rows are then gathered
// and every expression is evaluated vectorised over them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/aggregate.h"
#include "engine/bucket_source.h"
#include "engine/window.h"
#include "expr/expression.h"
#include "sluice/column.h"

namespace sluice::engine {

// The features of one view over one source: last values (SPEC §5.1) and windows (§5.2).
struct LastValueSpec {
  std::vector<std::string> join_keys;   // source columns, in entity key order
  std::string timestamp_field;
  std::string created_timestamp_field;  // "" when the source has none
  std::optional<Micros> ttl_us;         // nullopt = unbounded (last values only)
  std::vector<expr::Expression> features;
  std::vector<WindowFeature> windows;
};

// Entity rows to compute features for: `keys[i]` holds join key i (same type as the source's
// column), `ts` the as-of time (timestamp column).
struct EntityRows {
  std::vector<const Column*> keys;
  const Column* ts = nullptr;
  size_t size() const { return ts->size(); }
};

// The source columns `spec` reads: join keys, times, the ingestion sequence (_seq) and every
// expression input, sorted, without duplicates.
std::vector<std::string> SourceColumns(const LastValueSpec& spec);

// One output column per spec.features[i], then one per spec.windows[i], aligned with
// `entities`. Entity rows with a null time or key get nulls throughout; otherwise a window
// over no rows is its function's empty value (count 0, sum 0, others null). Source rows are
// read, sorted and merged with the entity rows once per bucket for all features. `progress`,
// if set, is called with the fraction of buckets done.
std::vector<Column> ComputeLastValues(const LastValueSpec& spec, BucketSource& source,
                                      const EntityRows& entities,
                                      const std::function<void(double)>& progress = {});

}  // namespace sluice::engine
