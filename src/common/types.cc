#include "sluice/types.h"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "common/time.h"

namespace sluice {

std::string_view TypeName(DataType type) {
  switch (type) {
    case DataType::kInt64: return "int64";
    case DataType::kFloat64: return "float64";
    case DataType::kBool: return "bool";
    case DataType::kString: return "string";
    case DataType::kTimestamp: return "timestamp";
    case DataType::kFloat64List: return "list<float64>";
  }
  return "?";
}

std::optional<DataType> ParseTypeName(std::string_view name) {
  for (DataType t : {DataType::kInt64, DataType::kFloat64, DataType::kBool, DataType::kString,
                     DataType::kTimestamp, DataType::kFloat64List}) {
    if (TypeName(t) == name) return t;
  }
  return std::nullopt;
}

namespace {
uint64_t DoubleBits(double d) {
  if (std::isnan(d)) d = std::numeric_limits<double>::quiet_NaN();
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}
}  // namespace

bool Value::operator==(const Value& o) const {
  if (type != o.type || is_null != o.is_null) return false;
  if (is_null) return true;
  switch (type) {
    case DataType::kInt64:
    case DataType::kTimestamp:
    case DataType::kBool: return i == o.i;
    case DataType::kFloat64: return DoubleBits(d) == DoubleBits(o.d);
    case DataType::kString: return s == o.s;
    case DataType::kFloat64List:
      if (list.size() != o.list.size()) return false;
      for (size_t k = 0; k < list.size(); ++k) {
        if (DoubleBits(list[k]) != DoubleBits(o.list[k])) return false;
      }
      return true;
  }
  return false;
}

std::string Value::ToString() const {
  if (is_null) return "null";
  switch (type) {
    case DataType::kInt64: return std::to_string(i);
    case DataType::kTimestamp: return FormatTimestamp(i);
    case DataType::kBool: return i ? "true" : "false";
    case DataType::kFloat64: return fmt::format("{}", d);
    case DataType::kString: return s;
    case DataType::kFloat64List: return fmt::format("[{}]", fmt::join(list, ", "));
  }
  return "?";
}

}  // namespace sluice
