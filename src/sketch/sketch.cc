#include "sketch/sketch.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "common/bytes.h"
#include "common/hash.h"
#include "sluice/error.h"

namespace sluice::sketch {
namespace {

[[noreturn]] void Invalid(const char* what, const char* message) {
  throw InputError(std::string(what) + ": " + message);
}

}  // namespace

// ---- Moments ----

void Moments::Update(double x) {
  if (!std::isfinite(x)) return;
  min = count == 0 ? x : std::min(min, x);
  max = count == 0 ? x : std::max(max, x);
  Add(x);
}

void Moments::UpdateBatch(std::span<const double> xs) {
  Moments b;
  double sum = 0;
  for (double x : xs) {
    if (!std::isfinite(x)) continue;
    if (b.count++ == 0) b.min = b.max = x;
    b.min = std::min(b.min, x);
    b.max = std::max(b.max, x);
    sum += x;
  }
  if (b.count == 0) return;
  b.mean = sum / static_cast<double>(b.count);
  for (double x : xs) {
    if (std::isfinite(x)) b.m2 += (x - b.mean) * (x - b.mean);
  }
  Merge(b);
}

void Moments::Merge(const Moments& other) {
  if (other.count == 0) return;
  min = count == 0 ? other.min : std::min(min, other.min);
  max = count == 0 ? other.max : std::max(max, other.max);
  Welford::Merge(other);
}

double Moments::Variance() const { return count < 2 ? 0 : SampleVariance(); }

double Moments::Stddev() const { return std::sqrt(Variance()); }

// i64 count, f64 min, max, mean, m2.
void Moments::Serialize(std::string& out) const {
  PutRaw(out, count);
  PutRaw(out, min);
  PutRaw(out, max);
  PutRaw(out, mean);
  PutRaw(out, m2);
}

Moments Moments::Deserialize(std::string_view& in, const char* what) {
  Moments m;
  m.count = TakeRaw<int64_t>(in, what);
  m.min = TakeRaw<double>(in, what);
  m.max = TakeRaw<double>(in, what);
  m.mean = TakeRaw<double>(in, what);
  m.m2 = TakeRaw<double>(in, what);
  if (m.count < 0) Invalid(what, "negative count in moments");
  if (m.count > 0 && !(m.min <= m.max)) Invalid(what, "moments with min above max");
  return m;
}

// ---- KllSketch ----
//
// Level h holds items of weight 2^h; levels above 0 are sorted. With H levels, level h has
// capacity max(8, round(k * (2/3)^(H-1-h))): k at the top, shrinking geometrically downwards,
// so the sketch keeps about 3k items plus 8 per level deeper than ~ log_{3/2}(k / 8); level 0
// has at least 32 once there are two levels (fewer compactions of weight-1 items, each
// sorted by networks of 16 and branchless merges). Update
// appends to level 0; only when the retained items exceed the total capacity is the lowest
// level at or over its capacity compacted: sorted, one item left behind if its size is odd,
// and the odd- or even-positioned half (a coin hashed from compactions_) moved up with doubled
// weight. Each compaction of s items costs O(s log s) and removes s / 2, so Update is
// amortised O(log k): constant for a fixed k.
//
// Sampler (the paper's §4): levels below the ones with more than the minimum capacity only
// shuffle items upwards. Once there are L such low levels, Update stops writing level 0 and
// instead keeps one value per block of 2^L (a reservoir of one, the coin hashed from n_),
// which goes into level L with weight 2^L — the same rank error as those levels' compactions
// (about sqrt(2^L / n), below 0.5% here), at a few ns per value instead of sorting and merging
// every value. A partial block counts as its pick with the block's weight (queries, merges,
// the encoding), so the weights always add up to n.

namespace {

constexpr uint32_t kKllMinCapacity = 8;

// SplitMix64's finalizer: a well-mixed 64-bit function of x.
uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

constexpr size_t kKllMaxLevels = 61;  // weights 2^h stay far below 2^64

// The number of levels (from the top) whose capacity is above the minimum for this k: with more
// levels than that, the ones below them are left to the sampler.
size_t FullLevels(uint16_t k) {
  size_t levels = 1;
  for (double c = k; c > kKllMinCapacity; c *= 2.0 / 3.0) ++levels;
  return levels;
}

// Level 0 holds at least this many items once there are two levels: it is compacted whole,
// so a larger level 0 means fewer, longer compactions (sorted cheaply in blocks below), and a
// few more items kept.
constexpr uint32_t kKllLevel0Capacity = 32;

// std::merge of [a, a + na) and [b, b + nb) without branches on the comparison (they
// mispredict on random data); ties take `a` first, as std::merge.
void MergeSorted(const double* a, size_t na, const double* b, size_t nb, double* out) {
  const double* const a_end = a + na;
  const double* const b_end = b + nb;
  while (a != a_end && b != b_end) {
    const bool take_b = *b < *a;
    *out++ = take_b ? *b : *a;
    b += take_b;
    a += !take_b;
  }
  out = std::copy(a, a_end, out);
  std::copy(b, b_end, out);
}

// Batcher's odd-even merge sort network for 16 items: 63 compare-exchanges, no branches.
struct Exchange {
  uint8_t lo, hi;
};
constexpr size_t kNetworkSize = 16;
constexpr std::array<Exchange, 63> kNetwork16 = [] {
  std::array<Exchange, 63> net{};
  size_t count = 0;
  for (size_t p = 1; p < kNetworkSize; p <<= 1) {
    for (size_t k = p; k >= 1; k >>= 1) {
      for (size_t j = k % p; j + k < kNetworkSize; j += 2 * k) {
        for (size_t i = 0; i < k && i + j + k < kNetworkSize; ++i) {
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) {
            net[count++] = {static_cast<uint8_t>(i + j), static_cast<uint8_t>(i + j + k)};
          }
        }
      }
    }
  }
  if (count != net.size()) throw "odd-even merge sort network: wrong size";
  return net;
}();

void Sort16(double* v) {
#pragma GCC unroll 64
  for (const Exchange& e : kNetwork16) {
    const double a = v[e.lo], b = v[e.hi];
    v[e.lo] = std::min(a, b);
    v[e.hi] = std::max(a, b);
  }
}

}  // namespace

