// Mergeable summaries of one column, for profiles (SPEC §7, docs/architecture.md "Data
// quality"). Each is a small value type: Update one value at a time, Merge another summary
// of the same kind (the result summarises both inputs' values), Serialize into a portable
// byte string and Deserialize it back. All are deterministic: the same values in the same
// order give the same bytes, so a stored profile is reproducible.
//
// Not thread-safe: one summary per thread, merged afterwards.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/flat_table.h"

namespace sluice::sketch {

// The running mean and sum of squared deviations of a sequence: Welford's update, merged with
// Chan, Golub and LeVeque's pairwise formula. The one implementation of both, shared by the
// engine's variance and stddev states and by profiles' Moments, so they round alike.
struct Welford {
  int64_t count = 0;
  double mean = 0;
  double m2 = 0;  // sum of (x - mean)^2

  void Add(double x) {
    ++count;
    const double d = x - mean;
    mean += d / static_cast<double>(count);
    m2 += d * (x - mean);
  }
  // this := the summary of this sequence followed by `b`'s.
  void Merge(const Welford& b) {
    if (b.count == 0) return;
    if (count == 0) {
      *this = b;
      return;
    }
    const double na = static_cast<double>(count), nb = static_cast<double>(b.count);
    const double n = na + nb;
    const double d = b.mean - mean;
    mean += d * nb / n;
    m2 += b.m2 + d * d * na * nb / n;
    count += b.count;
  }
  // The sample variance (n - 1 in the denominator); meaningful when count >= 2.
  double SampleVariance() const { return std::max(0.0, m2) / static_cast<double>(count - 1); }
};

// Count, min, max, mean and the sum of squared deviations (Welford), over non-null finite
// values.
struct Moments : Welford {
  double min = 0;  // meaningful when count > 0
  double max = 0;

  void Update(double x);
  // The same as Update per value up to rounding: two passes over the batch (its mean, then
  // the squared deviations from it), merged as Merge does.
  void UpdateBatch(std::span<const double> xs);
  void Merge(const Moments& other);
  // Sample variance / standard deviation (n - 1); 0 when count < 2.
  double Variance() const;
  double Stddev() const;

  void Serialize(std::string& out) const;
  // Reads one Moments from the front of `in`, advancing it. Throws InputError("<what>: …").
  static Moments Deserialize(std::string_view& in, const char* what);
};

// Sorts doubles (no NaN) without data-dependent branches: sorting networks on blocks of 16,
// then branchless merges. The KLL sketch's level-0 sort; exposed for its tests.
void SortDoubles(std::vector<double>& v);

// KLL quantile sketch (Karnin, Lang, Liberty 2016) over doubles: normalized rank error about
// 1.65 / k with high probability (k = 200: about 1%). Compaction keeps the odd or even items of
// a level by a coin hashed from a compaction counter, and past its full levels a sampler picks
// one value per block by a coin hashed from the count (not a random generator), so results
// are deterministic.
class KllSketch {
 public:
  explicit KllSketch(uint16_t k = 200);

  void Update(double x);  // NaN is ignored
  void Merge(const KllSketch& other);

  uint64_t n() const { return n_; }  // values summarised
  bool empty() const { return n_ == 0; }
  double min() const { return min_; }  // exact; meaningful when !empty()
  double max() const { return max_; }
  // The value at normalized rank q in [0, 1] (0: min, 1: max). Requires !empty().
  double Quantile(double q) const;
  // The fraction of summarised values <= x (the empirical CDF at x), in [0, 1].
  double Rank(double x) const;
  // The retained items with their weights, sorted by value (for CDF comparisons: KS, PSI).
  std::vector<std::pair<double, uint64_t>> WeightedItems() const;

  void Serialize(std::string& out) const;
  // `sampler`: the encoding has the sampler's fields (profile format 2 on; format 1 had none).
  static KllSketch Deserialize(std::string_view& in, const char* what, bool sampler = true);

