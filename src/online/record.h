// The online state of one (feature view, entity key): a view record (docs/architecture.md,
// "The online path"). Plain data plus its portable byte encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/row_order.h"
#include "engine/window.h"
#include "sluice/types.h"

namespace sluice::online {

using engine::RowKey;
using engine::TileState;
using engine::WindowState;

struct ViewRecord {
  std::string view_version;
  bool has_row = false;
  RowKey newest;                   // the entity's newest row (when has_row)
  std::vector<Value> last_values;  // per last-value feature, evaluated on the newest row
  std::vector<WindowState> windows;

  std::string Encode() const;
  // Throws InputError("online record <what>: …") when `bytes` is not a record.
  static ViewRecord Decode(std::string_view bytes, const std::string& what);
};

// A record parsed in place: the version and tile states are views into the encoded bytes,
// which must outlive it. Serving parses every stored record of a request into one reused
// RecordView, so reading a record allocates nothing per tile. ViewRecord::Decode is Parse
// followed by a copy.
struct RecordView {
  using Window = engine::WindowStateView;
  std::string_view view_version;
  bool has_row = false;
  RowKey newest;
  std::vector<Value> last_values;
  std::vector<Window> windows;

  // Parses `bytes`, keeping the vectors' capacity. Throws InputError("online record <what>:
  // …") when `bytes` is not a record.
  void Parse(std::string_view bytes, std::string_view what);
};

// Value encoding used in records: u8 type, u8 null, payload.
void EncodeValue(const Value& v, std::string& out);
Value DecodeValue(std::string_view& in, const char* what);

}  // namespace sluice::online