// Sorts `v` (no NaN): blocks of 16 by the network (the last padded with +infinity, cut off
// after), then bottom-up branchless merges: no comparison branches to mispredict.
void SortDoubles(std::vector<double>& v) {
  const size_t n = v.size();
  if (std::is_sorted(v.begin(), v.end())) return;  // cheap, and common (timestamps, ids)
  const size_t padded = (n + kNetworkSize - 1) / kNetworkSize * kNetworkSize;
  v.resize(padded, HUGE_VAL);
  for (size_t i = 0; i < padded; i += kNetworkSize) Sort16(v.data() + i);
  thread_local std::vector<double> other;
  other.resize(padded);
  for (size_t width = kNetworkSize; width < padded; width *= 2) {
    for (size_t lo = 0; lo < padded; lo += 2 * width) {
      const size_t mid = std::min(lo + width, padded), hi = std::min(lo + 2 * width, padded);
      MergeSorted(v.data() + lo, mid - lo, v.data() + mid, hi - mid, other.data() + lo);
    }
    v.swap(other);
  }
  v.resize(n);
}

KllSketch::KllSketch(uint16_t k) : k_(std::max<uint16_t>(k, kKllMinCapacity)) {
  levels_.emplace_back();
  UpdateCapacities();
}

void KllSketch::UpdateCapacities() {
  const size_t levels = levels_.size();
  capacities_.assign(levels, 0);
  total_capacity_ = 0;
  double c = k_;
  for (size_t depth = 0; depth < levels; ++depth) {
    const uint32_t cap = std::max<uint32_t>(kKllMinCapacity, static_cast<uint32_t>(std::lround(c)));
    capacities_[levels - 1 - depth] =
        depth + 1 == levels && levels > 1 ? std::max(cap, kKllLevel0Capacity) : cap;
    total_capacity_ += capacities_[levels - 1 - depth];
    c *= 2.0 / 3.0;
  }
}

void KllSketch::Update(double x) {
  if (std::isnan(x)) return;
  if (n_ == 0) {
    min_ = max_ = x;
  } else {
    if (x < min_) min_ = x;
    if (x > max_) max_ = x;
  }
  ++n_;
  if (sampled_ == 0) {
    levels_[0].push_back(x);
    if (++retained_ > total_capacity_) Settle();
    return;
  }
  // A reservoir of one over the block: the i-th value replaces the pick with probability 1/i
  // (a coin hashed from n_, scaled by a multiply, not a division).
  ++block_;
  if (static_cast<uint64_t>((static_cast<unsigned __int128>(Mix64(n_)) * block_) >> 64) == 0) {
    pick_ = x;
  }
  if (block_ == uint64_t{1} << sampled_) {
    block_ = 0;
    Place(sampled_, pick_);
    if (retained_ > total_capacity_) Settle();
  }
}

