// Expressions (SPEC §5.3): parsed and type-checked against columns of every type, then
// evaluated on a batch (nulls, zero, negatives, extremes) and row by row; both evaluations
// must agree.
#include <cmath>
#include <limits>

#include "expr/expression.h"
#include "fuzz_util.h"
#include "sluice/error.h"

using namespace sluice;

namespace {

Batch Rows() {
  Batch b;
  Column i(DataType::kInt64), f(DataType::kFloat64), s(DataType::kString), t(DataType::kTimestamp),
      x(DataType::kBool), l(DataType::kFloat64List);
  const int64_t ints[] = {0, -1, std::numeric_limits<int64_t>::max(),
                          std::numeric_limits<int64_t>::min(), 7};
  const double floats[] = {0.0, -2.5, std::numeric_limits<double>::infinity(), 1e308, NAN};
  const char* texts[] = {"", "abc", "ÄÖ€", "x y", "12"};
  for (int r = 0; r < 5; ++r) {
    const bool null = r == 4;
    i.Append(null ? Value::Null(DataType::kInt64) : Value::Int(ints[r]));
    f.Append(null ? Value::Null(DataType::kFloat64) : Value::Float(floats[r]));
    s.Append(null ? Value::Null(DataType::kString) : Value::String(texts[r]));
    t.Append(null ? Value::Null(DataType::kTimestamp) : Value::Timestamp(ints[r] / 2));
    x.Append(null ? Value::Null(DataType::kBool) : Value::Bool(r % 2 == 0));
    l.Append(null ? Value::Null(DataType::kFloat64List) : Value::List({1.0, -1.0, floats[r]}));
  }
  b.AddColumn("i", std::move(i));
  b.AddColumn("f", std::move(f));
  b.AddColumn("s", std::move(s));
  b.AddColumn("t", std::move(t));
  b.AddColumn("x", std::move(x));
  b.AddColumn("l", std::move(l));
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Batch rows = Rows();
  try {
    const expr::Expression e =
        expr::Expression::Compile(fuzz::AsText(data, size), rows.schema, {"fuzz", 1});
    const Column batch = e.Evaluate(rows);
    if (batch.size() != rows.num_rows) __builtin_trap();
    for (size_t r = 0; r < rows.num_rows; ++r) {
      std::vector<Value> row;
      for (const Column& c : rows.columns) row.push_back(c.Get(r));
      const Value one = e.EvaluateRow(row);
      // Batch and row evaluation are one semantics (Value equality normalises NaN).
      if (!(one == batch.Get(r))) __builtin_trap();
    }
  } catch (const Error&) {
  }
  return 0;
}
