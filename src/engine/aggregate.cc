#include "engine/aggregate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "common/bytes.h"
#include "common/hash.h"
#include "sketch/sketch.h"
#include "sluice/error.h"

namespace sluice::engine {
namespace {

// Byte encoding of states (common/bytes.h), with errors naming what was being decoded.
constexpr const char* kWhat = "aggregate state";

template <typename T>
void Put(std::string& out, T v) {
  PutRaw(out, v);
}

template <typename T>
T Take(std::string_view& in) {
  return TakeRaw<T>(in, kWhat);
}

std::string_view TakeBytes(std::string_view& in, size_t n) { return TakeN(in, n, kWhat); }

// Neumaier's compensated sum: adds x to (sum, c) so that sum + c carries the rounding error
// of every addition.
inline void CompensatedAdd(double& sum, double& c, double x) {
  const double t = sum + x;
  if (std::fabs(sum) >= std::fabs(x)) {
    c += (sum - t) + x;
  } else {
    c += (x - t) + sum;
  }
  sum = t;
}

inline double AsDouble(const Column& col, size_t row) {
  return col.type == DataType::kFloat64 ? col.f64[row] : static_cast<double>(col.i64[row]);
}

// A finite float result, or null (an overflow to infinity or a NaN is no feature value; the
// expression language makes the same choice).
void SetFloat(Column& out, size_t row, double v) {
  if (!std::isfinite(v)) return;
  out.valid[row] = 1;
  out.f64[row] = v;
}

// The shared plumbing: a state type S constructed in place in caller memory.
template <typename S>
class Impl : public AggregateFunction {
 public:
  Impl(std::string_view name, DataType result) : name_(name), result_(result) {}
  std::string_view name() const override { return name_; }
  DataType result_type() const override { return result_; }
  size_t state_size() const override { return sizeof(S); }
  void Init(char* state) const override { new (state) S(); }
  void Destroy(char* state) const override { As(state).~S(); }

 protected:
  static S& As(char* p) { return *std::launder(reinterpret_cast<S*>(p)); }
  static const S& As(const char* p) { return *std::launder(reinterpret_cast<const S*>(p)); }

 private:
  std::string_view name_;
  DataType result_;
};

// ---- count ----

struct CountState {
  int64_t n = 0;
};

class Count final : public Impl<CountState> {
 public:
  Count() : Impl("count", DataType::kInt64) {}
  void Update(char* s, const Column&, size_t) const override { ++As(s).n; }
  void Merge(char* into, const char* later) const override { As(into).n += As(later).n; }
  void Finalize(const char* s, Column& out, size_t row) const override {
    out.valid[row] = 1;
    out.i64[row] = As(s).n;
  }
  void Serialize(const char* s, std::string& out) const override { Put(out, As(s).n); }
  void Deserialize(std::string_view& in, char* s) const override { As(s).n = Take<int64_t>(in); }
};

// ---- sum ----

struct IntSumState {
  int64_t sum = 0;
  bool overflow = false;
};

class IntSum final : public Impl<IntSumState> {
 public:
  IntSum() : Impl("sum", DataType::kInt64) {}
  void Update(char* s, const Column& in, size_t row) const override { Add(As(s), in.i64[row]); }
  void Merge(char* into, const char* later) const override {
    Add(As(into), As(later).sum);
    As(into).overflow |= As(later).overflow;
  }
  void Finalize(const char* s, Column& out, size_t row) const override {
    if (As(s).overflow) return;  // beyond int64: null, like integer overflow in expressions
    out.valid[row] = 1;
    out.i64[row] = As(s).sum;
  }
  void Serialize(const char* s, std::string& out) const override {
    Put(out, As(s).sum);
    Put<uint8_t>(out, As(s).overflow);
  }
  void Deserialize(std::string_view& in, char* s) const override {
    As(s).sum = Take<int64_t>(in);
    As(s).overflow = Take<uint8_t>(in) != 0;
  }

