#include "expr/functions.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "expr/kernels.h"

namespace sluice::expr {
namespace {

struct FunctionInfo {
  const char* name;
  Fn fn;
  int min_args;
  int max_args;  // -1 = variadic
};

constexpr FunctionInfo kFunctions[] = {
    {"if", Fn::kIf, 3, 3},           {"coalesce", Fn::kCoalesce, 1, -1},
    {"abs", Fn::kAbs, 1, 1},         {"log", Fn::kLog, 1, 1},
    {"log1p", Fn::kLog1p, 1, 1},     {"exp", Fn::kExp, 1, 1},
    {"sqrt", Fn::kSqrt, 1, 1},       {"pow", Fn::kPow, 2, 2},
    {"floor", Fn::kFloor, 1, 1},     {"ceil", Fn::kCeil, 1, 1},
    {"round", Fn::kRound, 1, 2},     {"clamp", Fn::kClamp, 3, 3},
    {"lower", Fn::kLower, 1, 1},     {"upper", Fn::kUpper, 1, 1},
    {"length", Fn::kLength, 1, 1},   {"concat", Fn::kConcat, 1, -1},
    {"substr", Fn::kSubstr, 2, 3},   {"contains", Fn::kContains, 2, 2},
    {"starts_with", Fn::kStartsWith, 2, 2}, {"hash_bucket", Fn::kHashBucket, 2, 2},
    {"hour", Fn::kHour, 1, 1},       {"day_of_week", Fn::kDayOfWeek, 1, 1},
    {"epoch_seconds", Fn::kEpochSeconds, 1, 1},
};

std::string TypeOf(const Node& n) {
  return n.op == Op::kNullLiteral ? "null" : std::string(TypeName(n.type));
}

[[noreturn]] void ArgError(const Node& call, size_t i, const std::string& want) {
  throw SyntaxError{fmt::format("argument {} of {}() is {}, but {}() needs {}", i + 1, call.name,
                                TypeOf(*call.args[i]), call.name, want)};
}


bool IsNullLit(const Node& n) { return n.op == Op::kNullLiteral; }

// Unifies the types of args[from..]: all the same, int64/float64 promote to float64, null
// literals take the common type. Returns the common type; throws when they disagree.
DataType Unify(Node& call, size_t from) {
  std::optional<DataType> common;
  for (size_t i = from; i < call.args.size(); ++i) {
    const Node& a = *call.args[i];
    if (IsNullLit(a)) continue;
    if (!common) {
      common = a.type;
    } else if (*common != a.type) {
      if (IsNumeric(*common) && IsNumeric(a.type)) {
        common = DataType::kFloat64;
      } else {
        throw SyntaxError{fmt::format("arguments of {}() mix {} and {}", call.name,
                                      TypeName(*common), TypeName(a.type))};
      }
    }
  }
  if (!common) throw SyntaxError{fmt::format("cannot infer the type of {}() of nulls", call.name)};
  for (size_t i = from; i < call.args.size(); ++i) {
    Node& a = *call.args[i];
    if (IsNullLit(a)) {
      a.type = *common;
    } else if (a.type != *common) {
      PromoteToFloat(call.args[i]);
    }
  }
  return *common;
}

void RequireNumeric(Node& call, size_t i) {
  Node& a = *call.args[i];
  if (IsNullLit(a)) {
    a.type = DataType::kFloat64;
    return;
  }
  if (!IsNumeric(a.type)) ArgError(call, i, "a number");
}

void RequireType(Node& call, size_t i, DataType t) {
  Node& a = *call.args[i];
  if (IsNullLit(a)) {
    a.type = t;
    return;
  }
  if (a.type != t) ArgError(call, i, std::string("a ") + std::string(TypeName(t)));
}

void RequireFloat(Node& call, size_t i) {
  RequireNumeric(call, i);
  if (call.args[i]->type == DataType::kInt64) PromoteToFloat(call.args[i]);
}

Value FloatOrNull(double d) {
  return std::isnan(d) ? Value::Null(DataType::kFloat64) : Value::Float(d);
}

}  // namespace

int FindFunction(const std::string& name) {
  for (size_t i = 0; i < std::size(kFunctions); ++i) {
    if (name == kFunctions[i].name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> FunctionNames() {
  std::vector<std::string> out;
  for (const auto& f : kFunctions) out.emplace_back(f.name);
  return out;
}

Fn FunctionAt(int index) { return kFunctions[index].fn; }

DataType CheckCall(Node& call) {
  const FunctionInfo& info = kFunctions[call.function];
  const int n = static_cast<int>(call.args.size());
  if (n < info.min_args || (info.max_args >= 0 && n > info.max_args)) {
    const std::string want =
        info.max_args < 0            ? fmt::format("at least {}", info.min_args)
        : info.min_args == info.max_args ? std::to_string(info.min_args)
                                     : fmt::format("{} or {}", info.min_args, info.max_args);
    throw SyntaxError{fmt::format("{}() takes {} argument(s), got {}", info.name, want, n)};
  }
  switch (info.fn) {
    case Fn::kIf:
      RequireType(call, 0, DataType::kBool);
      return Unify(call, 1);
    case Fn::kCoalesce: return Unify(call, 0);
    case Fn::kAbs:
      RequireNumeric(call, 0);
      return call.args[0]->type;
    case Fn::kLog: case Fn::kLog1p: case Fn::kExp: case Fn::kSqrt: case Fn::kFloor:
    case Fn::kCeil:
      RequireFloat(call, 0);
      return DataType::kFloat64;
    case Fn::kPow:
      RequireFloat(call, 0);
      RequireFloat(call, 1);
      return DataType::kFloat64;
    case Fn::kRound:
      RequireFloat(call, 0);
      if (n == 2) RequireType(call, 1, DataType::kInt64);
      return DataType::kFloat64;
    case Fn::kClamp:
      for (int i = 0; i < 3; ++i) RequireNumeric(call, i);
      return Unify(call, 0);
    case Fn::kLower: case Fn::kUpper:
      RequireType(call, 0, DataType::kString);
      return DataType::kString;
    case Fn::kLength:
      if (!IsNullLit(*call.args[0]) && call.args[0]->type == DataType::kFloat64List) {
        return DataType::kInt64;
      }
      RequireType(call, 0, DataType::kString);
      return DataType::kInt64;
    case Fn::kConcat:
      for (int i = 0; i < n; ++i) RequireType(call, i, DataType::kString);
      return DataType::kString;
    case Fn::kSubstr:
      RequireType(call, 0, DataType::kString);
      RequireType(call, 1, DataType::kInt64);
      if (n == 3) RequireType(call, 2, DataType::kInt64);
      return DataType::kString;
    case Fn::kContains: case Fn::kStartsWith:
      RequireType(call, 0, DataType::kString);
      RequireType(call, 1, DataType::kString);
      return DataType::kBool;
    case Fn::kHashBucket: {
      const Node& x = *call.args[0];
      if (IsNullLit(x)) call.args[0]->type = DataType::kInt64;
      else if (x.type == DataType::kFloat64 || x.type == DataType::kFloat64List) {
        ArgError(call, 0, "an int64, string, bool or timestamp");
      }
      const Node& b = *call.args[1];
      if (b.op != Op::kLiteral || b.literal.type != DataType::kInt64 || b.literal.i <= 0) {
        throw SyntaxError{"the bucket count of hash_bucket() must be a positive integer literal"};
      }
      return DataType::kInt64;
    }
    case Fn::kHour: case Fn::kDayOfWeek: case Fn::kEpochSeconds:
      RequireType(call, 0, DataType::kTimestamp);
      return DataType::kInt64;
  }
  return DataType::kInt64;
}

Value CallFunction(Fn fn, const std::vector<Value>& a) {
  // Functions with their own null rules.
  if (fn == Fn::kIf) return (!a[0].is_null && a[0].i) ? a[1] : a[2];
  if (fn == Fn::kCoalesce) {
    for (const Value& v : a) {
      if (!v.is_null) return v;
    }
    return a.back();
  }
  for (const Value& v : a) {
    if (v.is_null) {
      // Result type of a null-propagating call: that of the call, decided by the caller's
      // column; return an int64 null that the caller retypes.
      return Value::Null(DataType::kInt64);
    }
  }
  switch (fn) {
    case Fn::kAbs:
      if (a[0].type == DataType::kInt64) {
        if (a[0].i == INT64_MIN) return Value::Null(DataType::kInt64);
        return Value::Int(a[0].i < 0 ? -a[0].i : a[0].i);
      }
      return Value::Float(std::fabs(a[0].d));
    case Fn::kLog: return a[0].d <= 0 ? Value::Null(DataType::kFloat64) : FloatOrNull(std::log(a[0].d));
    case Fn::kLog1p:
      return a[0].d <= -1 ? Value::Null(DataType::kFloat64) : FloatOrNull(std::log1p(a[0].d));
    case Fn::kExp: return FloatOrNull(std::exp(a[0].d));
    case Fn::kSqrt: return a[0].d < 0 ? Value::Null(DataType::kFloat64) : FloatOrNull(std::sqrt(a[0].d));
    case Fn::kPow: return FloatOrNull(std::pow(a[0].d, a[1].d));
    case Fn::kFloor: return FloatOrNull(std::floor(a[0].d));
    case Fn::kCeil: return FloatOrNull(std::ceil(a[0].d));
    case Fn::kRound: return FloatOrNull(RoundTo(a[0].d, a.size() > 1 ? a[1].i : 0));
    case Fn::kClamp:
      if (a[0].type == DataType::kInt64) return Value::Int(std::min(std::max(a[0].i, a[1].i), a[2].i));
      return FloatOrNull(std::min(std::max(a[0].d, a[1].d), a[2].d));
    case Fn::kLower: case Fn::kUpper: {
      std::string s = a[0].s;
      for (char& c : s) {
        if (fn == Fn::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (fn == Fn::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      }
      return Value::String(std::move(s));
    }
    case Fn::kLength:
      return Value::Int(static_cast<int64_t>(a[0].type == DataType::kFloat64List ? a[0].list.size()
                                                                              : a[0].s.size()));
    case Fn::kConcat: {
      std::string s;
      for (const Value& v : a) s += v.s;
      return Value::String(std::move(s));
    }
    case Fn::kSubstr: {
      const std::string& s = a[0].s;
      const int64_t start = std::max<int64_t>(a[1].i, 1) - 1;
      if (a.size() > 2 && a[2].i < 0) return Value::Null(DataType::kString);
      if (start >= static_cast<int64_t>(s.size())) return Value::String("");
      const size_t len = a.size() > 2 ? static_cast<size_t>(a[2].i) : std::string::npos;
      return Value::String(s.substr(static_cast<size_t>(start), len));
    }
    case Fn::kContains: return Value::Bool(a[0].s.find(a[1].s) != std::string::npos);
    case Fn::kStartsWith: return Value::Bool(a[0].s.starts_with(a[1].s));
    case Fn::kHashBucket: {
      uint64_t h;
      if (a[0].type == DataType::kString) {
        h = XXH64(a[0].s.data(), a[0].s.size(), 0);
      } else {
        char buf[8];
        std::memcpy(buf, &a[0].i, 8);  // little-endian hosts
        h = XXH64(buf, 8, 0);
      }
      return Value::Int(static_cast<int64_t>(h % static_cast<uint64_t>(a[1].i)));
    }
    case Fn::kHour: return Value::Int(HourOf(a[0].i));
    case Fn::kDayOfWeek: return Value::Int(DayOfWeekOf(a[0].i));
    case Fn::kEpochSeconds: return Value::Int(EpochSecondsOf(a[0].i));
    default: break;
  }
  return Value::Null(DataType::kInt64);
}

}  // namespace sluice::expr
