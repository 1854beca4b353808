// Value types shared by every layer of sluice.
//
// Time is int64 microseconds since the Unix epoch, UTC, everywhere inside sluice; conversion
// happens only at the edges (files, CLI, HTTP).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Microseconds since 1970-01-01T00:00:00Z.
using Micros = int64_t;

// The column and feature types of SPEC §3.
enum class DataType : uint8_t {
  kInt64,
  kFloat64,
  kBool,
  kString,
  kTimestamp,     // Micros, UTC
  kFloat64List,   // list<float64>, for embeddings
};

// "int64", "float64", "bool", "string", "timestamp", "list<float64>".
std::string_view TypeName(DataType type);
// Inverse of TypeName; nullopt for an unknown name.
std::optional<DataType> ParseTypeName(std::string_view name);
// True for int64 and float64 (the types arithmetic accepts).
inline bool IsNumeric(DataType t) { return t == DataType::kInt64 || t == DataType::kFloat64; }

// One scalar of any DataType, or null. A small value type used on the single-row path
// (serving, tests); batch paths use Column.
struct Value {
  DataType type = DataType::kInt64;
  bool is_null = true;
  int64_t i = 0;             // kInt64, kTimestamp, kBool (0/1)
  double d = 0;              // kFloat64
  std::string s;             // kString
  std::vector<double> list;  // kFloat64List

  static Value Null(DataType t) { return Value{t, true, 0, 0, {}, {}}; }
  static Value Int(int64_t v) { return Value{DataType::kInt64, false, v, 0, {}, {}}; }
  static Value Float(double v) { return Value{DataType::kFloat64, false, 0, v, {}, {}}; }
  static Value Bool(bool v) { return Value{DataType::kBool, false, v ? 1 : 0, 0, {}, {}}; }
  static Value String(std::string v) { return Value{DataType::kString, false, 0, 0, std::move(v), {}}; }
  static Value Timestamp(Micros v) { return Value{DataType::kTimestamp, false, v, 0, {}, {}}; }
  static Value List(std::vector<double> v) {
    return Value{DataType::kFloat64List, false, 0, 0, {}, std::move(v)};
  }
  // Equal type, nullness and payload; float64 compares bit patterns after normalising NaN,
  // so that Value equality is the equality the dataset content hash sees.
  bool operator==(const Value& other) const;
  // Human-readable rendering: "null", 42, 1.5, "text", 2024-01-01T00:00:00Z, [1, 2].
  std::string ToString() const;
};

}  // namespace sluice
