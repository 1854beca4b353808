// Compile (parse + type-check) and the two evaluators of the expression language.
//
// Semantics (docs/guide.md has the user-facing version):
// - int64 op int64 → int64 for + - * %; `/` is always float64; a float64 operand makes the
//   other one float64. Division/modulo by zero, int64 overflow and NaN results are null.
// - Comparisons need comparable types (numbers with numbers, strings, timestamps, bools).
// - and/or/not follow SQL three-valued logic; `is [not] null` is never null; if() takes the
//   else branch on a null condition; coalesce() returns the first non-null argument; every
//   other operator and function is null when any argument is null.
#include "expr/expression.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/text.h"
#include "expr/functions.h"
#include "expr/kernels.h"
#include "expr/syntax.h"
#include "sluice/error.h"

namespace sluice::expr {

namespace {

const char* OpText(Op op) {
  switch (op) {
    case Op::kAdd: return "+";
    case Op::kSub: return "-";
    case Op::kMul: return "*";
    case Op::kDiv: return "/";
    case Op::kMod: return "%";
    case Op::kEq: return "==";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kAnd: return "and";
    case Op::kOr: return "or";
    case Op::kNot: return "not";
    case Op::kNeg: return "-";
    default: return "?";
  }
}

bool IsArith(Op op) {
  return op == Op::kAdd || op == Op::kSub || op == Op::kMul || op == Op::kDiv || op == Op::kMod;
}

std::string Describe(const Node& n) {
  if (n.op == Op::kColumn) return "'" + n.name + "'";
  if (n.op == Op::kLiteral) return n.literal.type == DataType::kString ? "'" + n.literal.s + "'" : n.literal.ToString();
  if (n.op == Op::kCall) return n.name + "()";
  return "the operand";
}


// Raised inside the checker; Compile turns it into a DefinitionError.
struct CheckError {
  std::string message;
  std::string hint;
};

class Checker {
 public:
  explicit Checker(const Schema& input) : input_(input) {}

  // Types `n` and below. A null literal stays kNullLiteral with no settled type; parents unify.
  void Check(Node& n) {
    for (auto& a : n.args) Check(*a);
    switch (n.op) {
      case Op::kLiteral: n.type = n.literal.type; return;
      case Op::kNullLiteral: return;
      case Op::kColumn: {
        n.column = FindField(input_, n.name);
        if (n.column < 0) {
          std::vector<std::string> names;
          for (const Field& f : input_) names.push_back(f.name);
          const std::string near = ClosestName(n.name, names);
          throw CheckError{fmt::format("unknown column '{}'", n.name),
                           near.empty() ? fmt::format("columns available: {}", fmt::join(names, ", "))
                                        : "did you mean '" + near + "'?"};
        }
        n.type = input_[n.column].type;
        return;
      }
      case Op::kToFloat: n.type = DataType::kFloat64; return;
      case Op::kNeg: {
        Node& a = *n.args[0];
        if (a.op == Op::kNullLiteral) a.type = DataType::kInt64;
        else if (!IsNumeric(a.type)) TypeError(n, a, "a number");
        n.type = a.type;
        return;
      }
      case Op::kNot: {
        Node& a = *n.args[0];
        if (a.op == Op::kNullLiteral) a.type = DataType::kBool;
        else if (a.type != DataType::kBool) TypeError(n, a, "a bool");
        n.type = DataType::kBool;
        return;
      }
      case Op::kAnd:
      case Op::kOr:
        for (auto& a : n.args) {
          if (a->op == Op::kNullLiteral) a->type = DataType::kBool;
          else if (a->type != DataType::kBool) TypeError(n, *a, "bools");
        }
        n.type = DataType::kBool;
        return;
      case Op::kIsNull:
      case Op::kIsNotNull:
        if (n.args[0]->op == Op::kNullLiteral) n.args[0]->type = DataType::kInt64;
        n.type = DataType::kBool;
        return;
      case Op::kCall: {
        n.function = FindFunction(n.name);
        if (n.function < 0) {
          const std::string near = ClosestName(n.name, FunctionNames());
          throw CheckError{fmt::format("unknown function '{}'", n.name),
                           near.empty() ? "see docs/guide.md for the functions"
                                        : "did you mean '" + near + "'?"};
        }
        try {
          n.type = CheckCall(n);
        } catch (const SyntaxError& e) {
          throw CheckError{e.message, "see docs/guide.md for the functions and their types"};
        }
        return;
      }
      default: break;
    }
    // Binary arithmetic and comparisons.
    Node& l = *n.args[0];
    Node& r = *n.args[1];
    const bool ln = l.op == Op::kNullLiteral, rn = r.op == Op::kNullLiteral;
    if (ln && rn) {
      l.type = r.type = DataType::kInt64;
    } else if (ln) {
      l.type = r.type;
    } else if (rn) {
      r.type = l.type;
    }
    if (IsArith(n.op)) {
      if (!IsNumeric(l.type)) TypeError(n, l, "numbers");
      if (!IsNumeric(r.type)) TypeError(n, r, "numbers");
      DataType t = (l.type == DataType::kFloat64 || r.type == DataType::kFloat64 || n.op == Op::kDiv)
                       ? DataType::kFloat64
                       : DataType::kInt64;
      if (t == DataType::kFloat64) {
        if (l.type == DataType::kInt64) PromoteToFloat(n.args[0]);
        if (r.type == DataType::kInt64) PromoteToFloat(n.args[1]);
      }
      n.type = t;
      return;
    }
    // Comparisons.
    if (IsNumeric(l.type) && IsNumeric(r.type)) {
      if (l.type != r.type) {
        if (l.type == DataType::kInt64) PromoteToFloat(n.args[0]);
        if (r.type == DataType::kInt64) PromoteToFloat(n.args[1]);
      }
    } else if (l.type != r.type || l.type == DataType::kFloat64List) {
      throw CheckError{fmt::format("type mismatch: cannot compare {} ({}) with {} ({})",
                                   Describe(l), TypeName(l.type), Describe(r), TypeName(r.type)),
                       "compare values of the same type"};
    }
    n.type = DataType::kBool;
  }