 private:
  static void Add(IntSumState& st, int64_t v) {
    int64_t r;
    if (__builtin_add_overflow(st.sum, v, &r)) {
      st.overflow = true;
    } else {
      st.sum = r;
    }
  }
};

struct FloatSumState {
  double sum = 0, c = 0;
};

class FloatSum final : public Impl<FloatSumState> {
 public:
  FloatSum() : Impl("sum", DataType::kFloat64) {}
  void Update(char* s, const Column& in, size_t row) const override {
    CompensatedAdd(As(s).sum, As(s).c, in.f64[row]);
  }
  void Merge(char* into, const char* later) const override {
    CompensatedAdd(As(into).sum, As(into).c, As(later).sum);
    As(into).c += As(later).c;
  }
  void Finalize(const char* s, Column& out, size_t row) const override {
    SetFloat(out, row, As(s).sum + As(s).c);
  }
  void Serialize(const char* s, std::string& out) const override {
    Put(out, As(s).sum);
    Put(out, As(s).c);
  }
  void Deserialize(std::string_view& in, char* s) const override {
    As(s).sum = Take<double>(in);
    As(s).c = Take<double>(in);
  }
};

// ---- mean ----

struct MeanState {
  int64_t n = 0;
  double sum = 0, c = 0;
};

class Mean final : public Impl<MeanState> {
 public:
  Mean() : Impl("mean", DataType::kFloat64) {}
  void Update(char* s, const Column& in, size_t row) const override {
    ++As(s).n;
    CompensatedAdd(As(s).sum, As(s).c, AsDouble(in, row));
  }
  void Merge(char* into, const char* later) const override {
    As(into).n += As(later).n;
    CompensatedAdd(As(into).sum, As(into).c, As(later).sum);
    As(into).c += As(later).c;
  }
  void Finalize(const char* s, Column& out, size_t row) const override {
    if (As(s).n == 0) return;
    SetFloat(out, row, (As(s).sum + As(s).c) / static_cast<double>(As(s).n));
  }
  void Serialize(const char* s, std::string& out) const override {
    Put(out, As(s).n);
    Put(out, As(s).sum);
    Put(out, As(s).c);
  }
  void Deserialize(std::string_view& in, char* s) const override {
    As(s).n = Take<int64_t>(in);
    As(s).sum = Take<double>(in);
    As(s).c = Take<double>(in);
  }
};

// ---- variance / stddev (sample): sketch::Welford ----

// The state is sketch::Welford (count, mean, m2: the same bytes as before it was shared).
using MomentsState = sketch::Welford;

class Moments final : public Impl<MomentsState> {
 public:
  explicit Moments(bool stddev)
      : Impl(stddev ? "stddev" : "variance", DataType::kFloat64), stddev_(stddev) {}
  void Update(char* s, const Column& in, size_t row) const override {
    As(s).Add(AsDouble(in, row));
  }
  void Merge(char* into, const char* later) const override { As(into).Merge(As(later)); }
  void Finalize(const char* s, Column& out, size_t row) const override {
    const MomentsState& st = As(s);
    if (st.count < 2) return;  // as in PostgreSQL: a single value has no sample variance
    const double var = st.SampleVariance();
    SetFloat(out, row, stddev_ ? std::sqrt(var) : var);
  }
  void Serialize(const char* s, std::string& out) const override {
    Put(out, As(s).count);
    Put(out, As(s).mean);
    Put(out, As(s).m2);
  }
  void Deserialize(std::string_view& in, char* s) const override {
    As(s).count = Take<int64_t>(in);
    As(s).mean = Take<double>(in);
    As(s).m2 = Take<double>(in);
  }

