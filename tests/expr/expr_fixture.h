// Shared by the expression tests: one input schema with a column of every type, and helpers that
// evaluate a text on one row through both evaluators (and insist they agree).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "expr/expression.h"
#include "sluice/error.h"
#include "test_util.h"

namespace sluice::expr {

inline const Schema kSchema = {
    {"i", DataType::kInt64},
    {"j", DataType::kInt64},
    {"x", DataType::kFloat64},
    {"y", DataType::kFloat64},
    {"b", DataType::kBool},
    {"c", DataType::kBool},
    {"d", DataType::kBool},
    {"s", DataType::kString},
    {"u", DataType::kString},
    {"t", DataType::kTimestamp},
    {"t2", DataType::kTimestamp},
    {"e", DataType::kFloat64List},
    {"amount", DataType::kFloat64},
    {"category", DataType::kString},
    {"user_txn.amount_sum_1h", DataType::kFloat64},
};

inline const Value kNullI = Value::Null(DataType::kInt64);
inline const Value kNullF = Value::Null(DataType::kFloat64);
inline const Value kNullB = Value::Null(DataType::kBool);
inline const Value kNullS = Value::Null(DataType::kString);

using Bindings = std::vector<std::pair<std::string, Value>>;

// Evaluates `text` on one row where the columns named in `bindings` hold the given values and
// every other column is null. Evaluates the same row as a one-row batch too and fails the test
// when the two evaluators disagree; returns the single-row result.
inline Value Eval(const std::string& text, const Bindings& bindings = {}) {
  std::vector<Value> row;
  for (const Field& f : kSchema) row.push_back(Value::Null(f.type));
  for (const auto& [name, v] : bindings) {
    const int at = FindField(kSchema, name);
    if (at < 0) {
      ADD_FAILURE() << "test binds unknown column " << name;
      continue;
    }
    row[at] = v;
  }
  const Expression e = Expression::Compile(text, kSchema, {"features.yaml", 7});
  const Value from_row = e.EvaluateRow(row);
  Batch batch;
  for (size_t k = 0; k < kSchema.size(); ++k) {
    Column col(kSchema[k].type);
    col.Append(row[k]);
    batch.AddColumn(kSchema[k].name, std::move(col));
  }
  const Column out = e.Evaluate(batch);
  EXPECT_EQ(out.type, e.type()) << text;
  EXPECT_EQ(out.size(), 1u) << text;
  if (out.size() == 1) {
    EXPECT_EQ(out.Get(0), from_row) << "batch and row disagree on " << text;
  }
  EXPECT_EQ(from_row.type, e.type()) << text;
  return from_row;
}

// Result type of `text` compiled against kSchema.
inline DataType TypeOf(const std::string& text) {
  return Expression::Compile(text, kSchema, {"features.yaml", 7}).type();
}

// The DefinitionError Compile throws for `text` (a test failure when it throws none).
inline DefinitionError CompileError(const std::string& text,
                                    const TextPosition& pos = {"defs/features.yaml", 42}) {
  try {
    Expression::Compile(text, kSchema, pos);
  } catch (const DefinitionError& e) {
    return e;
  }
  ADD_FAILURE() << "Compile accepted " << text;
  return DefinitionError("", 0, "", "");
}

// True when `text` contains `part`; for EXPECT_TRUE with a readable message.
inline ::testing::AssertionResult HasSubstr(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" lacks \"" << part << "\"";
}

}  // namespace sluice::expr