 private:
  [[noreturn]] void TypeError(const Node& op, const Node& operand, const char* want) {
    throw CheckError{fmt::format("type mismatch: {} is {} but '{}' needs {}", Describe(operand),
                                 operand.op == Op::kNullLiteral ? "null" : TypeName(operand.type),
                                 OpText(op.op), want),
                     "convert or compare it first, e.g. if(x, 1, 0) for a bool"};
  }

  const Schema& input_;
};

void CollectColumns(const Node& n, std::vector<std::string>& out) {
  if (n.op == Op::kColumn) out.push_back(n.name);
  for (const auto& a : n.args) CollectColumns(*a, out);
}

// ---- Row evaluation ----------------------------------------------------------------------

Value EvalRow(const Node& n, const std::vector<Value>& row) {
  switch (n.op) {
    case Op::kLiteral: return n.literal;
    case Op::kNullLiteral: return Value::Null(n.type);
    case Op::kColumn: {
      const Value& v = row[n.column];
      return v.is_null ? Value::Null(n.type) : v;
    }
    case Op::kToFloat: {
      Value v = EvalRow(*n.args[0], row);
      return v.is_null ? Value::Null(DataType::kFloat64) : Value::Float(ToFloat(v.i));
    }
    case Op::kNeg: {
      Value v = EvalRow(*n.args[0], row);
      if (v.is_null) return Value::Null(n.type);
      if (n.type == DataType::kInt64) {
        int64_t out;
        return ArithInt(Op::kSub, 0, v.i, out) ? Value::Int(out) : Value::Null(n.type);
      }
      return Value::Float(-v.d);
    }
    case Op::kNot: {
      Value v = EvalRow(*n.args[0], row);
      return v.is_null ? Value::Null(DataType::kBool) : Value::Bool(!v.i);
    }
    case Op::kAnd:
    case Op::kOr: {
      const Value a = EvalRow(*n.args[0], row), b = EvalRow(*n.args[1], row);
      const bool dominant = n.op == Op::kOr;  // true dominates or, false dominates and
      if ((!a.is_null && (a.i != 0) == dominant) || (!b.is_null && (b.i != 0) == dominant)) {
        return Value::Bool(dominant);
      }
      if (a.is_null || b.is_null) return Value::Null(DataType::kBool);
      return Value::Bool(!dominant);
    }
    case Op::kIsNull: return Value::Bool(EvalRow(*n.args[0], row).is_null);
    case Op::kIsNotNull: return Value::Bool(!EvalRow(*n.args[0], row).is_null);
    case Op::kCall: {
      std::vector<Value> args;
      args.reserve(n.args.size());
      for (const auto& a : n.args) args.push_back(EvalRow(*a, row));
      Value v = CallFunction(FunctionAt(n.function), args);
      return v.is_null ? Value::Null(n.type) : v;
    }
    default: break;
  }
  const Value a = EvalRow(*n.args[0], row), b = EvalRow(*n.args[1], row);
  if (a.is_null || b.is_null) return Value::Null(n.type);
  if (IsArith(n.op)) {
    if (n.type == DataType::kInt64) {
      int64_t out;
      return ArithInt(n.op, a.i, b.i, out) ? Value::Int(out) : Value::Null(n.type);
    }
    double out;
    return ArithFloat(n.op, a.d, b.d, out) ? Value::Float(out) : Value::Null(n.type);
  }
  switch (a.type) {
    case DataType::kFloat64: return Value::Bool(Compare(n.op, a.d, b.d));
    case DataType::kString: return Value::Bool(Compare(n.op, a.s, b.s));
    default: return Value::Bool(Compare(n.op, a.i, b.i));
  }
}

// ---- Vectorised evaluation ---------------------------------------------------------------

class BatchEvaluator {
 public:
  BatchEvaluator(const Batch& batch, const std::vector<int>& columns)
      : batch_(batch), columns_(columns), n_(batch.num_rows) {}