 private:
  void Compress();  // compacts until the retained items fit the total capacity
  void CompactLevel(size_t h);
  void UpdateCapacities();                        // after the number of levels changed
  void Place(size_t h, double x);                 // one item of weight 2^h, without compacting
  void PlaceWeighted(uint64_t weight, double x);  // x as items of weights summing to `weight`
  void FlushBlock();  // the sampler's partial block as items of its weight
  void Settle();      // compacts, then deepens the sampler as the levels grew
  uint16_t k_;
  uint64_t n_ = 0;
  double min_ = 0, max_ = 0;
  uint64_t compactions_ = 0;                 // hashed: which half a compaction keeps
  std::vector<std::vector<double>> levels_;  // level h items weigh 2^h; h >= 1 sorted
  std::vector<uint32_t> capacities_;         // per level, for the current number of levels
  size_t retained_ = 0;                      // items in all levels
  size_t total_capacity_ = 0;                // sum of capacities_
  // The sampler (KLL §4) stands in for the levels below sampled_: once there are that many
  // levels under those of full capacity, each block of 2^sampled_ values goes in as one of
  // them, picked uniformly (a hashed coin), of weight 2^sampled_.
  uint8_t sampled_ = 0;
  uint64_t block_ = 0;  // values of the current block so far (< 2^sampled_)
  double pick_ = 0;     // the block's pick so far
};

// HyperLogLog distinct count over 64-bit hashes: exact up to 256 distinct hashes (sorted
// sparse list), then 2^12 one-byte registers (standard error about 1.6%). The same
// algorithm and encoding as the engine's approx_count_distinct state, which uses this class.
class HyperLogLog {
 public:
  void Add(uint64_t hash);
  void Merge(const HyperLogLog& other);
  int64_t Estimate() const;
  bool empty() const { return sparse_.empty() && registers_.empty(); }

  // The encoding of approx_count_distinct's tile states (docs/architecture.md): u8 mode 0 +
  // u32 count + sorted u64 hashes, or u8 mode 1 + 4096 register bytes.
  void Serialize(std::string& out) const;
  static HyperLogLog Deserialize(std::string_view& in, const char* what);

 private:
  void Densify();
  std::vector<uint64_t> sparse_;  // sorted distinct hashes while registers_ is empty
  std::vector<uint8_t> registers_;
};

// The most frequent values (SpaceSaving, Metwally et al. 2005) with `capacity` counters:
// counts are exact while at most `capacity` distinct values have been seen; beyond that each
// count overestimates by at most its `error`, and every value with frequency > n / capacity is
// kept.
class TopK {
 public:
  explicit TopK(uint32_t capacity = 64);
  // The most counters a stored TopK may have (Deserialize refuses more).
  static constexpr uint32_t kMaxTopKCapacity = 1 << 16;

  void Update(std::string_view value, uint64_t weight = 1);
  // Adds one occurrence of each of `values`: the batch's exact counts merged in as Merge
  // merges a summary (the same bounds as one Update per value, in O(batch + capacity) rather
  // than O(batch · log capacity) when most values are new).
  void UpdateBatch(std::span<const std::string_view> values);
  void Merge(const TopK& other);

  struct Item {
    std::string value;
    uint64_t count = 0;  // an upper bound: the true count is in [count - error, count]
    uint64_t error = 0;
  };
  // Items by count descending, then value ascending; at most `limit` (0: all kept).
  std::vector<Item> Items(size_t limit = 0) const;
  uint64_t n() const { return n_; }  // total weight seen
  // True while the counts are exact (no counter was ever evicted).
  bool exact() const { return exact_; }

  void Serialize(std::string& out) const;
  static TopK Deserialize(std::string_view& in, const char* what);

 private:
  // Heap order: the counter evicted next first (the least count; among equal counts the
  // greatest hash of the value, then the greatest value), a total order of the counters, so
  // the state evolves the same whether or not it went through Serialize/Deserialize.
  bool EvictsBefore(uint32_t a, uint32_t b) const;
  void SiftDown(size_t pos);
  void SiftUp(size_t pos);
  void Rebuild();                                  // table_, hashes_ and heap_ from items_
  static uint64_t HashOf(std::string_view value);  // XXH3
  // The table position holding `value`, or the empty position where it would go.
  size_t Probe(std::string_view value, uint64_t hash) const;
  int64_t SlotOf(std::string_view value) const;  // -1 when not monitored

  static constexpr uint32_t kNoSlot = UINT32_MAX;
  // An entry of table_: the counter (slot of items_) holding a value.
  struct TableSlot {
    uint32_t slot = kNoSlot;
    bool empty() const { return slot == kNoSlot; }
  };
  uint32_t capacity_;
  uint64_t n_ = 0;
  bool exact_ = true;
  std::vector<Item> items_;         // unsorted; at most capacity_
  std::vector<uint64_t> hashes_;    // slot -> HashOf(value): the index and heap ties
  FlatTable<TableSlot> table_;      // value -> slot, load factor <= 1/4
  std::vector<uint32_t> heap_;      // slots, a binary min-heap (EvictsBefore)
  std::vector<uint32_t> heap_pos_;  // slot -> position in heap_
};

}  // namespace sluice::sketch