void KllSketch::Place(size_t h, double x) {
  if (h >= levels_.size()) {
    if (h >= kKllMaxLevels) throw InternalError("KLL sketch: too many levels");
    levels_.resize(h + 1);
    UpdateCapacities();
  }
  std::vector<double>& level = levels_[h];
  level.insert(h == 0 ? level.end() : std::upper_bound(level.begin(), level.end(), x), x);
  ++retained_;
}

void KllSketch::PlaceWeighted(uint64_t weight, double x) {
  for (size_t h = 0; weight >> h != 0; ++h) {
    if ((weight >> h) & 1) Place(h, x);
  }
}

void KllSketch::FlushBlock() {
  PlaceWeighted(block_, pick_);
  block_ = 0;
}

void KllSketch::Settle() {
  for (;;) {
    Compress();
    const size_t full = FullLevels(k_);
    const size_t target = levels_.size() > full ? levels_.size() - full : 0;
    if (target <= sampled_) return;
    FlushBlock();  // its weight is below the old block size: levels under the new sampler
    sampled_ = static_cast<uint8_t>(target);
  }
}

void KllSketch::Compress() {
  while (retained_ > total_capacity_) {
    size_t h = 0;
    while (levels_[h].size() < capacities_[h]) ++h;  // exists: the total is over capacity
    CompactLevel(h);
  }
}

void KllSketch::CompactLevel(size_t h) {
  if (h + 1 == levels_.size()) {
    if (levels_.size() == kKllMaxLevels) throw InternalError("KLL sketch: too many levels");
    levels_.emplace_back();  // before taking references: this may move the levels
    UpdateCapacities();
  }
  std::vector<double>& level = levels_[h];
  std::vector<double>& above = levels_[h + 1];
  if (h == 0) SortDoubles(level);
  // An odd size leaves the least item behind (still sorted for h >= 1).
  const size_t start = level.size() & 1;
  const size_t pairs = (level.size() - start) / 2;
  // The kept half by a coin that is a hash of the compaction count: deterministic, and free of
  // the bias a plain alternation has when compactions of levels repeat in a fixed pattern.
  const size_t offset = Mix64(compactions_++) >> 63;
  thread_local std::vector<double> half, merged;
  half.clear();
  for (size_t i = 0; i < pairs; ++i) half.push_back(level[start + 2 * i + offset]);
  level.resize(start);
  merged.resize(above.size() + half.size());
  MergeSorted(above.data(), above.size(), half.data(), half.size(), merged.data());
  above.swap(merged);
  retained_ -= pairs;
}

void KllSketch::Merge(const KllSketch& other) {
  if (other.n_ == 0) return;
  if (n_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  n_ += other.n_;
  if (levels_.size() < other.levels_.size()) {
    levels_.resize(other.levels_.size());
    UpdateCapacities();
  }
  levels_[0].insert(levels_[0].end(), other.levels_[0].begin(), other.levels_[0].end());
  for (size_t h = 1; h < other.levels_.size(); ++h) {
    const std::vector<double>& b = other.levels_[h];
    if (b.empty()) continue;
    std::vector<double>& a = levels_[h];
    const size_t mid = a.size();
    a.insert(a.end(), b.begin(), b.end());
    std::inplace_merge(a.begin(), a.begin() + mid, a.end());
  }
  retained_ += other.retained_;
  // The other's partial block, as items of its weight; the deeper sampler of the two.
  PlaceWeighted(other.block_, other.pick_);
  if (other.sampled_ > sampled_) {
    FlushBlock();
    sampled_ = other.sampled_;
  }
  Settle();
}

std::vector<std::pair<double, uint64_t>> KllSketch::WeightedItems() const {
  std::vector<std::pair<double, uint64_t>> items;
  items.reserve(retained_);
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (double x : levels_[h]) items.emplace_back(x, uint64_t{1} << h);
  }
  if (block_ > 0) items.emplace_back(pick_, block_);
  std::sort(items.begin(), items.end());
  return items;
}

