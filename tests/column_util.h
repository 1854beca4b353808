// Column builders for unit tests: std::nullopt is a null slot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sluice/column.h"

namespace sluice {

inline Column Ints(const std::vector<std::optional<int64_t>>& v,
                   DataType type = DataType::kInt64) {
  Column c(type);
  for (const auto& x : v) {
    if (!x) {
      c.AppendNull();
    } else if (type == DataType::kTimestamp) {
      c.Append(Value::Timestamp(*x));
    } else {
      c.Append(Value::Int(*x));
    }
  }
  return c;
}

inline Column Floats(const std::vector<std::optional<double>>& v) {
  Column c(DataType::kFloat64);
  for (const auto& x : v) x ? c.Append(Value::Float(*x)) : c.AppendNull();
  return c;
}

inline Column Strings(const std::vector<std::optional<std::string>>& v) {
  Column c(DataType::kString);
  for (const auto& x : v) x ? c.Append(Value::String(*x)) : c.AppendNull();
  return c;
}

inline Column Bools(const std::vector<std::optional<bool>>& v) {
  Column c(DataType::kBool);
  for (const auto& x : v) x ? c.Append(Value::Bool(*x)) : c.AppendNull();
  return c;
}

}  // namespace sluice
