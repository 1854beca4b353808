// Bringing view records up to date with new source rows: the one routine behind
// `materialize` (rows of new segments) and `POST /push` (pushed rows).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "online/online_view.h"
#include "online/store.h"

namespace sluice::online {

struct UpdateStats {
  int64_t written = 0;      // records written
  int64_t rebuilt = 0;      // keys rebuilt from every row of their bucket
  int64_t late_dropped = 0; // rows not after their key's newest stored row, with no rebuild
};

// Records of the keys in `rows` (the view's source columns with sequences, one bucket, any
// order) brought up to date; their encodings are appended to `puts`.
//   read_stored: false when the store holds nothing of this view version (a full rebuild);
//   all_rows: every row of the bucket (the new ones included), for keys whose new rows are not
//     all after the stored newest row (late data, or a rerun after a crash). Empty (pushes
//     that reach only the online store): such rows cannot be placed exactly and are dropped,
//     counted in late_dropped, while the key's later rows are appended.
UpdateStats UpdateRecords(const OnlineView& view, Store& store, const Batch& rows,
                          bool read_stored, const std::function<Batch()>& all_rows,
                          std::vector<std::pair<std::string, std::string>>& puts);

}  // namespace sluice::online
