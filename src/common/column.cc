#include "sluice/column.h"

#include "sluice/error.h"

namespace sluice {

Column Column::Nulls(DataType t, size_t n) {
  Column c(t);
  c.Resize(n);
  return c;
}

void Column::Reserve(size_t n) {
  valid.reserve(n);
  switch (type) {
    case DataType::kFloat64: f64.reserve(n); break;
    case DataType::kString: str.reserve(n); break;
    case DataType::kFloat64List: list.reserve(n); break;
    default: i64.reserve(n); break;
  }
}

void Column::Resize(size_t n) {
  valid.resize(n, 0);
  switch (type) {
    case DataType::kFloat64: f64.resize(n, 0.0); break;
    case DataType::kString: str.resize(n); break;
    case DataType::kFloat64List: list.resize(n); break;
    default: i64.resize(n, 0); break;
  }
}

void Column::AppendNull() { Resize(size() + 1); }

void Column::Append(const Value& v) {
  if (v.is_null) {
    AppendNull();
    return;
  }
  if (v.type != type) {
    throw InternalError("Column::Append: value of type " + std::string(TypeName(v.type)) +
                        " into a column of type " + std::string(TypeName(type)));
  }
  valid.push_back(1);
  switch (type) {
    case DataType::kFloat64: f64.push_back(v.d); break;
    case DataType::kString: str.push_back(v.s); break;
    case DataType::kFloat64List: list.push_back(v.list); break;
    default: i64.push_back(v.i); break;
  }
}

void Column::AppendFrom(const Column& other, size_t row) {
  valid.push_back(other.valid[row]);
  switch (type) {
    case DataType::kFloat64: f64.push_back(other.f64[row]); break;
    case DataType::kString: str.push_back(other.str[row]); break;
    case DataType::kFloat64List: list.push_back(other.list[row]); break;
    default: i64.push_back(other.i64[row]); break;
  }
}

void Column::SetFrom(size_t row, const Column& other, size_t src_row) {
  valid[row] = other.valid[src_row];
  switch (type) {
    case DataType::kFloat64: f64[row] = other.f64[src_row]; break;
    case DataType::kString: str[row] = other.str[src_row]; break;
    case DataType::kFloat64List: list[row] = other.list[src_row]; break;
    default: i64[row] = other.i64[src_row]; break;
  }
}

Value Column::Get(size_t row) const {
  if (IsNull(row)) return Value::Null(type);
  Value v;
  v.type = type;
  v.is_null = false;
  switch (type) {
    case DataType::kFloat64: v.d = f64[row]; break;
    case DataType::kString: v.s = str[row]; break;
    case DataType::kFloat64List: v.list = list[row]; break;
    default: v.i = i64[row]; break;
  }
  return v;
}

namespace {
// out[i] = in[rows[i]], or a zero value for kNoRow.
template <typename T>
void GatherInto(const std::vector<T>& in, const std::vector<uint32_t>& rows, std::vector<T>& out) {
  out.resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] != Column::kNoRow) out[i] = in[rows[i]];
  }
}
}  // namespace

Column Column::Gather(const std::vector<uint32_t>& rows) const {
  Column out(type);
  out.valid.resize(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    out.valid[i] = rows[i] == kNoRow ? 0 : valid[rows[i]];
  }
  switch (type) {
    case DataType::kFloat64: GatherInto(f64, rows, out.f64); break;
    case DataType::kString: GatherInto(str, rows, out.str); break;
    case DataType::kFloat64List: GatherInto(list, rows, out.list); break;
    default: GatherInto(i64, rows, out.i64); break;
  }
  return out;
}

int FindField(const Schema& schema, std::string_view name) {
  for (size_t i = 0; i < schema.size(); ++i) {
    if (schema[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const Column& Batch::Get(std::string_view name) const {
  int i = Find(name);
  if (i < 0) throw InternalError("batch has no column '" + std::string(name) + "'");
  return columns[i];
}

void Batch::AddColumn(std::string name, Column column) {
  if (columns.empty()) num_rows = column.size();
  schema.push_back({std::move(name), column.type});
  columns.push_back(std::move(column));
}

Batch Batch::Gather(const std::vector<uint32_t>& rows) const {
  Batch out;
  for (size_t c = 0; c < columns.size(); ++c) {
    out.AddColumn(schema[c].name, columns[c].Gather(rows));
  }
  out.num_rows = rows.size();
  return out;
}

void Batch::Append(const Batch& other) {
  if (schema.empty()) {
    *this = other;
    return;
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    for (size_t r = 0; r < other.num_rows; ++r) columns[c].AppendFrom(other.columns[c], r);
  }
  num_rows += other.num_rows;
}

}  // namespace sluice
