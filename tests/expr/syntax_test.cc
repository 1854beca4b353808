// Syntax of the expression language: operator precedence and associativity, keywords,
// literals and syntax errors (src/expr/syntax.cc), observed through Compile and evaluation.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "expr_fixture.h"

namespace sluice::expr {
namespace {

TEST(Precedence, MultiplicativeBindsTighterThanAdditiveAndBothAssociateLeft) {
  EXPECT_EQ(Eval("1 + 2 * 3"), Value::Int(7));
  EXPECT_EQ(Eval("(1 + 2) * 3"), Value::Int(9));
  EXPECT_EQ(Eval("7 - 2 * 3 + 1"), Value::Int(2));
  EXPECT_EQ(Eval("10 - 4 - 3"), Value::Int(3));      // (10 - 4) - 3, not 10 - (4 - 3)
  EXPECT_EQ(Eval("2 * 3 % 4"), Value::Int(2));       // (2 * 3) % 4, not 2 * (3 % 4) = 6
  EXPECT_EQ(Eval("20 / 4 / 5"), Value::Float(1.0));  // (20 / 4) / 5, not 20 / (4 / 5) = 25
  EXPECT_EQ(Eval("1 + 2 == 3"), Value::Bool(true));  // arithmetic before comparison
}

TEST(Precedence, UnaryMinusBindsTighterThanBinaryOperators) {
  EXPECT_EQ(Eval("-2 + 3"), Value::Int(1));  // (-2) + 3, not -(2 + 3)
  EXPECT_EQ(Eval("2 - -3"), Value::Int(5));
  EXPECT_EQ(Eval("- -4"), Value::Int(4));
  EXPECT_EQ(Eval("+4"), Value::Int(4));
  EXPECT_EQ(Eval("-i * 2", {{"i", Value::Int(5)}}), Value::Int(-10));
  EXPECT_EQ(Eval("-x", {{"x", Value::Float(1.5)}}), Value::Float(-1.5));
  EXPECT_EQ(Eval("-(i - 8)", {{"i", Value::Int(5)}}), Value::Int(3));
}

TEST(Precedence, NotBindsTighterThanAndWhichBindsTighterThanOr) {
  // not b and c = (not b) and c: with b = c = false that is false; not (b and c) would be true.
  EXPECT_EQ(Eval("not b and c", {{"b", Value::Bool(false)}, {"c", Value::Bool(false)}}),
            Value::Bool(false));
  // b or c and d = b or (c and d): with b = true, c = d = false that is true; (b or c) and d
  // would be false.
  const Bindings tff = {
      {"b", Value::Bool(true)}, {"c", Value::Bool(false)}, {"d", Value::Bool(false)}};
  EXPECT_EQ(Eval("b or c and d", tff), Value::Bool(true));
  EXPECT_EQ(Eval("c and d or b", tff), Value::Bool(true));
  EXPECT_EQ(Eval("(b or c) and d", tff), Value::Bool(false));
  EXPECT_EQ(Eval("not not b", tff), Value::Bool(true));
  // not applies to a whole comparison: not (1 == 2).
  EXPECT_EQ(Eval("not 1 == 2"), Value::Bool(true));
  EXPECT_EQ(Eval("1 < 2 and 2 < 1 or 3 == 3"), Value::Bool(true));
}

TEST(Keywords, AreCaseInsensitive) {
  const Bindings tff = {
      {"b", Value::Bool(true)}, {"c", Value::Bool(false)}, {"d", Value::Bool(false)}};
  EXPECT_EQ(Eval("NOT b OR c AND d", tff), Value::Bool(false));
  EXPECT_EQ(Eval("b And TRUE", tff), Value::Bool(true));
  EXPECT_EQ(Eval("i IS NOT NULL"), Value::Bool(false));
}

TEST(Literals, Int64MinCanBeWritten) {
  EXPECT_EQ(Eval("-9223372036854775808"), Value::Int(INT64_MIN));
  EXPECT_EQ(Eval("i == -9223372036854775808", {{"i", Value::Int(INT64_MIN)}}), Value::Bool(true));
  EXPECT_EQ(Eval("-9223372036854775808 % -1"), Value::Int(0));
  EXPECT_EQ(Eval("- 3 * 2"), Value::Int(-6));
  EXPECT_EQ(CompileError("9223372036854775808").message(),
            "integer 9223372036854775808 at offset 0 is out of int64 range in expression "
            "\"9223372036854775808\"");
  EXPECT_TRUE(HasSubstr(CompileError("1 + -9223372036854775809").message(),
                        "integer -9223372036854775809 at offset 4 is out of int64 range"));
}

TEST(Literals, NumbersStringsAndBools) {
  EXPECT_EQ(Eval("2.5e1"), Value::Float(25.0));
  EXPECT_EQ(Eval(".5"), Value::Float(0.5));
  EXPECT_EQ(Eval("-0.25"), Value::Float(-0.25));
  EXPECT_EQ(Eval("'it\\'s'"), Value::String("it's"));
  EXPECT_EQ(Eval("\"double\""), Value::String("double"));
  EXPECT_EQ(Eval("'a\\nb'"), Value::String("a\nb"));
  EXPECT_EQ(Eval("true"), Value::Bool(true));
  EXPECT_EQ(Eval("FALSE"), Value::Bool(false));
  EXPECT_EQ(TypeOf("1"), DataType::kInt64);
  EXPECT_EQ(TypeOf("1.0"), DataType::kFloat64);
}

// Every pass over an expression recurses once per level: ten thousand nested parentheses,
// `not`s, minus signs or a chain of ten thousand additions once overflowed the stack (in
// `apply`). Up to 256 levels are fine; deeper is a definition error.
TEST(SyntaxErrors, NestingDeeperThan256LevelsIsRefused) {
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  for (const std::string& text :
       {repeat("(", 10000) + "amount" + repeat(")", 10000), repeat("not ", 10000) + "true",
        repeat("- ", 10000) + "amount", "amount" + repeat(" + 1", 10000),
        repeat("abs(", 10000) + "amount" + repeat(")", 10000)}) {
    EXPECT_TRUE(HasSubstr(CompileError(text).message(), "expression nested more than 256 levels"))
        << text.substr(0, 40);
  }
  EXPECT_EQ(TypeOf(repeat("(", 200) + "amount" + repeat(")", 200)), DataType::kFloat64);
  EXPECT_EQ(TypeOf("amount" + repeat(" + 1", 200)), DataType::kFloat64);
  EXPECT_EQ(TypeOf(repeat("abs(", 200) + "amount" + repeat(")", 200)), DataType::kFloat64);
}

TEST(SyntaxErrors, SayWhatWasUnexpectedAndWhere) {
  EXPECT_EQ(CompileError("amount +").message(),
            "unexpected end of expression in expression \"amount +\"");
  EXPECT_TRUE(HasSubstr(CompileError("(amount").message(), "unexpected end of expression"));
  EXPECT_TRUE(
      HasSubstr(CompileError("'unterminated").message(), "unterminated string at offset 0"));
  EXPECT_TRUE(HasSubstr(CompileError("amount )").message(), "unexpected ')' at offset 7"));
  EXPECT_TRUE(
      HasSubstr(CompileError("amount # 2").message(), "unexpected character '#' at offset 7"));
  EXPECT_TRUE(HasSubstr(CompileError("1 2").message(), "unexpected '2' at offset 2"));
  EXPECT_TRUE(HasSubstr(CompileError("1 + * 2").message(), "unexpected '*' at offset 4"));
  EXPECT_TRUE(HasSubstr(CompileError("abs(x,)").message(), "unexpected ')' at offset 6"));
  EXPECT_TRUE(HasSubstr(CompileError("x is 3").message(), "unexpected '3' at offset 5"));
  EXPECT_TRUE(HasSubstr(CompileError("and b").message(), "unexpected 'and' at offset 0"));
  EXPECT_TRUE(
      HasSubstr(CompileError("`amount").message(), "unterminated `quoted name` at offset 0"));
  EXPECT_TRUE(HasSubstr(CompileError("").message(), "unexpected end of expression"));
  EXPECT_TRUE(HasSubstr(CompileError("amount +").hint(), "check the syntax"));
}

}  // namespace
}  // namespace sluice::expr
