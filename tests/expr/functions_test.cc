// Every function of the expression language (SPEC §5.3, docs/guide.md "Expressions"), each
// evaluated through both evaluators (see Eval in expr_fixture.h).
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdint>
#include <string>

#include "expr_fixture.h"

namespace sluice::expr {
namespace {

// The float64 payload of `v`; a test failure when `v` is null or of another type.
double AsFloat(const Value& v) {
  EXPECT_EQ(v.type, DataType::kFloat64);
  EXPECT_FALSE(v.is_null);
  return v.d;
}

// XXH64 (seed 0) of the 8 little-endian bytes of `v`, laid out here byte by byte.
uint64_t Xxh64OfInt(int64_t v) {
  unsigned char bytes[8];
  const uint64_t u = static_cast<uint64_t>(v);
  for (int k = 0; k < 8; ++k) bytes[k] = static_cast<unsigned char>(u >> (8 * k));
  return XXH64(bytes, 8, 0);
}

Value Bucket(uint64_t hash, uint64_t n) { return Value::Int(static_cast<int64_t>(hash % n)); }

const Bindings kHello = {{"s", Value::String("Hello")}};

// ---- Conditionals ------------------------------------------------------------------------

TEST(If, PicksTheBranchAndANullConditionTakesTheElseBranch) {
  EXPECT_EQ(Eval("if(b, 1, 2)", {{"b", Value::Bool(true)}}), Value::Int(1));
  EXPECT_EQ(Eval("if(b, 1, 2)", {{"b", Value::Bool(false)}}), Value::Int(2));
  EXPECT_EQ(Eval("if(b, 1, 2)"), Value::Int(2));
  EXPECT_EQ(Eval("if(null, 1, 2)"), Value::Int(2));
  EXPECT_EQ(Eval("if(i > 0, 'pos', 'other')"), Value::String("other"));  // null comparison
  EXPECT_EQ(Eval("if(b, s, 'x')", {{"b", Value::Bool(true)}, {"s", Value::String("y")}}),
            Value::String("y"));
  EXPECT_EQ(Eval("if(b, t, t2)", {{"b", Value::Bool(false)}, {"t2", Value::Timestamp(-5)}}),
            Value::Timestamp(-5));
  EXPECT_EQ(Eval("if(b, e, e)", {{"b", Value::Bool(true)}, {"e", Value::List({1, 2})}}),
            Value::List({1, 2}));
}

TEST(If, MixedIntAndFloatBranchesGiveFloat64) {
  EXPECT_EQ(TypeOf("if(b, i, x)"), DataType::kFloat64);
  EXPECT_EQ(Eval("if(b, 1, 2.5)", {{"b", Value::Bool(true)}}), Value::Float(1.0));
  EXPECT_EQ(Eval("if(b, i, x)", {{"b", Value::Bool(true)}, {"i", Value::Int(3)}}),
            Value::Float(3.0));
}

TEST(If, OnlyTheChosenBranchDecidesNullness) {
  EXPECT_EQ(Eval("if(true, 1, i)"), Value::Int(1));
  EXPECT_EQ(Eval("if(b, i, 2)", {{"b", Value::Bool(true)}}), kNullI);
  EXPECT_EQ(Eval("if(b, null, 1)", {{"b", Value::Bool(true)}}), kNullI);
  EXPECT_EQ(Eval("if(b, null, 1)", {{"b", Value::Bool(false)}}), Value::Int(1));
}

TEST(Coalesce, ReturnsTheFirstNonNullArgument) {
  EXPECT_EQ(Eval("coalesce(i, j, 3)", {{"i", Value::Int(1)}, {"j", Value::Int(5)}}), Value::Int(1));
  EXPECT_EQ(Eval("coalesce(i, j, 3)", {{"j", Value::Int(5)}}), Value::Int(5));
  EXPECT_EQ(Eval("coalesce(i, j, 3)"), Value::Int(3));
  EXPECT_EQ(Eval("coalesce(s, u, 'none')", {{"u", Value::String("")}}), Value::String(""));
  EXPECT_EQ(Eval("coalesce(s, u, 'none')"), Value::String("none"));
  EXPECT_EQ(Eval("coalesce(null, x)", {{"x", Value::Float(1.5)}}), Value::Float(1.5));
  EXPECT_EQ(Eval("coalesce(t, t2)", {{"t2", Value::Timestamp(9)}}), Value::Timestamp(9));
}

TEST(Coalesce, AllNullGivesNullAndMixedNumbersGiveFloat64) {
  EXPECT_EQ(Eval("coalesce(i)"), kNullI);
  EXPECT_EQ(Eval("coalesce(i, null)"), kNullI);
  EXPECT_EQ(Eval("coalesce(i, j)"), kNullI);
  EXPECT_EQ(TypeOf("coalesce(x, i)"), DataType::kFloat64);
  EXPECT_EQ(Eval("coalesce(x, i)", {{"i", Value::Int(2)}}), Value::Float(2.0));
}

// ---- Math --------------------------------------------------------------------------------

TEST(Abs, KeepsTheTypeAndInt64MinIsNull) {
  EXPECT_EQ(Eval("abs(i)", {{"i", Value::Int(-4)}}), Value::Int(4));
  EXPECT_EQ(Eval("abs(i)", {{"i", Value::Int(4)}}), Value::Int(4));
  EXPECT_EQ(Eval("abs(i)", {{"i", Value::Int(0)}}), Value::Int(0));
  EXPECT_EQ(Eval("abs(i)", {{"i", Value::Int(INT64_MAX)}}), Value::Int(INT64_MAX));
  EXPECT_EQ(Eval("abs(i)", {{"i", Value::Int(INT64_MIN + 1)}}), Value::Int(INT64_MAX));
  EXPECT_EQ(Eval("abs(i)", {{"i", Value::Int(INT64_MIN)}}), kNullI);  // |INT64_MIN| overflows
  EXPECT_EQ(Eval("abs(x)", {{"x", Value::Float(-1.5)}}), Value::Float(1.5));
  EXPECT_EQ(Eval("abs(x)", {{"x", Value::Float(-0.0)}}), Value::Float(0.0));
  EXPECT_EQ(TypeOf("abs(i)"), DataType::kInt64);
  EXPECT_EQ(TypeOf("abs(x)"), DataType::kFloat64);
}

TEST(Log, NaturalLogarithmAndNonPositiveIsNull) {
  EXPECT_EQ(Eval("log(x)", {{"x", Value::Float(1)}}), Value::Float(0));
  EXPECT_EQ(Eval("log(i)", {{"i", Value::Int(1)}}), Value::Float(0));  // int64 promoted
  EXPECT_DOUBLE_EQ(AsFloat(Eval("log(100)")), 4.605170185988092);      // 2 ln 10
  EXPECT_EQ(Eval("log(x)", {{"x", Value::Float(0)}}), kNullF);
  EXPECT_EQ(Eval("log(x)", {{"x", Value::Float(-0.0)}}), kNullF);
  EXPECT_EQ(Eval("log(x)", {{"x", Value::Float(-1)}}), kNullF);
  EXPECT_EQ(Eval("log(i)", {{"i", Value::Int(-3)}}), kNullF);
}

TEST(Log1p, LogOfOnePlusXAndAtMostMinusOneIsNull) {
  EXPECT_EQ(Eval("log1p(x)", {{"x", Value::Float(0)}}), Value::Float(0));
  EXPECT_DOUBLE_EQ(AsFloat(Eval("log1p(-0.5)")), -0.6931471805599453);  // ln 0.5
  EXPECT_DOUBLE_EQ(AsFloat(Eval("log1p(1e-300)")), 1e-300);  // exact where log(1 + x) is 0
  EXPECT_EQ(Eval("log1p(x)", {{"x", Value::Float(-1)}}), kNullF);
  EXPECT_EQ(Eval("log1p(x)", {{"x", Value::Float(-2)}}), kNullF);
  EXPECT_EQ(Eval("log1p(i)", {{"i", Value::Int(-1)}}), kNullF);
}

TEST(Exp, ExponentialFunction) {
  EXPECT_EQ(Eval("exp(0)"), Value::Float(1));
  EXPECT_DOUBLE_EQ(AsFloat(Eval("exp(1)")), 2.718281828459045);
  EXPECT_DOUBLE_EQ(AsFloat(Eval("exp(x)", {{"x", Value::Float(-1)}})), 0.36787944117144233);
  EXPECT_EQ(Eval("exp(x)", {{"x", Value::Float(-1000)}}), Value::Float(0));  // underflow to 0
}

TEST(Sqrt, SquareRootAndNegativeIsNull) {
  EXPECT_EQ(Eval("sqrt(16)"), Value::Float(4));
  EXPECT_EQ(Eval("sqrt(i)", {{"i", Value::Int(9)}}), Value::Float(3));
  EXPECT_EQ(Eval("sqrt(0.0)"), Value::Float(0));
  EXPECT_DOUBLE_EQ(AsFloat(Eval("sqrt(2)")), 1.4142135623730951);
  EXPECT_EQ(Eval("sqrt(-1)"), kNullF);
  EXPECT_EQ(Eval("sqrt(x)", {{"x", Value::Float(-1e-300)}}), kNullF);
}

TEST(Pow, PowerInFloat64AndNanIsNull) {
  EXPECT_EQ(Eval("pow(2, 10)"), Value::Float(1024));
  EXPECT_EQ(Eval("pow(2, -1)"), Value::Float(0.5));
  EXPECT_EQ(Eval("pow(9, 0.5)"), Value::Float(3));
  EXPECT_EQ(Eval("pow(-2, 3)"), Value::Float(-8));
  EXPECT_EQ(Eval("pow(0, 0)"), Value::Float(1));
  EXPECT_EQ(Eval("pow(x, y)", {{"x", Value::Float(-8)}, {"y", Value::Float(0.5)}}), kNullF);
  EXPECT_EQ(TypeOf("pow(i, j)"), DataType::kFloat64);
}

TEST(FloorCeil, RoundTowardMinusAndPlusInfinityInFloat64) {
  EXPECT_EQ(Eval("floor(-1.5)"), Value::Float(-2));
  EXPECT_EQ(Eval("floor(1.5)"), Value::Float(1));
  EXPECT_EQ(Eval("floor(i)", {{"i", Value::Int(2)}}), Value::Float(2));
  EXPECT_EQ(Eval("ceil(1.2)"), Value::Float(2));
  EXPECT_EQ(Eval("ceil(-1.5)"), Value::Float(-1));
  EXPECT_EQ(Eval("ceil(i)", {{"i", Value::Int(-3)}}), Value::Float(-3));
  EXPECT_EQ(TypeOf("floor(i)"), DataType::kFloat64);
  EXPECT_EQ(TypeOf("ceil(i)"), DataType::kFloat64);
}

TEST(Round, HalfAwayFromZero) {
  EXPECT_EQ(Eval("round(2.5)"), Value::Float(3));
  EXPECT_EQ(Eval("round(-2.5)"), Value::Float(-3));
  EXPECT_EQ(Eval("round(0.5)"), Value::Float(1));
  EXPECT_EQ(Eval("round(-0.5)"), Value::Float(-1));
  EXPECT_EQ(Eval("round(1.4999)"), Value::Float(1));
  EXPECT_EQ(Eval("round(2.5, 0)"), Value::Float(3));
  EXPECT_EQ(Eval("round(i)", {{"i", Value::Int(7)}}), Value::Float(7));
  EXPECT_EQ(TypeOf("round(i)"), DataType::kFloat64);
}

TEST(Round, ToDecimalDigits) {
  EXPECT_EQ(Eval("round(1.234, 2)"), Value::Float(1.23));
  EXPECT_EQ(Eval("round(0.125, 2)"), Value::Float(0.13));  // 12.5 → 13, half away from zero
  EXPECT_EQ(Eval("round(-0.125, 2)"), Value::Float(-0.13));
  EXPECT_EQ(Eval("round(x, i)", {{"x", Value::Float(2.71828)}, {"i", Value::Int(3)}}),
            Value::Float(2.718));
  EXPECT_EQ(Eval("round(x, i)", {{"x", Value::Float(2.5)}}), kNullF);  // null digits
}

TEST(Round, LargeValuesAreAlreadyWholeAndStayFinite) {
  // Every double of magnitude >= 2^52 is a whole number, so rounding to decimals keeps it;
  // scaling it by 10^digits first must not overflow to infinity.
  EXPECT_EQ(Eval("round(x, 2)", {{"x", Value::Float(1.5e307)}}), Value::Float(1.5e307));
  EXPECT_EQ(Eval("round(x, 2)", {{"x", Value::Float(-1e300)}}), Value::Float(-1e300));
  // Scaling and unscaling a large whole number is not exact: 1e20 * 1000 / 1000 != 1e20.
  EXPECT_EQ(Eval("round(x, 3)", {{"x", Value::Float(1e20)}}), Value::Float(1e20));
  EXPECT_EQ(Eval("round(x, 7)", {{"x", Value::Float(7e22)}}), Value::Float(7e22));
}

TEST(Clamp, BoundsIntsAndFloats) {
  EXPECT_EQ(Eval("clamp(i, 0, 10)", {{"i", Value::Int(12)}}), Value::Int(10));
  EXPECT_EQ(Eval("clamp(i, 0, 10)", {{"i", Value::Int(-3)}}), Value::Int(0));
  EXPECT_EQ(Eval("clamp(i, 0, 10)", {{"i", Value::Int(5)}}), Value::Int(5));
  EXPECT_EQ(Eval("clamp(i, -5, 5)", {{"i", Value::Int(INT64_MIN)}}), Value::Int(-5));
  EXPECT_EQ(TypeOf("clamp(i, 0, 10)"), DataType::kInt64);
  EXPECT_EQ(Eval("clamp(x, 0, 1)", {{"x", Value::Float(-0.5)}}), Value::Float(0));
  EXPECT_EQ(Eval("clamp(x, 0, 1)", {{"x", Value::Float(0.25)}}), Value::Float(0.25));
  EXPECT_EQ(Eval("clamp(x, 0, 1)", {{"x", Value::Float(2)}}), Value::Float(1));
  EXPECT_EQ(TypeOf("clamp(x, 0, 1)"), DataType::kFloat64);
  EXPECT_EQ(Eval("clamp(i, 0, 1.5)", {{"i", Value::Int(3)}}), Value::Float(1.5));  // promoted
  EXPECT_EQ(TypeOf("clamp(i, 0, 1.5)"), DataType::kFloat64);
}

// ---- Strings -----------------------------------------------------------------------------

TEST(LowerUpper, ChangeAsciiLetterCase) {
  const Bindings hw = {{"s", Value::String("Hello World 123!")}};
  EXPECT_EQ(Eval("lower(s)", hw), Value::String("hello world 123!"));
  EXPECT_EQ(Eval("upper(s)", hw), Value::String("HELLO WORLD 123!"));
  EXPECT_EQ(Eval("lower('')"), Value::String(""));
}

TEST(Length, OfStringsAndLists) {
  EXPECT_EQ(Eval("length(s)", kHello), Value::Int(5));
  EXPECT_EQ(Eval("length('')"), Value::Int(0));
  EXPECT_EQ(Eval("length(e)", {{"e", Value::List({1, 2, 3})}}), Value::Int(3));
  EXPECT_EQ(Eval("length(e)", {{"e", Value::List({})}}), Value::Int(0));
  EXPECT_EQ(TypeOf("length(s)"), DataType::kInt64);
  EXPECT_EQ(TypeOf("length(e)"), DataType::kInt64);
}

TEST(Concat, JoinsStringsAndANullArgumentGivesNull) {
  EXPECT_EQ(Eval("concat(s, ', ', 'you')", kHello), Value::String("Hello, you"));
  EXPECT_EQ(Eval("concat('a')"), Value::String("a"));
  EXPECT_EQ(Eval("concat(s, '')", kHello), Value::String("Hello"));
  EXPECT_EQ(Eval("concat(s, u)", kHello), kNullS);
  EXPECT_EQ(Eval("concat('a', null, 'b')"), kNullS);
}

TEST(Substr, IsOneBasedAndClipsToTheString) {
  EXPECT_EQ(Eval("substr(s, 1)", kHello), Value::String("Hello"));
  EXPECT_EQ(Eval("substr(s, 2, 3)", kHello), Value::String("ell"));
  EXPECT_EQ(Eval("substr(s, 4)", kHello), Value::String("lo"));
  EXPECT_EQ(Eval("substr(s, 5)", kHello), Value::String("o"));
  EXPECT_EQ(Eval("substr(s, 2, 100)", kHello), Value::String("ello"));
  EXPECT_EQ(Eval("substr(s, 1, 0)", kHello), Value::String(""));
  // start < 1 is treated as 1.
  EXPECT_EQ(Eval("substr(s, 0, 2)", kHello), Value::String("He"));
  EXPECT_EQ(Eval("substr(s, -5, 2)", kHello), Value::String("He"));
  // start past the end gives "".
  EXPECT_EQ(Eval("substr(s, 6)", kHello), Value::String(""));
  EXPECT_EQ(Eval("substr(s, 9, 2)", kHello), Value::String(""));
  // A negative length is null.
  EXPECT_EQ(Eval("substr(s, 1, -1)", kHello), kNullS);
  EXPECT_EQ(Eval("substr(s, 9, -1)", kHello), kNullS);
}

TEST(ContainsStartsWith, AreCaseSensitiveSubstringTests) {
  EXPECT_EQ(Eval("contains(s, 'ell')", kHello), Value::Bool(true));
  EXPECT_EQ(Eval("contains(s, 'ELL')", kHello), Value::Bool(false));
  EXPECT_EQ(Eval("contains(s, 'xyz')", kHello), Value::Bool(false));
  EXPECT_EQ(Eval("contains(s, '')", kHello), Value::Bool(true));
  EXPECT_EQ(Eval("contains(s, 'Hello!')", kHello), Value::Bool(false));
  EXPECT_EQ(Eval("starts_with(s, 'He')", kHello), Value::Bool(true));
  EXPECT_EQ(Eval("starts_with(s, 'he')", kHello), Value::Bool(false));
  EXPECT_EQ(Eval("starts_with(s, 'ello')", kHello), Value::Bool(false));
  EXPECT_EQ(Eval("starts_with(s, '')", kHello), Value::Bool(true));
  EXPECT_EQ(Eval("starts_with(s, 'Hello!')", kHello), Value::Bool(false));
}

// ---- hash_bucket -------------------------------------------------------------------------

TEST(HashBucket, Int64IsXxh64OfItsEightLittleEndianBytes) {
  for (int64_t k : {int64_t{123456789}, int64_t{0}, int64_t{-1}, INT64_MIN, INT64_MAX}) {
    EXPECT_EQ(Eval("hash_bucket(i, 100)", {{"i", Value::Int(k)}}), Bucket(Xxh64OfInt(k), 100)) << k;
  }
  EXPECT_EQ(Eval("hash_bucket(42, 1000003)"), Bucket(Xxh64OfInt(42), 1000003));
  // A timestamp hashes like the int64 of its microseconds.
  EXPECT_EQ(Eval("hash_bucket(t, 64)", {{"t", Value::Timestamp(-86'400'000'000)}}),
            Bucket(Xxh64OfInt(-86'400'000'000), 64));
}

TEST(HashBucket, StringIsXxh64OfItsBytes) {
  EXPECT_EQ(Eval("hash_bucket(s, 7)", {{"s", Value::String("user-7")}}),
            Bucket(XXH64("user-7", 6, 0), 7));
  EXPECT_EQ(Eval("hash_bucket(s, 10)", {{"s", Value::String("\xC3\xA9t\xC3\xA9")}}),
            Bucket(XXH64("\xC3\xA9t\xC3\xA9", 5, 0), 10));
  // XXH64 of no bytes with seed 0 is 0xEF46DB3751D8E999 = 17241709254077376921 (the reference
  // test vector), which is 921 modulo 1000.
  EXPECT_EQ(Eval("hash_bucket(s, 1000)", {{"s", Value::String("")}}), Value::Int(921));
}

TEST(HashBucket, LandsInZeroToNMinusOne) {
  EXPECT_EQ(Eval("hash_bucket(i, 1)", {{"i", Value::Int(987654321)}}), Value::Int(0));
  for (int64_t k = -50; k <= 50; ++k) {
    const Value v = Eval("hash_bucket(i, 3)", {{"i", Value::Int(k)}});
    ASSERT_FALSE(v.is_null);
    EXPECT_GE(v.i, 0);
    EXPECT_LT(v.i, 3);
  }
  EXPECT_EQ(TypeOf("hash_bucket(s, 5)"), DataType::kInt64);
}

TEST(HashBucket, BucketCountMustBeAPositiveIntLiteral) {
  for (const char* text :
       {"hash_bucket(i, j)", "hash_bucket(i, 0)", "hash_bucket(i, -3)", "hash_bucket(i, 2.0)",
        "hash_bucket(i, '3')", "hash_bucket(i, 1 + 1)", "hash_bucket(i, null)"}) {
    const DefinitionError e = CompileError(text);
    EXPECT_TRUE(HasSubstr(e.message(),
                          "the bucket count of hash_bucket() must be a positive integer literal"))
        << text;
  }
  EXPECT_TRUE(HasSubstr(CompileError("hash_bucket(x, 3)").message(),
                        "argument 1 of hash_bucket() is float64"));
  EXPECT_TRUE(HasSubstr(CompileError("hash_bucket(e, 3)").message(),
                        "argument 1 of hash_bucket() is list<float64>"));
}

// ---- Time --------------------------------------------------------------------------------

constexpr Micros kSecond = 1'000'000;
constexpr Micros kDay = 86'400 * kSecond;

TEST(TimeFunctions, EpochIsThursdayMidnight) {
  const Bindings epoch = {{"t", Value::Timestamp(0)}};
  EXPECT_EQ(Eval("hour(t)", epoch), Value::Int(0));
  EXPECT_EQ(Eval("day_of_week(t)", epoch), Value::Int(3));  // 0 = Monday
  EXPECT_EQ(Eval("epoch_seconds(t)", epoch), Value::Int(0));
}

TEST(TimeFunctions, NegativeTimestampsFloorTowardTheEarlierSecondHourAndDay) {
  // One microsecond before the epoch: Wednesday 1969-12-31T23:59:59.999999Z.
  const Bindings before = {{"t", Value::Timestamp(-1)}};
  EXPECT_EQ(Eval("hour(t)", before), Value::Int(23));
  EXPECT_EQ(Eval("day_of_week(t)", before), Value::Int(2));
  EXPECT_EQ(Eval("epoch_seconds(t)", before), Value::Int(-1));
  EXPECT_EQ(Eval("epoch_seconds(t)", {{"t", Value::Timestamp(-kSecond)}}), Value::Int(-1));
  EXPECT_EQ(Eval("epoch_seconds(t)", {{"t", Value::Timestamp(-kSecond - 1)}}), Value::Int(-2));
  // 1969-12-28T05:00:00Z, a Sunday: four days and 19 hours before the epoch.
  const Bindings sunday = {{"t", Value::Timestamp(-4 * kDay + 5 * 3600 * kSecond)}};
  EXPECT_EQ(Eval("hour(t)", sunday), Value::Int(5));
  EXPECT_EQ(Eval("day_of_week(t)", sunday), Value::Int(6));
  EXPECT_EQ(Eval("epoch_seconds(t)", sunday), Value::Int(-327'600));
}

TEST(TimeFunctions, KnownDatesInUtc) {
  // 2024-02-29T13:45:30.5Z, a Thursday: 19782 days after the epoch (54 years of which 13 leap
  // days to 2024-01-01, then 31 + 28 days) plus 13 h 45 min 30.5 s.
  const Micros leap_day = 19'782 * kDay + (13 * 3600 + 45 * 60 + 30) * kSecond + 500'000;
  const Bindings t = {{"t", Value::Timestamp(leap_day)}};
  EXPECT_EQ(Eval("hour(t)", t), Value::Int(13));
  EXPECT_EQ(Eval("day_of_week(t)", t), Value::Int(3));
  EXPECT_EQ(Eval("epoch_seconds(t)", t), Value::Int(1'709'214'330));
  // Three days later, 2024-03-03, a Sunday; the last microsecond of it is still Sunday, 23 h.
  EXPECT_EQ(Eval("day_of_week(t)", {{"t", Value::Timestamp(19'785 * kDay)}}), Value::Int(6));
  EXPECT_EQ(Eval("day_of_week(t)", {{"t", Value::Timestamp(19'786 * kDay - 1)}}), Value::Int(6));
  EXPECT_EQ(Eval("hour(t)", {{"t", Value::Timestamp(19'786 * kDay - 1)}}), Value::Int(23));
  // And the next microsecond is Monday, hour 0.
  EXPECT_EQ(Eval("day_of_week(t)", {{"t", Value::Timestamp(19'786 * kDay)}}), Value::Int(0));
  EXPECT_EQ(Eval("hour(t)", {{"t", Value::Timestamp(19'786 * kDay)}}), Value::Int(0));
}

// ---- Null arguments ----------------------------------------------------------------------

TEST(NullArguments, EveryFunctionButIfAndCoalesceGivesNull) {
  const std::vector<std::string> texts = {"abs(i)",
                                          "abs(x)",
                                          "log(x)",
                                          "log1p(x)",
                                          "exp(x)",
                                          "sqrt(x)",
                                          "pow(x, 2)",
                                          "pow(2, x)",
                                          "floor(x)",
                                          "ceil(x)",
                                          "round(x)",
                                          "round(1.5, i)",
                                          "clamp(x, 0, 1)",
                                          "clamp(1, i, 3)",
                                          "clamp(1, 0, i)",
                                          "lower(s)",
                                          "upper(s)",
                                          "length(s)",
                                          "length(e)",
                                          "concat('a', s)",
                                          "substr(s, 1)",
                                          "substr('abc', i)",
                                          "substr('abc', 1, i)",
                                          "contains(s, 'a')",
                                          "contains('abc', s)",
                                          "starts_with(s, 'a')",
                                          "starts_with('abc', s)",
                                          "hash_bucket(i, 3)",
                                          "hash_bucket(s, 3)",
                                          "hash_bucket(t, 3)",
                                          "hour(t)",
                                          "day_of_week(t)",
                                          "epoch_seconds(t)",
                                          "abs(null)",
                                          "lower(null)",
                                          "concat('a', null)",
                                          "hour(null)",
                                          "substr('abc', null)",
                                          "hash_bucket(null, 3)"};
  for (const std::string& text : texts) {
    EXPECT_EQ(Eval(text), Value::Null(TypeOf(text))) << text;
  }
}

}  // namespace
}  // namespace sluice::expr
