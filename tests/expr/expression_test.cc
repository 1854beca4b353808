// Operators, three-valued logic, type checking, referenced columns and batch evaluation of the
// expression language (SPEC §5.3, docs/guide.md "Expressions"). Precedence, literals and syntax
// errors: syntax_test.cc; functions: functions_test.cc.
#include "expr/expression.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "expr_fixture.h"

namespace sluice::expr {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- Arithmetic --------------------------------------------------------------------------

TEST(Arithmetic, IntOpIntStaysInt64) {
  EXPECT_EQ(Eval("i + j", {{"i", Value::Int(7)}, {"j", Value::Int(3)}}), Value::Int(10));
  EXPECT_EQ(Eval("i - j", {{"i", Value::Int(7)}, {"j", Value::Int(10)}}), Value::Int(-3));
  EXPECT_EQ(Eval("i * j", {{"i", Value::Int(6)}, {"j", Value::Int(7)}}), Value::Int(42));
  EXPECT_EQ(Eval("i % j", {{"i", Value::Int(7)}, {"j", Value::Int(3)}}), Value::Int(1));
  for (const char* op : {"+", "-", "*", "%"}) {
    EXPECT_EQ(TypeOf(std::string("i ") + op + " j"), DataType::kInt64) << op;
  }
}

TEST(Arithmetic, FloatOperandPromotesTheOtherToFloat64) {
  EXPECT_EQ(Eval("i + x", {{"i", Value::Int(2)}, {"x", Value::Float(0.5)}}), Value::Float(2.5));
  EXPECT_EQ(Eval("x - i", {{"i", Value::Int(2)}, {"x", Value::Float(0.5)}}), Value::Float(-1.5));
  EXPECT_EQ(Eval("i * 0.5", {{"i", Value::Int(3)}}), Value::Float(1.5));
  EXPECT_EQ(Eval("5.5 % i", {{"i", Value::Int(2)}}), Value::Float(1.5));
  EXPECT_EQ(Eval("1 + 1.0"), Value::Float(2.0));  // float64 even when the value is whole
  for (const char* op : {"+", "-", "*", "/", "%"}) {
    EXPECT_EQ(TypeOf(std::string("i ") + op + " x"), DataType::kFloat64) << op;
    EXPECT_EQ(TypeOf(std::string("x ") + op + " i"), DataType::kFloat64) << op;
  }
}

TEST(Arithmetic, DivisionIsAlwaysFloat64) {
  EXPECT_EQ(Eval("7 / 2"), Value::Float(3.5));
  EXPECT_EQ(Eval("-7 / 2"), Value::Float(-3.5));
  EXPECT_EQ(Eval("6 / 3"), Value::Float(2.0));
  EXPECT_EQ(Eval("i / j", {{"i", Value::Int(1)}, {"j", Value::Int(4)}}), Value::Float(0.25));
  EXPECT_EQ(TypeOf("i / j"), DataType::kFloat64);
}

TEST(Arithmetic, ModuloTakesTheSignOfTheDividend) {
  EXPECT_EQ(Eval("7 % 3"), Value::Int(1));
  EXPECT_EQ(Eval("-7 % 3"), Value::Int(-1));
  EXPECT_EQ(Eval("7 % -3"), Value::Int(1));
  EXPECT_EQ(Eval("-7 % -3"), Value::Int(-1));
  EXPECT_EQ(Eval("6 % 3"), Value::Int(0));
  EXPECT_EQ(Eval("-5.5 % 2"), Value::Float(-1.5));
  EXPECT_EQ(Eval("5.5 % -2"), Value::Float(1.5));
}

TEST(Arithmetic, Int64MinModuloMinusOneIsZero) {
  EXPECT_EQ(Eval("i % j", {{"i", Value::Int(INT64_MIN)}, {"j", Value::Int(-1)}}), Value::Int(0));
  EXPECT_EQ(Eval("i % -1", {{"i", Value::Int(INT64_MIN)}}), Value::Int(0));
  EXPECT_EQ(Eval("i % 3", {{"i", Value::Int(INT64_MIN)}}),
            Value::Int(-2));  // -9223372036854775808 = -3074457345618258602 * 3 - 2
}

TEST(Arithmetic, Int64OverflowIsNull) {
  EXPECT_EQ(Eval("i + 1", {{"i", Value::Int(INT64_MAX)}}), kNullI);
  EXPECT_EQ(Eval("i - 1", {{"i", Value::Int(INT64_MIN)}}), kNullI);
  EXPECT_EQ(Eval("i * 2", {{"i", Value::Int(INT64_MAX)}}), kNullI);
  EXPECT_EQ(Eval("i * -1", {{"i", Value::Int(INT64_MIN)}}), kNullI);
  EXPECT_EQ(Eval("i * j", {{"i", Value::Int(3037000500)}, {"j", Value::Int(3037000500)}}), kNullI);
  EXPECT_EQ(Eval("-i", {{"i", Value::Int(INT64_MIN)}}), kNullI);
  // The edges themselves are representable.
  EXPECT_EQ(Eval("i + 0", {{"i", Value::Int(INT64_MAX)}}), Value::Int(INT64_MAX));
  EXPECT_EQ(Eval("i - 1", {{"i", Value::Int(INT64_MIN + 1)}}), Value::Int(INT64_MIN));
  EXPECT_EQ(Eval("-i", {{"i", Value::Int(INT64_MAX)}}), Value::Int(INT64_MIN + 1));
  EXPECT_EQ(Eval("i * j", {{"i", Value::Int(3037000499)}, {"j", Value::Int(3037000499)}}),
            Value::Int(9223372030926249001));
  EXPECT_EQ(Eval("9223372036854775807"), Value::Int(INT64_MAX));
  EXPECT_EQ(Eval("-9223372036854775807 - 1"), Value::Int(INT64_MIN));
}

TEST(Arithmetic, DivisionByZeroIsNullForIntAndFloat) {
  EXPECT_EQ(Eval("i / 0", {{"i", Value::Int(1)}}), kNullF);
  EXPECT_EQ(Eval("i / j", {{"i", Value::Int(0)}, {"j", Value::Int(0)}}), kNullF);
  EXPECT_EQ(Eval("i % 0", {{"i", Value::Int(1)}}), kNullI);
  EXPECT_EQ(Eval("x / 0.0", {{"x", Value::Float(1)}}), kNullF);
  EXPECT_EQ(Eval("x / y", {{"x", Value::Float(-1)}, {"y", Value::Float(-0.0)}}), kNullF);
  EXPECT_EQ(Eval("x / 0", {{"x", Value::Float(2)}}), kNullF);
  EXPECT_EQ(Eval("x % 0.0", {{"x", Value::Float(1)}}), kNullF);
  EXPECT_EQ(Eval("x % i", {{"x", Value::Float(1)}, {"i", Value::Int(0)}}), kNullF);
}

TEST(Arithmetic, NanResultIsNullButInfinityIsAValue) {
  const Bindings inf = {{"x", Value::Float(kInf)}, {"y", Value::Float(kInf)}};
  EXPECT_EQ(Eval("x - y", inf), kNullF);
  EXPECT_EQ(Eval("x * 0", inf), kNullF);
  EXPECT_EQ(Eval("x % 2", inf), kNullF);
  EXPECT_EQ(Eval("x + y", inf), Value::Float(kInf));
}

TEST(Arithmetic, NullOperandGivesNullOfTheResultType) {
  const Bindings one = {{"j", Value::Int(1)}, {"y", Value::Float(1)}};
  EXPECT_EQ(Eval("i + j", one), kNullI);
  EXPECT_EQ(Eval("j - i", one), kNullI);
  EXPECT_EQ(Eval("i * j", one), kNullI);
  EXPECT_EQ(Eval("i / j", one), kNullF);
  EXPECT_EQ(Eval("j % i", one), kNullI);
  EXPECT_EQ(Eval("x + y", one), kNullF);
  EXPECT_EQ(Eval("y / x", one), kNullF);
  EXPECT_EQ(Eval("-i"), kNullI);
  EXPECT_EQ(Eval("-x"), kNullF);
  EXPECT_EQ(Eval("j + null", one), kNullI);
  EXPECT_EQ(Eval("null * y", one), kNullF);
  EXPECT_EQ(Eval("j / null", one), kNullF);
}

// ---- Comparison --------------------------------------------------------------------------

TEST(Comparison, EveryOperatorOnIntegers) {
  EXPECT_EQ(Eval("2 < 3"), Value::Bool(true));
  EXPECT_EQ(Eval("3 < 3"), Value::Bool(false));
  EXPECT_EQ(Eval("3 <= 3"), Value::Bool(true));
  EXPECT_EQ(Eval("4 <= 3"), Value::Bool(false));
  EXPECT_EQ(Eval("4 > 3"), Value::Bool(true));
  EXPECT_EQ(Eval("3 > 3"), Value::Bool(false));
  EXPECT_EQ(Eval("3 >= 3"), Value::Bool(true));
  EXPECT_EQ(Eval("2 >= 3"), Value::Bool(false));
  EXPECT_EQ(Eval("3 == 3"), Value::Bool(true));
  EXPECT_EQ(Eval("3 = 3"), Value::Bool(true));  // `=` is `==`
  EXPECT_EQ(Eval("3 == 4"), Value::Bool(false));
  EXPECT_EQ(Eval("3 != 4"), Value::Bool(true));
  EXPECT_EQ(Eval("3 <> 3"), Value::Bool(false));  // `<>` is `!=`
  EXPECT_EQ(Eval("i < -1", {{"i", Value::Int(INT64_MIN)}}), Value::Bool(true));
  EXPECT_EQ(TypeOf("i < j"), DataType::kBool);
}

TEST(Comparison, IntAndFloatCompareAsNumbers) {
  EXPECT_EQ(Eval("i < x", {{"i", Value::Int(1)}, {"x", Value::Float(1.5)}}), Value::Bool(true));
  EXPECT_EQ(Eval("i == x", {{"i", Value::Int(2)}, {"x", Value::Float(2.0)}}), Value::Bool(true));
  EXPECT_EQ(Eval("x > i", {{"i", Value::Int(-2)}, {"x", Value::Float(-2.5)}}), Value::Bool(false));
  EXPECT_EQ(Eval("3 >= 3.5"), Value::Bool(false));
  EXPECT_EQ(Eval("2 != 2.0"), Value::Bool(false));
  EXPECT_EQ(Eval("x == y", {{"x", Value::Float(0.0)}, {"y", Value::Float(-0.0)}}),
            Value::Bool(true));
}

TEST(Comparison, StringsCompareBytewise) {
  EXPECT_EQ(Eval("s < u", {{"s", Value::String("a")}, {"u", Value::String("b")}}),
            Value::Bool(true));
  EXPECT_EQ(Eval("s < 'a'", {{"s", Value::String("B")}}),
            Value::Bool(true));  // 'B' 0x42 < 'a' 0x61
  EXPECT_EQ(Eval("s < 'b'", {{"s", Value::String("ab")}}), Value::Bool(true));
  EXPECT_EQ(Eval("s < 'ab'", {{"s", Value::String("a")}}), Value::Bool(true));  // prefix first
  EXPECT_EQ(Eval("s > ''", {{"s", Value::String("a")}}), Value::Bool(true));
  EXPECT_EQ(Eval("s == 'abc'", {{"s", Value::String("abc")}}), Value::Bool(true));
  EXPECT_EQ(Eval("s != 'abc'", {{"s", Value::String("abC")}}), Value::Bool(true));
  // Bytes compare unsigned: UTF-8 'é' (0xC3 0xA9) sorts after 'z' (0x7A).
  EXPECT_EQ(Eval("s > 'z'", {{"s", Value::String("\xC3\xA9")}}), Value::Bool(true));
}

TEST(Comparison, TimestampsCompareByTime) {
  const Bindings tt = {{"t", Value::Timestamp(-1)}, {"t2", Value::Timestamp(0)}};
  EXPECT_EQ(Eval("t < t2", tt), Value::Bool(true));
  EXPECT_EQ(Eval("t >= t2", tt), Value::Bool(false));
  EXPECT_EQ(Eval("t == t2", tt), Value::Bool(false));
  EXPECT_EQ(Eval("t == t2", {{"t", Value::Timestamp(5)}, {"t2", Value::Timestamp(5)}}),
            Value::Bool(true));
}

TEST(Comparison, BoolsCompareFalseBeforeTrue) {
  const Bindings tf = {{"b", Value::Bool(true)}, {"c", Value::Bool(false)}};
  EXPECT_EQ(Eval("c < b", tf), Value::Bool(true));
  EXPECT_EQ(Eval("b != c", tf), Value::Bool(true));
  EXPECT_EQ(Eval("b == true", tf), Value::Bool(true));
  EXPECT_EQ(Eval("false < true"), Value::Bool(true));
}

TEST(Comparison, NullOperandGivesNull) {
  EXPECT_EQ(Eval("i > 1"), kNullB);
  EXPECT_EQ(Eval("1 == i"), kNullB);
  EXPECT_EQ(Eval("s == 'a'"), kNullB);
  EXPECT_EQ(Eval("t < t2", {{"t", Value::Timestamp(0)}}), kNullB);
  EXPECT_EQ(Eval("x == null", {{"x", Value::Float(1)}}), kNullB);
  EXPECT_EQ(Eval("null == null"), kNullB);
}

TEST(Comparison, IncomparableTypesAreACompileError) {
  EXPECT_EQ(CompileError("s == 1").message(),
            "type mismatch: cannot compare 's' (string) with 1 (int64) in expression \"s == 1\"");
  EXPECT_EQ(CompileError("s == 1").hint(), "compare values of the same type");
  EXPECT_TRUE(HasSubstr(CompileError("1 < category").message(),
                        "cannot compare 1 (int64) with 'category' (string)"));
  EXPECT_TRUE(
      HasSubstr(CompileError("t > 1").message(), "cannot compare 't' (timestamp) with 1 (int64)"));
  EXPECT_TRUE(HasSubstr(CompileError("b == 1").message(), "cannot compare"));
  EXPECT_TRUE(HasSubstr(CompileError("x < 'a'").message(), "cannot compare"));
  EXPECT_TRUE(HasSubstr(CompileError("e == e").message(), "cannot compare"));
}

// ---- Logic -------------------------------------------------------------------------------

TEST(Logic, AndOrNotFollowSqlThreeValuedLogic) {
  const Value T = Value::Bool(true), F = Value::Bool(false), N = kNullB;
  struct Row {
    Value a, b, and_ab, or_ab;
  };
  const Row table[] = {
      {T, T, T, T}, {T, F, F, T}, {T, N, N, T}, {F, T, F, T}, {F, F, F, F},
      {F, N, F, N}, {N, T, N, T}, {N, F, F, N}, {N, N, N, N},
  };
  for (const Row& r : table) {
    const Bindings row = {{"b", r.a}, {"c", r.b}};
    const std::string what = r.a.ToString() + ", " + r.b.ToString();
    EXPECT_EQ(Eval("b and c", row), r.and_ab) << what;
    EXPECT_EQ(Eval("b or c", row), r.or_ab) << what;
  }
  EXPECT_EQ(Eval("not b", {{"b", T}}), F);
  EXPECT_EQ(Eval("not b", {{"b", F}}), T);
  EXPECT_EQ(Eval("not b"), N);
  // The same with literals, including a bare null.
  EXPECT_EQ(Eval("false and null"), F);
  EXPECT_EQ(Eval("null and true"), N);
  EXPECT_EQ(Eval("true or null"), T);
  EXPECT_EQ(Eval("null or false"), N);
  EXPECT_EQ(Eval("not null"), N);
}

TEST(Logic, IsNullAndIsNotNullAreNeverNull) {
  for (const Field& f : kSchema) {
    EXPECT_EQ(Eval(f.name + " is null"), Value::Bool(true)) << f.name;
    EXPECT_EQ(Eval(f.name + " is not null"), Value::Bool(false)) << f.name;
  }
  EXPECT_EQ(Eval("s is null", {{"s", Value::String("")}}), Value::Bool(false));
  EXPECT_EQ(Eval("e is not null", {{"e", Value::List({})}}), Value::Bool(true));
  EXPECT_EQ(Eval("i + 1 is null", {{"i", Value::Int(1)}}), Value::Bool(false));  // (i + 1) is null
  EXPECT_EQ(Eval("i / 0 is null", {{"i", Value::Int(1)}}), Value::Bool(true));
  EXPECT_EQ(Eval("(b and c) is null", {{"b", Value::Bool(true)}}), Value::Bool(true));
  EXPECT_EQ(Eval("null is null"), Value::Bool(true));
  EXPECT_EQ(Eval("null is not null"), Value::Bool(false));
  EXPECT_EQ(Eval("not x is null", {{"x", Value::Float(1)}}), Value::Bool(true));
}

// ---- Referenced columns ------------------------------------------------------------------

TEST(ReferencedColumns, ReferencedNamesAreSortedAndDeduplicated) {
  const Expression e = Expression::Compile("y + x * x + i - coalesce(j, i)", kSchema, {});
  EXPECT_EQ(e.columns(), (std::vector<std::string>{"i", "j", "x", "y"}));
  EXPECT_EQ(e.text(), "y + x * x + i - coalesce(j, i)");
  EXPECT_EQ(e.type(), DataType::kFloat64);
  EXPECT_TRUE(Expression::Compile("1 + 2", kSchema, {}).columns().empty());
}

TEST(ReferencedColumns, DottedNameIsOneColumn) {
  const Expression e = Expression::Compile("user_txn.amount_sum_1h * 2 + amount", kSchema, {});
  EXPECT_EQ(e.columns(), (std::vector<std::string>{"amount", "user_txn.amount_sum_1h"}));
  EXPECT_EQ(Eval("user_txn.amount_sum_1h * 2 + amount",
                 {{"user_txn.amount_sum_1h", Value::Float(1.5)}, {"amount", Value::Float(0.5)}}),
            Value::Float(3.5));
  EXPECT_EQ(Eval("`user_txn.amount_sum_1h` + 1", {{"user_txn.amount_sum_1h", Value::Float(1)}}),
            Value::Float(2));
}

TEST(ReferencedColumns, NamesAreCaseSensitive) {
  const DefinitionError e = CompileError("Amount * 2");
  EXPECT_EQ(e.message(), "unknown column 'Amount' in expression \"Amount * 2\"");
  EXPECT_EQ(e.hint(), "did you mean 'amount'?");
}

// ---- Compile errors ----------------------------------------------------------------------

TEST(CompileErrors, UnknownColumnIsNamedWithANearNameHint) {
  const DefinitionError e = CompileError("log1p(amout)", {"defs/txn.yaml", 16});
  EXPECT_EQ(e.file(), "defs/txn.yaml");
  EXPECT_EQ(e.line(), 16);
  EXPECT_EQ(e.message(), "unknown column 'amout' in expression \"log1p(amout)\"");
  EXPECT_EQ(e.hint(), "did you mean 'amount'?");
  EXPECT_EQ(std::string(e.what()),
            "defs/txn.yaml:16: unknown column 'amout' in expression \"log1p(amout)\"\n"
            "  hint: did you mean 'amount'?");
  // Nothing near: the hint lists the columns.
  const DefinitionError far = CompileError("zzzzzzzz + 1");
  EXPECT_TRUE(HasSubstr(far.message(), "unknown column 'zzzzzzzz'"));
  EXPECT_TRUE(HasSubstr(far.hint(), "columns available: i, j, x, y"));
}

TEST(CompileErrors, UnknownFunctionIsNamedWithANearNameHint) {
  DefinitionError e = CompileError("lgo(x)");
  EXPECT_EQ(e.message(), "unknown function 'lgo' in expression \"lgo(x)\"");
  EXPECT_EQ(e.hint(), "did you mean 'log'?");
  e = CompileError("sqrtt(x)");
  EXPECT_EQ(e.hint(), "did you mean 'sqrt'?");
  e = CompileError("starts_wiht(s, 'a')");
  EXPECT_EQ(e.hint(), "did you mean 'starts_with'?");
  e = CompileError("frobnicate(x)");
  EXPECT_TRUE(HasSubstr(e.message(), "unknown function 'frobnicate'"));
  EXPECT_FALSE(HasSubstr(e.hint(), "did you mean"));
}

TEST(CompileErrors, WrongArityStatesWhatTheFunctionTakes) {
  EXPECT_EQ(CompileError("pow(x)").message(),
            "pow() takes 2 argument(s), got 1 in expression \"pow(x)\"");
  EXPECT_TRUE(HasSubstr(CompileError("abs()").message(), "abs() takes 1 argument(s), got 0"));
  EXPECT_TRUE(HasSubstr(CompileError("abs(x, y)").message(), "abs() takes 1 argument(s), got 2"));
  EXPECT_TRUE(HasSubstr(CompileError("if(b, 1)").message(), "if() takes 3 argument(s), got 2"));
  EXPECT_TRUE(HasSubstr(CompileError("round(x, 1, 2)").message(),
                        "round() takes 1 or 2 argument(s), got 3"));
  EXPECT_TRUE(
      HasSubstr(CompileError("substr(s)").message(), "substr() takes 2 or 3 argument(s), got 1"));
  EXPECT_TRUE(HasSubstr(CompileError("coalesce()").message(),
                        "coalesce() takes at least 1 argument(s), got 0"));
  EXPECT_TRUE(HasSubstr(CompileError("hash_bucket(i)").message(),
                        "hash_bucket() takes 2 argument(s), got 1"));
}

TEST(CompileErrors, TypeMismatchNamesTheOperandAndItsType) {
  DefinitionError e = CompileError("category + 1");
  EXPECT_EQ(
      e.message(),
      "type mismatch: 'category' is string but '+' needs numbers in expression \"category + 1\"");
  EXPECT_FALSE(e.hint().empty());
  EXPECT_TRUE(HasSubstr(CompileError("1 * category").message(),
                        "'category' is string but '*' needs numbers"));
  EXPECT_TRUE(
      HasSubstr(CompileError("t - t2").message(), "'t' is timestamp but '-' needs numbers"));
  EXPECT_TRUE(HasSubstr(CompileError("b / 2").message(), "'b' is bool but '/' needs numbers"));
  EXPECT_TRUE(HasSubstr(CompileError("-s").message(), "'s' is string but '-' needs a number"));
  EXPECT_TRUE(HasSubstr(CompileError("not i").message(), "'i' is int64 but 'not' needs a bool"));
  EXPECT_TRUE(HasSubstr(CompileError("x and b").message(), "'x' is float64 but 'and' needs bools"));
  EXPECT_TRUE(HasSubstr(CompileError("b or 1").message(), "1 is int64 but 'or' needs bools"));
  EXPECT_TRUE(HasSubstr(CompileError("if(i, 1, 2)").message(), "argument 1 of if() is int64"));
  EXPECT_TRUE(
      HasSubstr(CompileError("if(b, 1, 'a')").message(), "arguments of if() mix int64 and string"));
  EXPECT_TRUE(HasSubstr(CompileError("coalesce(s, 1)").message(),
                        "arguments of coalesce() mix string and int64"));
  EXPECT_TRUE(HasSubstr(CompileError("log(s)").message(),
                        "argument 1 of log() is string, but log() needs a number"));
  EXPECT_TRUE(HasSubstr(CompileError("lower(i)").message(),
                        "argument 1 of lower() is int64, but lower() needs a string"));
  EXPECT_TRUE(HasSubstr(CompileError("length(i)").message(), "argument 1 of length() is int64"));
  EXPECT_TRUE(HasSubstr(CompileError("concat(s, 1)").message(), "argument 2 of concat() is int64"));
  EXPECT_TRUE(
      HasSubstr(CompileError("substr(s, 1.5)").message(), "argument 2 of substr() is float64"));
  EXPECT_TRUE(
      HasSubstr(CompileError("round(x, 1.5)").message(), "argument 2 of round() is float64"));
  EXPECT_TRUE(
      HasSubstr(CompileError("clamp(s, 0, 1)").message(), "argument 1 of clamp() is string"));
  EXPECT_TRUE(
      HasSubstr(CompileError("contains(s, 1)").message(), "argument 2 of contains() is int64"));
  EXPECT_TRUE(HasSubstr(CompileError("hour(i)").message(),
                        "argument 1 of hour() is int64, but hour() needs a timestamp"));
  EXPECT_TRUE(HasSubstr(CompileError("epoch_seconds(s)").message(),
                        "argument 1 of epoch_seconds() is string"));
}

TEST(CompileErrors, BareNullHasNoType) {
  EXPECT_EQ(CompileError("null").message(),
            "cannot infer the type of a bare null in expression \"null\"");
  EXPECT_TRUE(HasSubstr(CompileError("(NULL)").message(), "cannot infer the type of a bare null"));
  EXPECT_TRUE(HasSubstr(CompileError("coalesce(null, null)").message(),
                        "cannot infer the type of coalesce() of nulls"));
}

TEST(CompileErrors, EveryKindCarriesFileLineAndTheExpressionText) {
  const std::vector<std::string> bad = {
      "amout * 2", "lgo(x)",        "pow(x)", "category + 1",      "s == 1", "amount +",
      "(amount",   "'unterminated", "null",   "hash_bucket(i, j)", "x # 1"};
  int line = 1;
  for (const std::string& text : bad) {
    const TextPosition pos{"repo/views/v" + std::to_string(line) + ".yaml", line * 10};
    const DefinitionError e = CompileError(text, pos);
    EXPECT_EQ(e.file(), pos.file) << text;
    EXPECT_EQ(e.line(), pos.line) << text;
    EXPECT_TRUE(HasSubstr(e.message(), "in expression \"" + text + "\""));
    EXPECT_TRUE(HasSubstr(e.what(), pos.file + ":" + std::to_string(pos.line) + ": "));
    EXPECT_TRUE(HasSubstr(e.what(), text));
    EXPECT_FALSE(e.hint().empty()) << text;
    EXPECT_EQ(e.exit_code(), 2) << text;
    ++line;
  }
}

// ---- Evaluate over batches ---------------------------------------------------------------

TEST(BatchEvaluation, BatchColumnsAreFoundByNameInAnyOrderIgnoringExtras) {
  const Expression e = Expression::Compile("i * 10 + j", kSchema, {});
  Batch b;
  Column extra(DataType::kString), j(DataType::kInt64), i(DataType::kInt64), x(DataType::kFloat64);
  for (int r = 0; r < 3; ++r) {
    extra.Append(Value::String("ignored"));
    j.Append(Value::Int(r));
    i.Append(r == 1 ? kNullI : Value::Int(r + 1));
    x.Append(Value::Float(100));
  }
  b.AddColumn("extra", extra);
  b.AddColumn("j", j);
  b.AddColumn("x", x);
  b.AddColumn("i", i);
  const Column out = e.Evaluate(b);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out.type, DataType::kInt64);
  EXPECT_EQ(out.Get(0), Value::Int(10));  // 1 * 10 + 0
  EXPECT_EQ(out.Get(1), kNullI);
  EXPECT_EQ(out.Get(2), Value::Int(32));  // 3 * 10 + 2
}