double KllSketch::Quantile(double q) const {
  if (empty()) throw InternalError("KLL sketch: quantile of no values");
  if (!(q > 0)) return min_;
  if (q >= 1) return max_;
  // The least retained item whose cumulative weight reaches q * n.
  const double target = q * static_cast<double>(n_);
  uint64_t cumulative = 0;
  for (const auto& [x, w] : WeightedItems()) {
    cumulative += w;
    if (static_cast<double>(cumulative) >= target) return std::clamp(x, min_, max_);
  }
  return max_;
}

double KllSketch::Rank(double x) const {
  if (empty() || x < min_) return 0;
  if (x >= max_) return 1;
  uint64_t weight = 0;
  for (size_t h = 0; h < levels_.size(); ++h) {
    const std::vector<double>& level = levels_[h];
    const auto count =
        h == 0 ? std::count_if(level.begin(), level.end(), [x](double v) { return v <= x; })
               : std::upper_bound(level.begin(), level.end(), x) - level.begin();
    weight += static_cast<uint64_t>(count) << h;
  }
  if (block_ > 0 && pick_ <= x) weight += block_;
  return static_cast<double>(weight) / static_cast<double>(n_);
}

// u16 k, u64 n, f64 min, f64 max, u64 compactions, u8 levels, then per level u32 count and
// that many f64 items (level 0 in arrival order, the others sorted); then the sampler: u8
// level, u64 values of the partial block, f64 its pick.
void KllSketch::Serialize(std::string& out) const {
  PutRaw(out, k_);
  PutRaw(out, n_);
  PutRaw(out, min_);
  PutRaw(out, max_);
  PutRaw(out, compactions_);
  PutRaw(out, static_cast<uint8_t>(levels_.size()));
  for (const std::vector<double>& level : levels_) {
    PutRaw(out, static_cast<uint32_t>(level.size()));
    out.append(reinterpret_cast<const char*>(level.data()), level.size() * sizeof(double));
  }
  PutRaw(out, sampled_);
  PutRaw(out, block_);
  PutRaw(out, pick_);
}

KllSketch KllSketch::Deserialize(std::string_view& in, const char* what, bool sampler) {
  const uint16_t k = TakeRaw<uint16_t>(in, what);
  if (k < kKllMinCapacity) Invalid(what, "KLL sketch k below 8");
  KllSketch s(k);
  s.n_ = TakeRaw<uint64_t>(in, what);
  s.min_ = TakeRaw<double>(in, what);
  s.max_ = TakeRaw<double>(in, what);
  s.compactions_ = TakeRaw<uint64_t>(in, what);
  const uint8_t levels = TakeRaw<uint8_t>(in, what);
  if (levels == 0 || levels > kKllMaxLevels) Invalid(what, "bad KLL sketch level count");
  s.levels_.assign(levels, {});
  unsigned __int128 weight = 0;
  for (size_t h = 0; h < levels; ++h) {
    const uint32_t count = TakeRaw<uint32_t>(in, what);
    const std::string_view bytes = TakeN(in, size_t{count} * sizeof(double), what);
    std::vector<double>& level = s.levels_[h];
    level.resize(count);
    if (count > 0) std::memcpy(level.data(), bytes.data(), bytes.size());  // data() may be null
    for (double x : level) {
      if (std::isnan(x) || x < s.min_ || x > s.max_) Invalid(what, "KLL sketch item out of range");
    }
    if (h > 0 && !std::is_sorted(level.begin(), level.end())) {
      Invalid(what, "KLL sketch level not sorted");
    }
    weight += static_cast<unsigned __int128>(count) << h;
    s.retained_ += count;
  }
  if (sampler) {
    s.sampled_ = TakeRaw<uint8_t>(in, what);
    s.block_ = TakeRaw<uint64_t>(in, what);
    s.pick_ = TakeRaw<double>(in, what);
    if (s.sampled_ >= kKllMaxLevels || s.block_ >= (uint64_t{1} << s.sampled_)) {
      Invalid(what, "bad KLL sketch sampler");
    }
    if (s.block_ > 0 && (std::isnan(s.pick_) || s.pick_ < s.min_ || s.pick_ > s.max_)) {
      Invalid(what, "KLL sketch item out of range");
    }
    weight += s.block_;
  }
  if (weight != s.n_) Invalid(what, "KLL sketch weights do not add up to its count");
  if (s.n_ > 0 && (std::isnan(s.min_) || std::isnan(s.max_) || s.min_ > s.max_)) {
    Invalid(what, "KLL sketch with a bad min or max");
  }
  s.UpdateCapacities();
  if (s.retained_ > s.total_capacity_) Invalid(what, "KLL sketch over capacity");
  return s;
}

