// Scalar kernels of the expression language. The vectorised and the row evaluator both call
// these, so the two paths agree to the bit. A kernel returns false (or nullopt) for a null
// result: division by zero, int64 overflow, a NaN, a domain error.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "expr/syntax.h"
#include "sluice/types.h"

namespace sluice::expr {

// int64 arithmetic for + - * %; false = null (overflow, modulo by zero).
inline bool ArithInt(Op op, int64_t a, int64_t b, int64_t& out) {
  switch (op) {
    case Op::kAdd: return !__builtin_add_overflow(a, b, &out);
    case Op::kSub: return !__builtin_sub_overflow(a, b, &out);
    case Op::kMul: return !__builtin_mul_overflow(a, b, &out);
    case Op::kMod:
      if (b == 0) return false;
      if (b == -1) {  // INT64_MIN % -1 traps in C++; the result is 0.
        out = 0;
        return true;
      }
      out = a % b;  // sign of the dividend
      return true;
    default: return false;
  }
}

// float64 arithmetic for + - * / %; false = null (division by zero, NaN result).
inline bool ArithFloat(Op op, double a, double b, double& out) {
  switch (op) {
    case Op::kAdd: out = a + b; break;
    case Op::kSub: out = a - b; break;
    case Op::kMul: out = a * b; break;
    case Op::kDiv:
      if (b == 0) return false;
      out = a / b;
      break;
    case Op::kMod:
      if (b == 0) return false;
      out = std::fmod(a, b);
      break;
    default: return false;
  }
  return !std::isnan(out);
}

template <typename T>
inline bool Compare(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kEq: return a == b;
    case Op::kNe: return a != b;
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kGt: return a > b;
    case Op::kGe: return a >= b;
    default: return false;
  }
}

inline double ToFloat(int64_t v) { return static_cast<double>(v); }

// Floor division of a timestamp into whole seconds / days (correct for negative times).
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

inline int64_t HourOf(Micros ts) {
  const int64_t s = FloorDiv(ts, 1'000'000);
  return FloorDiv(s, 3600) - FloorDiv(s, 86400) * 24;
}

// 0 = Monday ... 6 = Sunday. 1970-01-01 was a Thursday (3).
inline int64_t DayOfWeekOf(Micros ts) {
  const int64_t days = FloorDiv(ts, 86'400'000'000LL);
  return ((days + 3) % 7 + 7) % 7;
}

inline int64_t EpochSecondsOf(Micros ts) { return FloorDiv(ts, 1'000'000); }

// Round half away from zero to `digits` decimals.
inline double RoundTo(double x, int64_t digits) {
  if (digits == 0) return std::round(x);
  // A double of magnitude >= 2^52 is already whole; scaling it by 10^digits could overflow to
  // infinity or change its last bits.
  if (digits > 0 && std::fabs(x) >= 4503599627370496.0) return x;
  const double scale = std::pow(10.0, static_cast<double>(digits));
  return std::round(x * scale) / scale;
}

}  // namespace sluice::expr
