// The online state of one (feature view, entity key): a view record (docs/architecture.md,
// "The online path"). Plain data plus its portable byte encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/types.h"

namespace sluice::online {

// A row's place in the shared row order (SPEC §5.1): ts, then created (null first), then seq.
struct RowKey {
  Micros ts = 0;
  bool has_created = false;
  Micros created = 0;
  int64_t seq = 0;
  // -1, 0, 1.
  int Compare(const RowKey& other) const;
};

struct TileState {
  int64_t tile = 0;   // floor(ts / hop)
  std::string state;  // AggregateFunction::Serialize
};

// One window feature's stored partials: tiles (hop > 0) or qualifying rows (hop 0).
struct WindowState {
  std::vector<TileState> tiles;                 // ascending tile
  std::vector<std::pair<Micros, Value>> rows;   // (ts, expr value; null type for row counts)
};

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
  struct Window {
    std::vector<std::pair<int64_t, std::string_view>> tiles;  // (tile, serialized state)
    std::vector<std::pair<Micros, Value>> rows;
  };
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
