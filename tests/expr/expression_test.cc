#include "expr/expression.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>
#include <random>

#include "sluice/error.h"
#include "test_util.h"

namespace sluice::expr {
namespace {

const Schema kSchema = {{"i", DataType::kInt64},     {"j", DataType::kInt64},
                        {"x", DataType::kFloat64},   {"y", DataType::kFloat64},
                        {"b", DataType::kBool},      {"c", DataType::kBool},
                        {"s", DataType::kString},    {"t", DataType::kTimestamp},
                        {"e", DataType::kFloat64List}, {"v.f", DataType::kFloat64}};

// Evaluates `text` on one row given as (column, value) pairs; other columns are null.
Value Eval(const std::string& text, std::vector<std::pair<std::string, Value>> values = {}) {
  std::vector<Value> row;
  for (const Field& f : kSchema) row.push_back(Value::Null(f.type));
  for (auto& [name, v] : values) row[FindField(kSchema, name)] = v;
  return Expression::Compile(text, kSchema, {"f.yaml", 7}).EvaluateRow(row);
}

DefinitionError CompileError(const std::string& text) {
  try {
    Expression::Compile(text, kSchema, {"defs/f.yaml", 42});
  } catch (const DefinitionError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << text;
  return DefinitionError("", 0, "", "");
}

const Value kNullF = Value::Null(DataType::kFloat64);
const Value kNullI = Value::Null(DataType::kInt64);
const Value kNullB = Value::Null(DataType::kBool);
const Value kNullS = Value::Null(DataType::kString);

TEST(Arithmetic, PrecedenceAndTypes) {
  EXPECT_EQ(Eval("1 + 2 * 3"), Value::Int(7));
  EXPECT_EQ(Eval("(1 + 2) * 3"), Value::Int(9));
  EXPECT_EQ(Eval("7 / 2"), Value::Float(3.5));  // `/` is always float64
  EXPECT_EQ(Eval("7 % 3"), Value::Int(1));
  EXPECT_EQ(Eval("-7 % 3"), Value::Int(-1));  // sign of the dividend
  EXPECT_EQ(Eval("i + x", {{"i", Value::Int(2)}, {"x", Value::Float(0.5)}}), Value::Float(2.5));
  EXPECT_EQ(Eval("-i", {{"i", Value::Int(5)}}), Value::Int(-5));
  EXPECT_EQ(Eval("2 - -3"), Value::Int(5));
  EXPECT_EQ(Eval("5.5 % 2"), Value::Float(1.5));
  EXPECT_EQ(Expression::Compile("i * 2", kSchema, {}).type(), DataType::kInt64);
  EXPECT_EQ(Expression::Compile("i / 2", kSchema, {}).type(), DataType::kFloat64);
}

TEST(Arithmetic, DivisionByZeroOverflowAndNanAreNull) {
  EXPECT_EQ(Eval("i / 0", {{"i", Value::Int(1)}}), kNullF);
  EXPECT_EQ(Eval("i % 0", {{"i", Value::Int(1)}}), kNullI);
  EXPECT_EQ(Eval("x / 0.0", {{"x", Value::Float(1)}}), kNullF);
  EXPECT_EQ(Eval("x % 0.0", {{"x", Value::Float(1)}}), kNullF);
  EXPECT_EQ(Eval("i + 1", {{"i", Value::Int(INT64_MAX)}}), kNullI);
  EXPECT_EQ(Eval("i * 2", {{"i", Value::Int(INT64_MIN)}}), kNullI);
  EXPECT_EQ(Eval("-i", {{"i", Value::Int(INT64_MIN)}}), kNullI);
  EXPECT_EQ(Eval("i % -1", {{"i", Value::Int(INT64_MIN)}}), Value::Int(0));
  EXPECT_EQ(Eval("x - y", {{"x", Value::Float(INFINITY)}, {"y", Value::Float(INFINITY)}}), kNullF);
  EXPECT_EQ(Eval("i + 1"), kNullI);  // null in, null out
}

TEST(Comparison, AcrossTypes) {
  EXPECT_EQ(Eval("i < x", {{"i", Value::Int(1)}, {"x", Value::Float(1.5)}}), Value::Bool(true));
  EXPECT_EQ(Eval("i == j", {{"i", Value::Int(3)}, {"j", Value::Int(3)}}), Value::Bool(true));
  EXPECT_EQ(Eval("i = 3", {{"i", Value::Int(3)}}), Value::Bool(true));
  EXPECT_EQ(Eval("i <> 3", {{"i", Value::Int(3)}}), Value::Bool(false));
  EXPECT_EQ(Eval("s >= 'b'", {{"s", Value::String("ba")}}), Value::Bool(true));
  EXPECT_EQ(Eval("s < 'B'", {{"s", Value::String("a")}}), Value::Bool(false));  // bytewise
  EXPECT_EQ(Eval("t > t", {{"t", Value::Timestamp(5)}}), Value::Bool(false));
  EXPECT_EQ(Eval("b != c", {{"b", Value::Bool(true)}, {"c", Value::Bool(false)}}), Value::Bool(true));
  EXPECT_EQ(Eval("i > 1"), kNullB);
  EXPECT_EQ(CompileError("s == 1").message(),
            "type mismatch: cannot compare 's' (string) with 1 (int64) in expression \"s == 1\"");
}

TEST(Logic, ThreeValuedTruthTable) {
  const std::vector<std::pair<std::string, Value>> vals = {
      {"true", Value::Bool(true)}, {"false", Value::Bool(false)}, {"null", kNullB}};
  // Expected per (a, b) for and / or, rows a, columns b in the order true, false, null.
  const std::string and_table[3][3] = {{"true", "false", "null"},
                                       {"false", "false", "false"},
                                       {"null", "false", "null"}};
  const std::string or_table[3][3] = {{"true", "true", "true"},
                                      {"true", "false", "null"},
                                      {"true", "null", "null"}};
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      const std::vector<std::pair<std::string, Value>> row = {{"b", vals[a].second},
                                                              {"c", vals[b].second}};
      EXPECT_EQ(Eval("b and c", row).ToString(), and_table[a][b]) << a << " and " << b;
      EXPECT_EQ(Eval("b or c", row).ToString(), or_table[a][b]) << a << " or " << b;
    }
  }
  EXPECT_EQ(Eval("not b", {{"b", Value::Bool(true)}}), Value::Bool(false));
  EXPECT_EQ(Eval("not b"), kNullB);
  EXPECT_EQ(Eval("not true and false"), Value::Bool(false));  // (not true) and false
  EXPECT_EQ(Eval("true or true and false"), Value::Bool(true));  // and binds tighter
}

TEST(Logic, IsNullIsNeverNull) {
  EXPECT_EQ(Eval("x is null"), Value::Bool(true));
  EXPECT_EQ(Eval("x is not null"), Value::Bool(false));
  EXPECT_EQ(Eval("x IS NOT NULL", {{"x", Value::Float(1)}}), Value::Bool(true));
  EXPECT_EQ(Eval("i + 1 is null", {{"i", Value::Int(1)}}), Value::Bool(false));
}

TEST(Functions, ConditionalsAndMath) {
  EXPECT_EQ(Eval("if(b, 1, 2.5)", {{"b", Value::Bool(true)}}), Value::Float(1.0));
  EXPECT_EQ(Eval("if(b, 1, 2)"), Value::Int(2));  // null condition takes the else branch
  EXPECT_EQ(Eval("coalesce(x, y, 3)", {{"y", Value::Float(2)}}), Value::Float(2));
  EXPECT_EQ(Eval("coalesce(x, 3)"), Value::Float(3));
  EXPECT_EQ(Eval("coalesce(i, null)"), kNullI);
  EXPECT_EQ(Eval("abs(i)", {{"i", Value::Int(-4)}}), Value::Int(4));
  EXPECT_EQ(Eval("abs(i)", {{"i", Value::Int(INT64_MIN)}}), kNullI);
  EXPECT_EQ(Eval("abs(x)", {{"x", Value::Float(-1.5)}}), Value::Float(1.5));
  EXPECT_EQ(Eval("log(x)", {{"x", Value::Float(1)}}), Value::Float(0));
  EXPECT_EQ(Eval("log(x)", {{"x", Value::Float(0)}}), kNullF);
  EXPECT_EQ(Eval("log1p(x)", {{"x", Value::Float(0)}}), Value::Float(0));
  EXPECT_EQ(Eval("log1p(x)", {{"x", Value::Float(-1)}}), kNullF);
  EXPECT_EQ(Eval("exp(0)"), Value::Float(1));
  EXPECT_EQ(Eval("sqrt(16)"), Value::Float(4));
  EXPECT_EQ(Eval("sqrt(-1)"), kNullF);
  EXPECT_EQ(Eval("pow(2, 10)"), Value::Float(1024));
  EXPECT_EQ(Eval("floor(-1.5)"), Value::Float(-2));
  EXPECT_EQ(Eval("ceil(1.2)"), Value::Float(2));
  EXPECT_EQ(Eval("round(2.5)"), Value::Float(3));
  EXPECT_EQ(Eval("round(-2.5)"), Value::Float(-3));
  EXPECT_EQ(Eval("round(1.234, 2)"), Value::Float(1.23));
  EXPECT_EQ(Eval("clamp(i, 0, 10)", {{"i", Value::Int(12)}}), Value::Int(10));
  EXPECT_EQ(Eval("clamp(x, 0, 1)", {{"x", Value::Float(-0.5)}}), Value::Float(0));
  EXPECT_EQ(Eval("sqrt(x)"), kNullF);
}

TEST(Functions, Strings) {
  const std::vector<std::pair<std::string, Value>> row = {{"s", Value::String("Hello")}};
  EXPECT_EQ(Eval("lower(s)", row), Value::String("hello"));
  EXPECT_EQ(Eval("upper(s)", row), Value::String("HELLO"));
  EXPECT_EQ(Eval("length(s)", row), Value::Int(5));
  EXPECT_EQ(Eval("length(e)", {{"e", Value::List({1, 2, 3})}}), Value::Int(3));
  EXPECT_EQ(Eval("concat(s, ', ', 'you')", row), Value::String("Hello, you"));
  EXPECT_EQ(Eval("concat(s, s)"), kNullS);
  EXPECT_EQ(Eval("substr(s, 2, 3)", row), Value::String("ell"));
  EXPECT_EQ(Eval("substr(s, 0, 2)", row), Value::String("He"));  // start < 1 is 1
  EXPECT_EQ(Eval("substr(s, 4)", row), Value::String("lo"));
  EXPECT_EQ(Eval("substr(s, 9)", row), Value::String(""));
  EXPECT_EQ(Eval("substr(s, 1, -1)", row), kNullS);
  EXPECT_EQ(Eval("contains(s, 'ell')", row), Value::Bool(true));
  EXPECT_EQ(Eval("starts_with(s, 'he')", row), Value::Bool(false));
  EXPECT_EQ(Eval("s == \"Hello\"", row), Value::Bool(true));
  EXPECT_EQ(Eval("'it\\'s'"), Value::String("it's"));
}

TEST(Functions, HashBucketIsXxh64OfCanonicalBytes) {
  const int64_t k = 123456789;
  char bytes[8];
  std::memcpy(bytes, &k, 8);
  const int64_t want_int = static_cast<int64_t>(XXH64(bytes, 8, 0) % 100);
  EXPECT_EQ(Eval("hash_bucket(i, 100)", {{"i", Value::Int(k)}}), Value::Int(want_int));
  const int64_t want_str = static_cast<int64_t>(XXH64("user-7", 6, 0) % 7);
  EXPECT_EQ(Eval("hash_bucket(s, 7)", {{"s", Value::String("user-7")}}), Value::Int(want_str));
  EXPECT_EQ(Eval("hash_bucket(i, 7)"), kNullI);
  EXPECT_NE(CompileError("hash_bucket(i, j)").message().find("positive integer literal"),
            std::string::npos);
  EXPECT_NE(CompileError("hash_bucket(i, 0)").message().find("positive integer literal"),
            std::string::npos);
}

TEST(Functions, TimeInUtcIncludingNegativeTimes) {
  // 1970-01-01 was a Thursday: day_of_week 3 with 0 = Monday.
  EXPECT_EQ(Eval("day_of_week(t)", {{"t", Value::Timestamp(0)}}), Value::Int(3));
  EXPECT_EQ(Eval("day_of_week(t)", {{"t", Value::Timestamp(-1)}}), Value::Int(2));
  EXPECT_EQ(Eval("hour(t)", {{"t", Value::Timestamp(-1)}}), Value::Int(23));
  EXPECT_EQ(Eval("epoch_seconds(t)", {{"t", Value::Timestamp(-1)}}), Value::Int(-1));
  // 2026-11-25T13:45:00Z is a Wednesday.
  const Micros t = 1795614300LL * 1000000;
  EXPECT_EQ(Eval("hour(t)", {{"t", Value::Timestamp(t)}}), Value::Int(13));
  EXPECT_EQ(Eval("day_of_week(t)", {{"t", Value::Timestamp(t)}}), Value::Int(2));
  EXPECT_EQ(Eval("epoch_seconds(t)", {{"t", Value::Timestamp(t + 999999)}}), Value::Int(1795614300));
}

TEST(Compile, ErrorsNameWhatAndWhere) {
  DefinitionError e = CompileError("log1p(amout)");
  EXPECT_EQ(e.file(), "defs/f.yaml");
  EXPECT_EQ(e.line(), 42);
  EXPECT_EQ(e.message(), "unknown column 'amout' in expression \"log1p(amout)\"");
  e = CompileError("lgo(x)");
  EXPECT_EQ(e.message(), "unknown function 'lgo' in expression \"lgo(x)\"");
  EXPECT_EQ(e.hint(), "did you mean 'log'?");
  e = CompileError("pow(x)");
  EXPECT_EQ(e.message(), "pow() takes 2 argument(s), got 1 in expression \"pow(x)\"");
  e = CompileError("s + 1");
  EXPECT_NE(e.message().find("type mismatch: 's' is string but '+' needs numbers"),
            std::string::npos)
      << e.message();
  EXPECT_NE(CompileError("x +").message().find("unexpected end of expression"), std::string::npos);
  EXPECT_NE(CompileError("(x").message().find("unexpected end"), std::string::npos);
  EXPECT_NE(CompileError("x )").message().find("unexpected ')' at offset 2"), std::string::npos);
  EXPECT_NE(CompileError("'open").message().find("unterminated string"), std::string::npos);
  EXPECT_NE(CompileError("null").message().find("cannot infer the type"), std::string::npos);
  EXPECT_NE(CompileError("if(i, 1, 2)").message().find("argument 1 of if() is int64"),
            std::string::npos);
  EXPECT_NE(CompileError("x and b").message().find("needs bools"), std::string::npos);
  EXPECT_NE(std::string(CompileError("x # 1").what()).find("defs/f.yaml:42: "), std::string::npos);
}

TEST(Compile, ColumnsAreSortedUniqueAndDottedNamesAreOneColumn) {
  const Expression e = Expression::Compile("y + x * v.f + x", kSchema, {});
  EXPECT_EQ(e.columns(), (std::vector<std::string>{"v.f", "x", "y"}));
  EXPECT_EQ(Eval("v.f * 2", {{"v.f", Value::Float(1.5)}}), Value::Float(3));
  EXPECT_EQ(Eval("`v.f` + 1", {{"v.f", Value::Float(1)}}), Value::Float(2));
}

TEST(Evaluate, BatchColumnsByNameInAnyOrderWithExtras) {
  const Expression e = Expression::Compile("i * 10 + j", kSchema, {});
  Batch b;
  Column extra(DataType::kString), j(DataType::kInt64), i(DataType::kInt64);
  for (int r = 0; r < 3; ++r) {
    extra.Append(Value::String("x"));
    j.Append(Value::Int(r));
    i.Append(r == 1 ? Value::Null(DataType::kInt64) : Value::Int(r + 1));
  }
  b.AddColumn("extra", extra);
  b.AddColumn("j", j);
  b.AddColumn("i", i);
  const Column out = e.Evaluate(b);
  EXPECT_EQ(out.Get(0), Value::Int(10));
  EXPECT_EQ(out.Get(1), kNullI);
  EXPECT_EQ(out.Get(2), Value::Int(32));
}

// The vectorised and the row evaluator agree on every row of random data with nulls.
TEST(Evaluate, BatchAndRowPathsAgreeOnRandomData) {
  const std::vector<std::string> exprs = {
      "i + j", "i - j * 3", "i / j", "i % j", "x * y - 1", "x / y", "x % y", "-x", "-i",
      "i < j", "x >= y", "i == x", "s < 'm'", "t > t", "b and c", "b or c", "not b",
      "x is null", "s is not null", "if(b, i, j)", "if(c, x, i)", "coalesce(x, y, 0.5)",
      "coalesce(i, j)", "abs(i)", "log(x)", "log1p(y)", "exp(x / 100)", "sqrt(x)", "pow(x, 0.5)",
      "floor(x)", "ceil(y)", "round(x, 1)", "clamp(i, -5, 5)", "clamp(x, 0, 1)", "lower(s)",
      "upper(s)", "length(s)", "concat(s, '-', s)", "substr(s, 2, 2)", "contains(s, 'a')",
      "starts_with(s, 'b')", "hash_bucket(s, 13)", "hash_bucket(i, 5)", "hour(t)",
      "day_of_week(t)", "epoch_seconds(t)", "length(e)", "v.f + x"};
  std::mt19937_64 rng(42);
  const size_t n = 400;
  Batch batch;
  for (const Field& f : kSchema) batch.AddColumn(f.name, Column(f.type));
  const std::vector<std::string> words = {"", "a", "banana", "Berry", "cab", "zeta"};
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < kSchema.size(); ++c) {
      Column& col = batch.columns[c];
      if (rng() % 6 == 0) {
        col.AppendNull();
        continue;
      }
      switch (col.type) {
        case DataType::kInt64: col.Append(Value::Int(static_cast<int64_t>(rng() % 21) - 10)); break;
        case DataType::kFloat64:
          col.Append(Value::Float(static_cast<double>(static_cast<int64_t>(rng() % 41) - 20) / 4));
          break;
        case DataType::kBool: col.Append(Value::Bool(rng() % 2)); break;
        case DataType::kString: col.Append(Value::String(words[rng() % words.size()])); break;
        case DataType::kTimestamp:
          col.Append(Value::Timestamp(static_cast<int64_t>(rng() % 2000000000000LL) - 1000000000000LL));
          break;
        case DataType::kFloat64List:
          col.Append(Value::List(std::vector<double>(rng() % 4, 1.0)));
          break;
      }
    }
  }
  batch.num_rows = n;
  for (const std::string& text : exprs) {
    const Expression e = Expression::Compile(text, kSchema, {});
    const Column out = e.Evaluate(batch);
    ASSERT_EQ(out.size(), n) << text;
    ASSERT_EQ(out.type, e.type()) << text;
    for (size_t r = 0; r < n; ++r) {
      std::vector<Value> row;
      for (const Column& c : batch.columns) row.push_back(c.Get(r));
      ASSERT_EQ(out.Get(r), e.EvaluateRow(row)) << text << " row " << r;
    }
  }
}

}  // namespace
}  // namespace sluice::expr
