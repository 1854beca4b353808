// The typed expression language of SPEC §5.3: parsed and type-checked once (at `apply`),
// evaluated vectorised over column batches (datasets, materialisation) and on single rows
// (serving). Both entry points share the same scalar kernels, so they agree to the bit.
//
// Thread-safety: an Expression is immutable after Compile; Evaluate and EvaluateRow may be
// called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/column.h"
#include "sluice/types.h"

namespace sluice::expr {

// Where an expression's text stands, for error messages.
struct TextPosition {
  std::string file;
  int line = 0;
};

struct Node;  // AST, private to src/expr

class Expression {
 public:
  // Parses `text` and checks it against `input` (the columns it may reference, with types).
  // Throws DefinitionError(pos.file, pos.line, …) naming the offending token or column, with a
  // one-line hint, on a syntax error, unknown column/function, wrong arity or type mismatch.
  static Expression Compile(std::string_view text, const Schema& input, const TextPosition& pos);

  // Result type of the expression.
  DataType type() const { return type_; }
  // The text it was compiled from.
  const std::string& text() const { return text_; }
  // Names of the input columns it references, sorted, without duplicates.
  const std::vector<std::string>& columns() const { return columns_; }
  // The column's name when the expression is one bare column reference (callers may then read
  // the column instead of evaluating a copy of it), else nullptr.
  const std::string* bare_column() const;

  // Evaluates on every row of `batch`, which must contain each referenced column with the type
  // it had at Compile (by name; other columns are ignored). Returns batch.num_rows values.
  // Throws InternalError when a referenced column is missing or has another type.
  Column Evaluate(const Batch& batch) const;

  // Evaluates on one row. `row[i]` is the value of `input[i]` of the Schema given to Compile
  // (nulls allowed); it must have exactly input.size() elements.
  Value EvaluateRow(const std::vector<Value>& row) const;

  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  Expression(const Expression&);
  Expression& operator=(const Expression&);
  ~Expression();

 private:
  Expression() = default;
  std::shared_ptr<const Node> root_;  // immutable once compiled; shared by copies
  DataType type_ = DataType::kInt64;
  std::string text_;
  std::vector<std::string> columns_;
  Schema input_;  // the schema given to Compile; Node column indices point into it
};

}  // namespace sluice::expr