TEST(BatchEvaluation, ConstantExpressionFillsEveryRow) {
  Batch b;
  Column x(DataType::kFloat64);
  for (int r = 0; r < 4; ++r) x.Append(Value::Float(r));
  b.AddColumn("x", x);
  const Column out = Expression::Compile("concat('a', 'b')", kSchema, {}).Evaluate(b);
  ASSERT_EQ(out.size(), 4u);
  for (size_t r = 0; r < 4; ++r) EXPECT_EQ(out.Get(r), Value::String("ab"));
  EXPECT_EQ(Expression::Compile("1 + 2", kSchema, {}).Evaluate(Batch{}).size(), 0u);
}

TEST(BatchEvaluation, MissingOrRetypedColumnIsAnInternalError) {
  const Expression e = Expression::Compile("i + 1", kSchema, {});
  Batch missing;
  missing.AddColumn("j", Column::Nulls(DataType::kInt64, 2));
  EXPECT_THROW(e.Evaluate(missing), InternalError);
  Batch retyped;
  retyped.AddColumn("i", Column::Nulls(DataType::kFloat64, 2));
  EXPECT_THROW(e.Evaluate(retyped), InternalError);
  EXPECT_THROW(e.EvaluateRow({Value::Int(1)}), InternalError);  // one value, schema has more
}