  Column Eval(const Node& n) {
    switch (n.op) {
      case Op::kLiteral: {
        Column c(n.type);
        c.Reserve(n_);
        for (size_t i = 0; i < n_; ++i) c.Append(n.literal);
        return c;
      }
      case Op::kNullLiteral: return Column::Nulls(n.type, n_);
      case Op::kColumn: return batch_.columns[columns_[n.column]];
      case Op::kToFloat: {
        Column a = Eval(*n.args[0]);
        Column c(DataType::kFloat64);
        c.valid = std::move(a.valid);
        c.f64.resize(n_);
        for (size_t i = 0; i < n_; ++i) c.f64[i] = ToFloat(a.i64[i]);
        return c;
      }
      case Op::kNot: {
        Column a = Eval(*n.args[0]);
        for (size_t i = 0; i < n_; ++i) a.i64[i] = a.valid[i] ? !a.i64[i] : 0;
        return a;
      }
      case Op::kIsNull:
      case Op::kIsNotNull: {
        Column a = Eval(*n.args[0]);
        Column c(DataType::kBool);
        c.valid.assign(n_, 1);
        c.i64.resize(n_);
        for (size_t i = 0; i < n_; ++i) c.i64[i] = (a.valid[i] == 0) == (n.op == Op::kIsNull);
        return c;
      }
      case Op::kAnd:
      case Op::kOr: {
        Column a = Eval(*n.args[0]);
        const Column b = Eval(*n.args[1]);
        const int64_t dominant = n.op == Op::kOr;
        for (size_t i = 0; i < n_; ++i) {
          const bool ad = a.valid[i] && (a.i64[i] != 0) == dominant;
          const bool bd = b.valid[i] && (b.i64[i] != 0) == dominant;
          if (ad || bd) {
            a.valid[i] = 1;
            a.i64[i] = dominant;
          } else if (!a.valid[i] || !b.valid[i]) {
            a.valid[i] = 0;
            a.i64[i] = 0;
          } else {
            a.i64[i] = !dominant;
          }
        }
        return a;
      }
      case Op::kNeg:
      case Op::kCall: return EvalPerRow(n);
      default: break;
    }
    const Column a = Eval(*n.args[0]);
    const Column b = Eval(*n.args[1]);
    Column c(n.type);
    c.valid.resize(n_);
    if (IsArith(n.op)) {
      if (n.type == DataType::kInt64) {
        c.i64.resize(n_);
        for (size_t i = 0; i < n_; ++i) {
          c.valid[i] = a.valid[i] && b.valid[i] && ArithInt(n.op, a.i64[i], b.i64[i], c.i64[i]);
          if (!c.valid[i]) c.i64[i] = 0;
        }
      } else {
        c.f64.resize(n_);
        for (size_t i = 0; i < n_; ++i) {
          c.valid[i] = a.valid[i] && b.valid[i] && ArithFloat(n.op, a.f64[i], b.f64[i], c.f64[i]);
          if (!c.valid[i]) c.f64[i] = 0;
        }
      }
      return c;
    }
    c.i64.resize(n_);
    for (size_t i = 0; i < n_; ++i) {
      c.valid[i] = a.valid[i] && b.valid[i];
      if (!c.valid[i]) continue;
      switch (a.type) {
        case DataType::kFloat64: c.i64[i] = Compare(n.op, a.f64[i], b.f64[i]); break;
        case DataType::kString: c.i64[i] = Compare(n.op, a.str[i], b.str[i]); break;
        default: c.i64[i] = Compare(n.op, a.i64[i], b.i64[i]); break;
      }
    }
    return c;
  }

