// Columnar batches: the unit of work of the expression evaluator, the feature engine and I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/types.h"

namespace sluice {

// One typed column. Exactly one payload vector is used, chosen by `type`; it and `valid` have
// size() elements. A null slot holds a zero/empty payload (never garbage), so kernels may read
// it without branching.
struct Column {
  DataType type = DataType::kInt64;
  std::vector<uint8_t> valid;               // 1 = value present, 0 = null
  std::vector<int64_t> i64;                 // kInt64, kTimestamp, kBool (0/1)
  std::vector<double> f64;                  // kFloat64
  std::vector<std::string> str;             // kString
  std::vector<std::vector<double>> list;    // kFloat64List

  Column() = default;
  explicit Column(DataType t) : type(t) {}
  // A column of `n` nulls.
  static Column Nulls(DataType t, size_t n);

  size_t size() const { return valid.size(); }
  bool IsNull(size_t row) const { return valid[row] == 0; }
  void Reserve(size_t n);
  void Resize(size_t n);  // new slots are null
  void AppendNull();
  void Append(const Value& v);  // v.type must equal type (or v is null)
  // Appends row `row` of `other` (same type).
  void AppendFrom(const Column& other, size_t row);
  // Sets slot `row` (< size()) to row `src_row` of `other` (same type).
  void SetFrom(size_t row, const Column& other, size_t src_row);
  Value Get(size_t row) const;
  // Rows picked by `rows`; an index of kNoRow yields null.
  Column Gather(const std::vector<uint32_t>& rows) const;
  static constexpr uint32_t kNoRow = UINT32_MAX;
};

struct Field {
  std::string name;
  DataType type;
  bool operator==(const Field&) const = default;
};
using Schema = std::vector<Field>;

// Index of `name` in `schema`, or -1.
int FindField(const Schema& schema, std::string_view name);

// Named columns of equal length.
struct Batch {
  Schema schema;
  std::vector<Column> columns;
  size_t num_rows = 0;

  int Find(std::string_view name) const { return FindField(schema, name); }
  // The column named `name`; throws InternalError when absent.
  const Column& Get(std::string_view name) const;
  void AddColumn(std::string name, Column column);
  // The rows picked by `rows`, every column.
  Batch Gather(const std::vector<uint32_t>& rows) const;
  // Appends every row of `other` (same columns, same order); a batch with no columns yet
  // becomes a copy of `other`.
  void Append(const Batch& other);
};

}  // namespace sluice