// ---- HyperLogLog ----
//
// Up to kSparseMax distinct hashes are kept exactly (sorted); beyond that the state becomes
// 2^kP one-byte registers (HyperLogLog, standard error 1.04 / sqrt(4096) ≈ 1.6%). Merging is a
// union (sparse) or a register-wise max (dense), so it is order-independent and exact across
// tiles.

namespace {

constexpr int kP = 12;
constexpr size_t kRegisters = size_t{1} << kP;
constexpr size_t kSparseMax = 256;

void AddToRegisters(std::vector<uint8_t>& regs, uint64_t h) {
  const size_t index = h >> (64 - kP);
  const uint64_t rest = (h << kP) | (uint64_t{1} << (kP - 1));  // guard bit bounds the rank
  const uint8_t rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
  regs[index] = std::max(regs[index], rank);
}

}  // namespace

void HyperLogLog::Densify() {
  registers_.assign(kRegisters, 0);
  for (uint64_t h : sparse_) AddToRegisters(registers_, h);
  sparse_.clear();
  sparse_.shrink_to_fit();
}

void HyperLogLog::Add(uint64_t hash) {
  if (!registers_.empty()) {
    AddToRegisters(registers_, hash);
    return;
  }
  auto it = std::lower_bound(sparse_.begin(), sparse_.end(), hash);
  if (it != sparse_.end() && *it == hash) return;
  sparse_.insert(it, hash);
  if (sparse_.size() > kSparseMax) Densify();
}