TEST(BatchEvaluation, CopiesEvaluateLikeTheOriginal) {
  const Expression a = Expression::Compile("i * 2", kSchema, {});
  Expression b = a;
  Expression c = Expression::Compile("1", kSchema, {});
  c = std::move(b);
  std::vector<Value> row;
  for (const Field& f : kSchema) row.push_back(Value::Null(f.type));
  row[FindField(kSchema, "i")] = Value::Int(21);
  EXPECT_EQ(c.EvaluateRow(row), Value::Int(42));
  EXPECT_EQ(a.EvaluateRow(row), Value::Int(42));
}

// The vectorised and the single-row evaluator agree on every row of random batches with nulls
// in every column, over expressions that use every operator and function.
TEST(BatchEvaluation, BatchAndRowEvaluatorsAgreeOnRandomData) {
  const std::vector<std::string> exprs = {"i + j",
                                          "i - j",
                                          "i * j",
                                          "i / j",
                                          "i % j",
                                          "x + y",
                                          "x - i",
                                          "x * y",
                                          "x / y",
                                          "x % y",
                                          "-i",
                                          "-x",
                                          "1 + 2 * i - j % 3",
                                          "i + null",
                                          "i == j",
                                          "i != x",
                                          "x < y",
                                          "x <= i",
                                          "i > 3",
                                          "y >= -0.5",
                                          "s < u",
                                          "s == 'banana'",
                                          "s >= 'B'",
                                          "t < t2",
                                          "t == t2",
                                          "b == c",
                                          "b != true",
                                          "b and c",
                                          "b or c",
                                          "not b",
                                          "not b and c or d",
                                          "b or c and not d",
                                          "b and null",
                                          "i is null",
                                          "s is not null",
                                          "e is null",
                                          "(i / j) is null",
                                          "if(b, i, j)",
                                          "if(c, x, i)",
                                          "if(b, s, u)",
                                          "if(d, e, e)",
                                          "coalesce(i, j, 0)",
                                          "coalesce(x, i)",
                                          "coalesce(s, u, 'none')",
                                          "coalesce(null, y)",
                                          "abs(i)",
                                          "abs(x)",
                                          "log(x)",
                                          "log1p(y)",
                                          "exp(x)",
                                          "sqrt(x)",
                                          "pow(x, y)",
                                          "pow(i, 2)",
                                          "floor(x)",
                                          "ceil(y)",
                                          "round(x)",
                                          "round(x / 3, 2)",
                                          "round(y, i % 4)",
                                          "clamp(i, -5, 5)",
                                          "clamp(x, y, 2.5)",
                                          "clamp(i, j, 3)",
                                          "lower(s)",
                                          "upper(u)",
                                          "length(s)",
                                          "length(e)",
                                          "concat(s, '-', u)",
                                          "substr(s, i)",
                                          "substr(u, j, i)",
                                          "contains(s, u)",
                                          "starts_with(s, 'b')",
                                          "hash_bucket(i, 7)",
                                          "hash_bucket(s, 13)",
                                          "hash_bucket(t, 100)",
                                          "hash_bucket(b, 2)",
                                          "hour(t)",
                                          "day_of_week(t2)",
                                          "epoch_seconds(t)",
                                          "user_txn.amount_sum_1h * 2 + amount",
                                          "if(b and c, upper(s), concat(s, category))",
                                          "x > 0 and log(x) > 1 or s is null"};

  std::mt19937_64 rng(20261125);
  const size_t n = 300;
  auto pick = [&](auto const& options) { return options[rng() % options.size()]; };
  const std::vector<int64_t> ints = {
      0, 1, -1, 2, -3, 7, 10, -10, INT64_MIN, INT64_MAX, INT64_MIN + 1, 3037000500};
  const std::vector<double> floats = {0.0,  -0.0, 0.5,   -0.5,    1.0,  -1.0, 2.5,
                                      -2.5, 3.75, 1e308, -1e-300, kInf, -kInf};
  const std::vector<std::string> words = {
      "", "a", "banana", "Berry", "cab", "user-7", "\xC3\xA9t\xC3\xA9", "B"};
  const std::vector<Micros> times = {
      0, -1, 1, -86'400'000'000, 86'400'000'000 - 1, 1'709'214'330'000'000, -327'600'000'000};

  // The batch holds the schema's columns in a shuffled order, with an extra column among them.
  std::vector<size_t> order(kSchema.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Column> cols;
  for (const Field& f : kSchema) cols.emplace_back(f.type);
  for (size_t r = 0; r < n; ++r) {
    for (size_t k = 0; k < kSchema.size(); ++k) {
      Column& col = cols[k];
      if (rng() % 5 == 0) {
        col.AppendNull();
        continue;
      }
      switch (col.type) {
        case DataType::kInt64:
          col.Append(Value::Int(rng() % 2 ? pick(ints) : static_cast<int64_t>(rng() % 41) - 20));
          break;
        case DataType::kFloat64:
          col.Append(Value::Float(
              rng() % 2 ? pick(floats)
                        : static_cast<double>(static_cast<int64_t>(rng() % 81) - 40) / 8));
          break;
        case DataType::kBool:
          col.Append(Value::Bool(rng() % 2));
          break;
        case DataType::kString:
          col.Append(Value::String(pick(words)));
          break;
        case DataType::kTimestamp:
          col.Append(Value::Timestamp(rng() % 2
                                          ? pick(times)
                                          : static_cast<Micros>(rng() % 4'000'000'000'000'000) -
                                                2'000'000'000'000'000));
          break;
        case DataType::kFloat64List:
          col.Append(Value::List(std::vector<double>(rng() % 4, 0.5)));
          break;
      }
    }
  }
  Batch batch;
  for (size_t k = 0; k < order.size(); ++k) {
    if (k == order.size() / 2) batch.AddColumn("unreferenced", Column::Nulls(DataType::kString, n));
    batch.AddColumn(kSchema[order[k]].name, cols[order[k]]);
  }
  for (size_t k = 0; k < kSchema.size(); ++k) {
    size_t nulls = 0;
    for (size_t r = 0; r < n; ++r) nulls += cols[k].IsNull(r);
    ASSERT_GT(nulls, 0u) << kSchema[k].name;  // every column has nulls
    ASSERT_LT(nulls, n) << kSchema[k].name;
  }

  for (const std::string& text : exprs) {
    const Expression e = Expression::Compile(text, kSchema, {});
    const Column out = e.Evaluate(batch);
    ASSERT_EQ(out.size(), n) << text;
    ASSERT_EQ(out.type, e.type()) << text;
    for (size_t r = 0; r < n; ++r) {
      std::vector<Value> row;
      for (const Column& c : cols) row.push_back(c.Get(r));
      const Value want = e.EvaluateRow(row);
      ASSERT_EQ(want.type, e.type()) << text << " row " << r;
      ASSERT_EQ(out.Get(r), want) << text << " row " << r;
    }
  }
}

}  // namespace
}  // namespace sluice::expr