 private:
  bool stddev_;
};

// ---- one held value: min, max, last, first ----

struct HeldState {
  bool has = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<double> list;
};

void HoldFrom(HeldState& st, const Column& in, size_t row) {
  st.has = true;
  switch (in.type) {
    case DataType::kFloat64:
      st.d = in.f64[row];
      break;
    case DataType::kString:
      st.s = in.str[row];
      break;
    case DataType::kFloat64List:
      st.list = in.list[row];
      break;
    default:
      st.i = in.i64[row];
      break;
  }
}

// -1, 0, 1: the held value against row `row` of `in` (same type; not lists).
int CompareHeld(const HeldState& st, const Column& in, size_t row) {
  switch (in.type) {
    case DataType::kFloat64:
      return st.d < in.f64[row] ? -1 : st.d > in.f64[row] ? 1 : 0;
    case DataType::kString: {
      const int c = st.s.compare(in.str[row]);
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    default:
      return st.i < in.i64[row] ? -1 : st.i > in.i64[row] ? 1 : 0;
  }
}

int CompareHeld(const HeldState& a, const HeldState& b, DataType t) {
  switch (t) {
    case DataType::kFloat64:
      return a.d < b.d ? -1 : a.d > b.d ? 1 : 0;
    case DataType::kString: {
      const int c = a.s.compare(b.s);
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    default:
      return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  }
}

class Held final : public Impl<HeldState> {
 public:
  enum Kind { kMin, kMax, kLast, kFirst };
  Held(Kind kind, DataType type)
      : Impl(kind == kMin    ? "min"
             : kind == kMax  ? "max"
             : kind == kLast ? "last"
                             : "first",
             type),
        kind_(kind),
        type_(type) {}
  void Update(char* s, const Column& in, size_t row) const override {
    HeldState& st = As(s);
    switch (kind_) {
      case kMin:
        if (!st.has || CompareHeld(st, in, row) > 0) HoldFrom(st, in, row);
        break;
      case kMax:
        if (!st.has || CompareHeld(st, in, row) < 0) HoldFrom(st, in, row);
        break;
      case kLast:
        HoldFrom(st, in, row);
        break;
      case kFirst:
        if (!st.has) HoldFrom(st, in, row);
        break;
    }
  }
  void Merge(char* into, const char* later) const override {
    HeldState& a = As(into);
    const HeldState& b = As(later);
    if (!b.has) return;
    bool take = !a.has;
    if (a.has) {
      switch (kind_) {
        case kMin:
          take = CompareHeld(a, b, type_) > 0;
          break;
        case kMax:
          take = CompareHeld(a, b, type_) < 0;
          break;
        case kLast:
          take = true;
          break;
        case kFirst:
          take = false;
          break;
      }
    }
    if (take) a = b;
  }
  void Finalize(const char* s, Column& out, size_t row) const override {
    const HeldState& st = As(s);
    if (!st.has) return;
    out.valid[row] = 1;
    switch (type_) {
      case DataType::kFloat64:
        out.f64[row] = st.d;
        break;
      case DataType::kString:
        out.str[row] = st.s;
        break;
      case DataType::kFloat64List:
        out.list[row] = st.list;
        break;
      default:
        out.i64[row] = st.i;
        break;
    }
  }
  void Serialize(const char* s, std::string& out) const override {
    const HeldState& st = As(s);
    Put<uint8_t>(out, st.has);
    if (!st.has) return;
    switch (type_) {
      case DataType::kFloat64:
        Put(out, st.d);
        break;
      case DataType::kString:
        Put(out, static_cast<uint32_t>(st.s.size()));
        out += st.s;
        break;
      case DataType::kFloat64List:
        Put(out, static_cast<uint32_t>(st.list.size()));
        for (double v : st.list) Put(out, v);
        break;
      default:
        Put(out, st.i);
        break;
    }
  }
  void Deserialize(std::string_view& in, char* s) const override {
    HeldState& st = As(s);
    st.has = Take<uint8_t>(in) != 0;
    if (!st.has) return;
    switch (type_) {
      case DataType::kFloat64:
        st.d = Take<double>(in);
        break;
      case DataType::kString:
        st.s = std::string(TakeBytes(in, Take<uint32_t>(in)));
        break;
      case DataType::kFloat64List: {
        const uint32_t n = Take<uint32_t>(in);
        st.list.resize(n);
        for (uint32_t k = 0; k < n; ++k) st.list[k] = Take<double>(in);
        break;
      }
      default:
        st.i = Take<int64_t>(in);
        break;
    }
  }

 private:
  Kind kind_;
  DataType type_;
};

// ---- approx_count_distinct: HyperLogLog with an exact sparse start ----
//
// Values are hashed with XXH64 over a type tag and their bytes into a sketch::HyperLogLog
// (exact up to 256 distinct hashes, then 4096 registers; its encoding is the tile state).
// Merging is a union (sparse) or a register-wise max (dense), so it is order-independent and
// exact across tiles.

uint64_t HashValue(const Column& in, size_t row) {
  switch (in.type) {
    case DataType::kFloat64: {
      double d = in.f64[row];
      if (d == 0) d = 0;  // -0.0 and 0.0 are one value
      char buf[9] = {'f'};
      std::memcpy(buf + 1, &d, 8);
      return Xxh64(buf, 9);
    }
    case DataType::kString: {
      thread_local std::string buf;  // reused: this runs once per input row
      buf.assign(1, 's');
      buf += in.str[row];
      return Xxh64(buf.data(), buf.size());
    }
    case DataType::kFloat64List: {
      thread_local std::string buf;
      buf.assign(1, 'l');
      for (double d : in.list[row]) buf.append(reinterpret_cast<const char*>(&d), 8);
      return Xxh64(buf.data(), buf.size());
    }
    default: {
      char buf[9] = {'i'};
      std::memcpy(buf + 1, &in.i64[row], 8);
      return Xxh64(buf, 9);
    }
  }
}

class ApproxCountDistinct final : public Impl<sketch::HyperLogLog> {
 public:
  ApproxCountDistinct() : Impl("approx_count_distinct", DataType::kInt64) {}
  void Update(char* s, const Column& in, size_t row) const override {
    As(s).Add(HashValue(in, row));
  }
  void Merge(char* into, const char* later) const override { As(into).Merge(As(later)); }
  void Finalize(const char* s, Column& out, size_t row) const override {
    const sketch::HyperLogLog& st = As(s);
    if (st.empty()) return;  // no rows: null
    out.valid[row] = 1;
    out.i64[row] = st.Estimate();
  }
  void Serialize(const char* s, std::string& out) const override { As(s).Serialize(out); }
  void Deserialize(std::string_view& in, char* s) const override {
    As(s) = sketch::HyperLogLog::Deserialize(in, kWhat);
  }
};

}  // namespace

std::unique_ptr<AggregateFunction> MakeAggregate(std::string_view name,
                                                 std::optional<DataType> input) {
  const bool numeric = input && IsNumeric(*input);
  if (name == "count") return std::make_unique<Count>();
  if (!input) return nullptr;
  if (name == "approx_count_distinct") return std::make_unique<ApproxCountDistinct>();
  if (name == "last") return std::make_unique<Held>(Held::kLast, *input);
  if (name == "first") return std::make_unique<Held>(Held::kFirst, *input);
  if (name == "min" || name == "max") {
    if (*input == DataType::kFloat64List) return nullptr;
    return std::make_unique<Held>(name == "min" ? Held::kMin : Held::kMax, *input);
  }
  if (!numeric) return nullptr;
  if (name == "sum") {
    if (*input == DataType::kInt64) return std::make_unique<IntSum>();
    return std::make_unique<FloatSum>();
  }
  if (name == "mean") return std::make_unique<Mean>();
  if (name == "variance") return std::make_unique<Moments>(false);
  if (name == "stddev") return std::make_unique<Moments>(true);
  return nullptr;
}

AggregateState::AggregateState(const AggregateFunction& fn)
    : fn_(fn), data_(new char[fn.state_size()]) {  // new[] aligns to 16 bytes
  fn_.Init(data_.get());
}

AggregateState::~AggregateState() { fn_.Destroy(data_.get()); }

}  // namespace sluice::engine
