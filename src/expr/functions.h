// The function table of the expression language: names, arity, typing and the one scalar
// implementation (on Values) that both evaluators use for calls.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "expr/syntax.h"
#include "sluice/types.h"

namespace sluice::expr {

enum class Fn {
  kIf, kCoalesce, kAbs, kLog, kLog1p, kExp, kSqrt, kPow, kFloor, kCeil, kRound, kClamp,
  kLower, kUpper, kLength, kConcat, kSubstr, kContains, kStartsWith, kHashBucket,
  kHour, kDayOfWeek, kEpochSeconds,
};

// Index of function `name` (lower case), or -1.
int FindFunction(const std::string& name);
// All function names, for hints.
std::vector<std::string> FunctionNames();
Fn FunctionAt(int index);

// Types the arguments of a call (arguments already typed; a nullopt type is a null literal),
// inserting int64 → float64 promotions where needed, and returns the result type. Throws
// SyntaxError with a user-facing message on a wrong arity or type.
DataType CheckCall(Node& call);

// Evaluates a call on argument values (already of the checked types).
Value CallFunction(Fn fn, const std::vector<Value>& args);

}  // namespace sluice::expr
