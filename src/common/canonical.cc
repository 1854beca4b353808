#include "common/canonical.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace sluice {
namespace {

void PutU64(std::string& buf, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);  // little-endian hosts only
  buf.append(b, 8);
}

void PutDouble(std::string& buf, double d) {
  if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  PutU64(buf, bits);
}

}  // namespace

void HashSchema(const Schema& schema, Sha256& h) {
  std::string buf;
  PutU64(buf, schema.size());
  for (const Field& f : schema) {
    PutU64(buf, f.name.size());
    buf += f.name;
    buf += static_cast<char>(f.type);
  }
  h.Update(buf);
}

void HashRows(const Batch& batch, size_t begin, size_t end, Sha256& h) {
  std::vector<const Column*> columns;
  for (const Column& c : batch.columns) columns.push_back(&c);
  HashRows(columns, begin, end, h);
}

void HashRows(const std::vector<const Column*>& columns, size_t begin, size_t end, Sha256& h) {
  std::string buf;
  buf.reserve(1 << 16);
  for (size_t r = begin; r < end; ++r) {
    for (const Column* column : columns) {
      const Column& c = *column;
      if (c.IsNull(r)) {
        buf += '\0';
        continue;
      }
      buf += '\1';
      switch (c.type) {
        case DataType::kInt64:
        case DataType::kTimestamp: PutU64(buf, static_cast<uint64_t>(c.i64[r])); break;
        case DataType::kBool: buf += static_cast<char>(c.i64[r] != 0); break;
        case DataType::kFloat64: PutDouble(buf, c.f64[r]); break;
        case DataType::kString:
          PutU64(buf, c.str[r].size());
          buf += c.str[r];
          break;
        case DataType::kFloat64List:
          PutU64(buf, c.list[r].size());
          for (double d : c.list[r]) PutDouble(buf, d);
          break;
      }
    }
    if (buf.size() > (1 << 16) - 1024) {
      h.Update(buf);
      buf.clear();
    }
  }
  h.Update(buf);
}

}  // namespace sluice