 private:
  // Operators without a dedicated loop: evaluate the arguments as columns, then apply the row
  // semantics per row (the same code as EvaluateRow, so both paths agree).
  Column EvalPerRow(const Node& n) {
    std::vector<Column> args;
    for (const auto& a : n.args) args.push_back(Eval(*a));
    Column c(n.type);
    c.Reserve(n_);
    std::vector<Value> values(args.size());
    for (size_t i = 0; i < n_; ++i) {
      for (size_t k = 0; k < args.size(); ++k) values[k] = args[k].Get(i);
      Value v;
      if (n.op == Op::kNeg) {
        if (values[0].is_null) {
          v = Value::Null(n.type);
        } else if (n.type == DataType::kInt64) {
          int64_t out;
          v = ArithInt(Op::kSub, 0, values[0].i, out) ? Value::Int(out) : Value::Null(n.type);
        } else {
          v = Value::Float(-values[0].d);
        }
      } else {
        v = CallFunction(FunctionAt(n.function), values);
      }
      if (v.is_null) {
        c.AppendNull();
      } else {
        c.Append(v);
      }
    }
    return c;
  }

  const Batch& batch_;
  const std::vector<int>& columns_;
  size_t n_;
};

}  // namespace

Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::Expression(const Expression&) = default;
Expression& Expression::operator=(const Expression&) = default;
Expression::~Expression() = default;

Expression Expression::Compile(std::string_view text, const Schema& input, const TextPosition& pos) {
  Expression e;
  e.text_ = std::string(text);
  try {
    std::shared_ptr<Node> root = Parse(text);
    Checker(input).Check(*root);
    if (root->op == Op::kNullLiteral) {
      throw CheckError{"cannot infer the type of a bare null", "write a typed expression"};
    }
    e.type_ = root->type;
    e.root_ = root;
    e.input_ = input;
  } catch (const SyntaxError& err) {
    throw DefinitionError(pos.file, pos.line,
                          fmt::format("{} in expression \"{}\"", err.message, text),
                          "check the syntax: operators + - * / % == != < <= > >= and or not");
  } catch (const CheckError& err) {
    throw DefinitionError(pos.file, pos.line,
                          fmt::format("{} in expression \"{}\"", err.message, text), err.hint);
  }
  CollectColumns(*e.root_, e.columns_);
  std::sort(e.columns_.begin(), e.columns_.end());
  e.columns_.erase(std::unique(e.columns_.begin(), e.columns_.end()), e.columns_.end());
  return e;
}

const std::string* Expression::bare_column() const {
  return root_->op == Op::kColumn ? &root_->name : nullptr;
}

Column Expression::Evaluate(const Batch& batch) const {
  // Map input-schema positions to this batch's columns.
  std::vector<int> columns(input_.size(), -1);
  for (const std::string& name : columns_) {
    const int in = FindField(input_, name);
    const int at = batch.Find(name);
    if (at < 0 || batch.schema[at].type != input_[in].type) {
      throw InternalError(fmt::format("expression \"{}\": batch lacks column '{}' of type {}", text_,
                                      name, TypeName(input_[in].type)));
    }
    columns[in] = at;
  }
  return BatchEvaluator(batch, columns).Eval(*root_);
}

Value Expression::EvaluateRow(const std::vector<Value>& row) const {
  if (row.size() != input_.size()) {
    throw InternalError(fmt::format("expression \"{}\": row has {} values, schema {}", text_,
                                    row.size(), input_.size()));
  }
  return EvalRow(*root_, row);
}

}  // namespace sluice::expr
