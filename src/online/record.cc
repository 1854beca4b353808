#include "online/record.h"

#include <fmt/format.h>

#include "common/bytes.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

constexpr uint8_t kFormat = 1;

}  // namespace

void EncodeValue(const Value& v, std::string& out) {
  PutRaw<uint8_t>(out, static_cast<uint8_t>(v.type));
  PutRaw<uint8_t>(out, v.is_null ? 1 : 0);
  if (v.is_null) return;
  switch (v.type) {
    case DataType::kFloat64:
      PutRaw(out, v.d);
      break;
    case DataType::kString:
      PutBytes(out, v.s);
      break;
    case DataType::kFloat64List:
      PutRaw(out, static_cast<uint32_t>(v.list.size()));
      for (double x : v.list) PutRaw(out, x);
      break;
    default:
      PutRaw(out, v.i);
      break;
  }
}

Value DecodeValue(std::string_view& in, const char* what) {
  const auto type = TakeRaw<uint8_t>(in, what);
  if (type > static_cast<uint8_t>(DataType::kFloat64List)) {
    throw InputError(fmt::format("{}: unknown value type {}", what, type));
  }
  Value v = Value::Null(static_cast<DataType>(type));
  if (TakeRaw<uint8_t>(in, what) != 0) return v;
  v.is_null = false;
  switch (v.type) {
    case DataType::kFloat64:
      v.d = TakeRaw<double>(in, what);
      break;
    case DataType::kString:
      v.s = std::string(TakeBytes(in, what));
      break;
    case DataType::kFloat64List: {
      const auto n = TakeRaw<uint32_t>(in, what);
      if (n > in.size() / 8) throw InputError(fmt::format("{}: truncated encoding", what));
      v.list.resize(n);
      for (double& x : v.list) x = TakeRaw<double>(in, what);
      break;
    }
    default:
      v.i = TakeRaw<int64_t>(in, what);
      break;
  }
  return v;
}

std::string ViewRecord::Encode() const {
  std::string out;
  PutRaw<uint8_t>(out, kFormat);
  PutBytes(out, view_version);
  PutRaw<uint8_t>(out, has_row ? 1 : 0);
  if (has_row) {
    PutRaw(out, newest.ts);
    PutRaw<uint8_t>(out, newest.has_created ? 1 : 0);
    PutRaw(out, newest.created);
    PutRaw(out, newest.seq);
  }
  PutRaw(out, static_cast<uint32_t>(last_values.size()));
  for (const Value& v : last_values) EncodeValue(v, out);
  PutRaw(out, static_cast<uint32_t>(windows.size()));
  for (const WindowState& w : windows) {
    const bool tiles = !w.tiles.empty() || w.rows.empty();
    PutRaw<uint8_t>(out, tiles ? 1 : 0);
    if (tiles) {
      PutRaw(out, static_cast<uint32_t>(w.tiles.size()));
      for (const TileState& t : w.tiles) {
        PutRaw(out, t.tile);
        PutBytes(out, t.state);
      }
    } else {
      PutRaw(out, static_cast<uint32_t>(w.rows.size()));
      for (const auto& [ts, v] : w.rows) {
        PutRaw(out, ts);
        EncodeValue(v, out);
      }
    }
  }
  return out;
}

namespace {

// The parser proper; its errors read ": …" and Parse prefixes "online record <what>".
void ParseRecord(std::string_view in, RecordView& r) {
  const char* w = "";
  const auto format = TakeRaw<uint8_t>(in, w);
  if (format != kFormat) {
    throw InputError(fmt::format(": unknown format {} (this sluice reads {})", format, kFormat));
  }
  r.view_version = TakeBytes(in, w);
  r.has_row = TakeRaw<uint8_t>(in, w) != 0;
  r.newest = RowKey{};
  if (r.has_row) {
    r.newest.ts = TakeRaw<Micros>(in, w);
    r.newest.has_created = TakeRaw<uint8_t>(in, w) != 0;
    r.newest.created = TakeRaw<Micros>(in, w);
    r.newest.seq = TakeRaw<int64_t>(in, w);
  }
  const auto nl = TakeRaw<uint32_t>(in, w);
  if (nl > in.size() / 2) throw InputError(": truncated encoding");
  r.last_values.clear();
  for (uint32_t i = 0; i < nl; ++i) r.last_values.push_back(DecodeValue(in, w));
  const auto nw = TakeRaw<uint32_t>(in, w);
  if (nw > in.size() / 5) throw InputError(": truncated encoding");
  r.windows.resize(nw);
  for (RecordView::Window& ws : r.windows) {
    ws.tiles.clear();
    ws.rows.clear();
    const bool tiles = TakeRaw<uint8_t>(in, w) != 0;
    const auto n = TakeRaw<uint32_t>(in, w);
    if (n > in.size() / 10) throw InputError(": truncated encoding");
    for (uint32_t i = 0; i < n; ++i) {
      if (tiles) {
        const auto tile = TakeRaw<int64_t>(in, w);
        ws.tiles.emplace_back(tile, TakeBytes(in, w));
      } else {
        const Micros ts = TakeRaw<Micros>(in, w);
        ws.rows.emplace_back(ts, DecodeValue(in, w));
      }
    }
  }
  if (!in.empty()) throw InputError(fmt::format(": {} trailing bytes", in.size()));
}

}  // namespace

void RecordView::Parse(std::string_view bytes, std::string_view what) {
  try {
    ParseRecord(bytes, *this);
  } catch (const InputError& e) {
    throw InputError(fmt::format("online record {}{}", what, e.what()));
  }
}

ViewRecord ViewRecord::Decode(std::string_view in, const std::string& what_name) {
  RecordView v;
  v.Parse(in, what_name);
  ViewRecord r;
  r.view_version = std::string(v.view_version);
  r.has_row = v.has_row;
  r.newest = v.newest;
  r.last_values = std::move(v.last_values);
  r.windows.resize(v.windows.size());
  for (size_t k = 0; k < v.windows.size(); ++k) {
    for (const auto& [tile, state] : v.windows[k].tiles) {
      r.windows[k].tiles.push_back({tile, std::string(state)});
    }
    r.windows[k].rows = std::move(v.windows[k].rows);
  }
  return r;
}

}  // namespace sluice::online