void HyperLogLog::Merge(const HyperLogLog& other) {
  if (other.registers_.empty()) {
    for (uint64_t h : other.sparse_) Add(h);
    return;
  }
  if (registers_.empty()) Densify();
  for (size_t i = 0; i < kRegisters; ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
}

int64_t HyperLogLog::Estimate() const {
  if (registers_.empty()) return static_cast<int64_t>(sparse_.size());
  const double m = static_cast<double>(kRegisters);
  double inverse_sum = 0;
  size_t zeros = 0;
  for (uint8_t r : registers_) {
    inverse_sum += std::ldexp(1.0, -r);
    zeros += r == 0;
  }
  const double alpha = 0.7213 / (1 + 1.079 / m);
  double e = alpha * m * m / inverse_sum;
  if (e <= 2.5 * m && zeros > 0) {
    e = m * std::log(m / static_cast<double>(zeros));  // linear counting
  }
  return static_cast<int64_t>(std::llround(e));
}

void HyperLogLog::Serialize(std::string& out) const {
  if (registers_.empty()) {
    PutRaw<uint8_t>(out, 0);
    PutRaw(out, static_cast<uint32_t>(sparse_.size()));
    for (uint64_t h : sparse_) PutRaw(out, h);
  } else {
    PutRaw<uint8_t>(out, 1);
    out.append(reinterpret_cast<const char*>(registers_.data()), kRegisters);
  }
}

HyperLogLog HyperLogLog::Deserialize(std::string_view& in, const char* what) {
  HyperLogLog hll;
  const uint8_t mode = TakeRaw<uint8_t>(in, what);
  if (mode == 0) {
    const uint32_t n = TakeRaw<uint32_t>(in, what);
    if (n > kSparseMax) Invalid(what, "sparse HyperLogLog too large");
    hll.sparse_.reserve(n);
    for (uint32_t k = 0; k < n; ++k) hll.sparse_.push_back(TakeRaw<uint64_t>(in, what));
    if (!std::is_sorted(hll.sparse_.begin(), hll.sparse_.end())) {
      Invalid(what, "sparse HyperLogLog not sorted");
    }
  } else if (mode == 1) {
    const std::string_view regs = TakeN(in, kRegisters, what);
    hll.registers_.assign(regs.begin(), regs.end());
  } else {
    Invalid(what, "unknown HyperLogLog mode");
  }
  return hll;
}

// ---- TopK ----
//
// SpaceSaving: `capacity` counters, found by value through table_; the counter to evict (the
// least count) is the root of a binary heap over the slots, so an update costs O(1) for the
// lookup plus O(log capacity) to restore the heap.

TopK::TopK(uint32_t capacity) : capacity_(std::max<uint32_t>(capacity, 1)) {
  table_.Reset(2 * static_cast<size_t>(capacity_));  // load factor <= 1/4: it never grows
}

uint64_t TopK::HashOf(std::string_view value) { return XXH3_64bits(value.data(), value.size()); }

size_t TopK::Probe(std::string_view value, uint64_t hash) const {
  return table_.Probe(
      hash, [&](TableSlot s) { return hashes_[s.slot] == hash && items_[s.slot].value == value; });
}

bool TopK::EvictsBefore(uint32_t a, uint32_t b) const {
  const Item& x = items_[a];
  const Item& y = items_[b];
  if (x.count != y.count) return x.count < y.count;
  // Ties (all-distinct streams are all ties) by a hash of the value, not the value: string
  // comparisons were most of a profile's time on an ID column.
  if (hashes_[a] != hashes_[b]) return hashes_[a] > hashes_[b];
  return x.value > y.value;
}

void TopK::SiftUp(size_t pos) {
  const uint32_t slot = heap_[pos];
  while (pos > 0) {
    const size_t parent = (pos - 1) / 2;
    if (!EvictsBefore(slot, heap_[parent])) break;
    heap_[pos] = heap_[parent];
    heap_pos_[heap_[pos]] = static_cast<uint32_t>(pos);
    pos = parent;
  }
  heap_[pos] = slot;
  heap_pos_[slot] = static_cast<uint32_t>(pos);
}

void TopK::SiftDown(size_t pos) {
  const uint32_t slot = heap_[pos];
  const size_t size = heap_.size();
  while (true) {
    size_t child = 2 * pos + 1;
    if (child >= size) break;
    if (child + 1 < size && EvictsBefore(heap_[child + 1], heap_[child])) ++child;
    if (!EvictsBefore(heap_[child], slot)) break;
    heap_[pos] = heap_[child];
    heap_pos_[heap_[pos]] = static_cast<uint32_t>(pos);
    pos = child;
  }
  heap_[pos] = slot;
  heap_pos_[slot] = static_cast<uint32_t>(pos);
}

void TopK::Update(std::string_view value, uint64_t weight) {
  if (weight == 0) return;
  n_ += weight;
  const uint64_t hash = HashOf(value);
  const size_t at = Probe(value, hash);
  if (const TableSlot* found = table_.At(at)) {
    const uint32_t slot = found->slot;
    items_[slot].count += weight;  // a larger count moves away from the root
    SiftDown(heap_pos_[slot]);
    return;
  }
  if (items_.size() < capacity_) {
    const uint32_t slot = static_cast<uint32_t>(items_.size());
    items_.push_back({std::string(value), weight, 0});
    hashes_.push_back(hash);
    table_.Insert(at, {slot}, [this](TableSlot s) { return hashes_[s.slot]; });
    heap_.push_back(slot);
    heap_pos_.push_back(0);
    SiftUp(heap_.size() - 1);
    return;
  }
  // Replace the least counter; its string is reused, so a full TopK does not allocate for
  // values no longer than the ones it replaces.
  exact_ = false;
  const uint32_t slot = heap_[0];
  const auto hash_of = [this](TableSlot s) { return hashes_[s.slot]; };
  table_.Erase(Probe(items_[slot].value, hashes_[slot]), hash_of);
  Item& item = items_[slot];
  item.value.assign(value);
  hashes_[slot] = hash;
  table_.Insert(Probe(value, hash), {slot}, hash_of);
  item.error = item.count;
  item.count += weight;
  SiftDown(0);
}

// A batch is an exact summary of its values; merging it follows Merge (Cafaro et al.): the
// monitored values add their batch counts, a new value gets its batch count plus the least
// count (its possible earlier occurrences, 0 while exact) as count and error, and the
// `capacity` greatest counts stay.
void TopK::UpdateBatch(std::span<const std::string_view> values) {
  if (values.empty()) return;
  struct Distinct {
    uint64_t hash;
    uint64_t count;
    uint32_t first;  // index into values
  };
  thread_local std::vector<Distinct> distinct;  // in order of first occurrence
  thread_local FlatTable<TableSlot> index;      // value -> entry of distinct (as TableSlot::slot)
  distinct.clear();
  index.Reset(values.size());  // load factor <= 1/2: it never grows
  const auto hash_of = [](TableSlot s) { return distinct[s.slot].hash; };
  for (uint32_t i = 0; i < values.size(); ++i) {
    const std::string_view v = values[i];
    const uint64_t h = HashOf(v);
    const size_t at = index.Probe(h, [&](TableSlot s) {
      return distinct[s.slot].hash == h && values[distinct[s.slot].first] == v;
    });
    if (const TableSlot* found = index.At(at)) {
      ++distinct[found->slot].count;
    } else {
      distinct.push_back({h, 1, i});
      index.Insert(at, {static_cast<uint32_t>(distinct.size() - 1)}, hash_of);
    }
  }
  n_ += values.size();
  const uint64_t least = exact_ || heap_.empty() ? 0 : items_[heap_[0]].count;
  thread_local std::vector<uint32_t> fresh;  // distinct values not monitored
  fresh.clear();
  for (uint32_t e = 0; e < distinct.size(); ++e) {
    const Distinct& d = distinct[e];
    if (const TableSlot* found = table_.At(Probe(values[d.first], d.hash))) {
      items_[found->slot].count += d.count;
    } else {
      fresh.push_back(e);
    }
  }
  auto fresh_item = [&](uint32_t e) {
    return Item{std::string(values[distinct[e].first]), distinct[e].count + least, least};
  };
  if (items_.size() + fresh.size() <= capacity_) {
    for (uint32_t e : fresh) items_.push_back(fresh_item(e));
    Rebuild();
    return;
  }
  exact_ = false;
  // Keep the capacity_ greatest counts; ties by the lesser hash, then the lesser value. A heap
  // of the best so far with the worst on top: most fresh values of a high-cardinality column
  // lose to the top in one comparison.
  struct Candidate {
    uint64_t count;
    uint64_t hash;
    uint32_t index;  // slot in items_, or (fresh) index into distinct
    bool fresh;
  };
  auto value = [&](const Candidate& c) -> std::string_view {
    return c.fresh ? values[distinct[c.index].first] : std::string_view(items_[c.index].value);
  };
  auto before = [&](const Candidate& a, const Candidate& b) {  // a ranks before b
    if (a.count != b.count) return a.count > b.count;
    if (a.hash != b.hash) return a.hash < b.hash;
    return value(a) < value(b);
  };
  thread_local std::vector<Candidate> best;
  best.clear();
  for (uint32_t slot = 0; slot < items_.size(); ++slot) {
    best.push_back({items_[slot].count, hashes_[slot], slot, false});
  }
  std::make_heap(best.begin(), best.end(), before);
  for (uint32_t e : fresh) {
    const Candidate c{distinct[e].count + least, distinct[e].hash, e, true};
    if (best.size() < capacity_) {
      best.push_back(c);
      std::push_heap(best.begin(), best.end(), before);
    } else if (before(c, best.front())) {
      std::pop_heap(best.begin(), best.end(), before);
      best.back() = c;
      std::push_heap(best.begin(), best.end(), before);
    }
  }
  std::vector<Item> kept;
  kept.reserve(capacity_);
  for (const Candidate& c : best) {
    kept.push_back(c.fresh ? fresh_item(c.index) : std::move(items_[c.index]));
  }
  items_ = std::move(kept);
  Rebuild();
}

void TopK::Rebuild() {
  table_.Reset(2 * static_cast<size_t>(capacity_));
  hashes_.clear();
  for (const Item& item : items_) hashes_.push_back(HashOf(item.value));
  heap_.resize(items_.size());
  heap_pos_.resize(items_.size());
  for (uint32_t slot = 0; slot < items_.size(); ++slot) {
    table_.Insert(Probe(items_[slot].value, hashes_[slot]), {slot},
                  [this](TableSlot s) { return hashes_[s.slot]; });
    heap_[slot] = slot;
  }
  for (size_t pos = heap_.size() / 2; pos-- > 0;) SiftDown(pos);
  for (size_t pos = 0; pos < heap_.size(); ++pos) {
    heap_pos_[heap_[pos]] = static_cast<uint32_t>(pos);
  }
}

int64_t TopK::SlotOf(std::string_view value) const {
  const TableSlot* found = table_.At(Probe(value, HashOf(value)));
  return found ? static_cast<int64_t>(found->slot) : -1;
}

// The merge of parallel SpaceSaving (Cafaro et al. 2016): a value that a summary does not
// monitor occurred there at most its least count (0 while exact), so that bound is added to
// its count and its error; counts of values in both are summed, and the `capacity` greatest
// counts are kept. Counts stay upper bounds and errors stay bounds on the overestimate.
void TopK::Merge(const TopK& other) {
  if (other.n_ == 0) return;
  auto least = [](const TopK& t) -> uint64_t {
    if (t.exact_ || t.heap_.empty()) return 0;
    return t.items_[t.heap_[0]].count;
  };
  const uint64_t least_this = least(*this), least_other = least(other);
  std::vector<Item> merged;
  merged.reserve(items_.size() + other.items_.size());
  for (const Item& a : items_) {
    Item m = a;
    if (const int64_t slot = other.SlotOf(a.value); slot >= 0) {
      m.count += other.items_[slot].count;
      m.error += other.items_[slot].error;
    } else {
      m.count += least_other;
      m.error += least_other;
    }
    merged.push_back(std::move(m));
  }
  for (const Item& b : other.items_) {
    if (SlotOf(b.value) >= 0) continue;
    merged.push_back({b.value, b.count + least_this, b.error + least_this});
  }
  auto order = [](const Item& x, const Item& y) {
    return x.count != y.count ? x.count > y.count : x.value < y.value;
  };
  std::sort(merged.begin(), merged.end(), order);
  if (merged.size() > capacity_) {
    merged.resize(capacity_);
    exact_ = false;
  }
  exact_ = exact_ && other.exact_;
  n_ += other.n_;
  items_ = std::move(merged);
  Rebuild();
}

std::vector<TopK::Item> TopK::Items(size_t limit) const {
  std::vector<Item> items = items_;
  auto order = [](const Item& x, const Item& y) {
    return x.count != y.count ? x.count > y.count : x.value < y.value;
  };
  if (limit > 0 && limit < items.size()) {
    std::partial_sort(items.begin(), items.begin() + static_cast<ptrdiff_t>(limit), items.end(),
                      order);
    items.resize(limit);
  } else {
    std::sort(items.begin(), items.end(), order);
  }
  return items;
}

// u32 capacity, u64 n, u8 exact, u32 count, then the items in Items() order: u32 length and
// the value's bytes, u64 count, u64 error.
void TopK::Serialize(std::string& out) const {
  PutRaw(out, capacity_);
  PutRaw(out, n_);
  PutRaw<uint8_t>(out, exact_ ? 1 : 0);
  PutRaw(out, static_cast<uint32_t>(items_.size()));
  for (const Item& item : Items()) {
    PutBytes(out, item.value);
    PutRaw(out, item.count);
    PutRaw(out, item.error);
  }
}

TopK TopK::Deserialize(std::string_view& in, const char* what) {
  const uint32_t capacity = TakeRaw<uint32_t>(in, what);
  if (capacity == 0) Invalid(what, "TopK with no counters");
  // Its index is sized from the capacity: a corrupt one must not reserve gigabytes.
  if (capacity > kMaxTopKCapacity) Invalid(what, "TopK with more counters than sluice keeps");
  TopK t(capacity);
  t.n_ = TakeRaw<uint64_t>(in, what);
  const uint8_t exact = TakeRaw<uint8_t>(in, what);
  if (exact > 1) Invalid(what, "bad TopK exact flag");
  t.exact_ = exact == 1;
  const uint32_t count = TakeRaw<uint32_t>(in, what);
  if (count > capacity) Invalid(what, "TopK with more items than counters");
  // Each item takes at least 20 bytes: reject a count the input cannot hold before reserving.
  if (in.size() / 20 < count) Invalid(what, "truncated encoding");
  t.items_.reserve(count);
  unsigned __int128 total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    Item item;
    item.value = std::string(TakeBytes(in, what));
    item.count = TakeRaw<uint64_t>(in, what);
    item.error = TakeRaw<uint64_t>(in, what);
    if (item.count == 0 || item.error >= item.count) Invalid(what, "bad TopK counter");
    if (!t.items_.empty()) {
      const Item& prev = t.items_.back();
      if (prev.count < item.count || (prev.count == item.count && prev.value >= item.value)) {
        Invalid(what, "TopK items not in order");
      }
    }
    total += item.count - item.error;
    t.items_.push_back(std::move(item));
  }
  if (total > t.n_) Invalid(what, "TopK counts above its total");
  t.Rebuild();
  return t;
}

}  // namespace sluice::sketch
