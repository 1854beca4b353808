#include "sketch/sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/hash.h"
#include "sluice/error.h"

namespace sluice::sketch {
namespace {

constexpr const char* kWhat = "profile";

template <typename T>
std::string Bytes(const T& sketch) {
  std::string out;
  sketch.Serialize(out);
  return out;
}

// Deserialize consumes exactly the bytes of Serialize, and re-serializes them identically.
template <typename T>
T RoundTrip(const T& sketch) {
  const std::string bytes = Bytes(sketch);
  std::string_view in = bytes;
  T back = T::Deserialize(in, kWhat);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(Bytes(back), bytes);
  return back;
}

// Every proper prefix of a valid encoding is an InputError naming `what`.
template <typename T>
void ExpectTruncationThrows(const std::string& bytes, size_t step = 1) {
  for (size_t len = 0; len < bytes.size(); len += step) {
    std::string_view in(bytes.data(), len);
    try {
      T::Deserialize(in, kWhat);
      ADD_FAILURE() << "prefix of " << len << " of " << bytes.size() << " bytes was accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string(kWhat) + ": ", 0), 0u) << e.what();
    }
  }
}

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// ---- Moments ----

TEST(Moments, SmallSetIsExact) {
  Moments m;
  for (double x : {1.0, 2.0, 3.0, 4.0}) m.Update(x);
  m.Update(std::nan(""));
  m.Update(INFINITY);
  m.Update(-INFINITY);
  EXPECT_EQ(m.count, 4);
  EXPECT_EQ(m.min, 1);
  EXPECT_EQ(m.max, 4);
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_DOUBLE_EQ(m.m2, 5.0);
  EXPECT_DOUBLE_EQ(m.Variance(), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.Stddev(), std::sqrt(5.0 / 3.0));
}

TEST(Moments, FewerThanTwoValuesHaveNoVariance) {
  Moments m;
  EXPECT_EQ(m.Variance(), 0);
  m.Update(-7);
  EXPECT_EQ(m.count, 1);
  EXPECT_EQ(m.min, -7);
  EXPECT_EQ(m.max, -7);
  EXPECT_EQ(m.mean, -7);
  EXPECT_EQ(m.Variance(), 0);
  EXPECT_EQ(m.Stddev(), 0);
}

TEST(Moments, UpdateBatchEqualsUpdates) {
  const std::vector<double> xs = {4, -2.5, std::nan(""), 10, HUGE_VAL, 0.5, 7};
  Moments one, batched;
  for (double x : xs) one.Update(x);
  batched.UpdateBatch(std::span(xs).first(3));
  batched.UpdateBatch(std::span(xs).subspan(3));
  batched.UpdateBatch({});
  EXPECT_EQ(batched.count, 5);  // NaN and infinity are not counted
  EXPECT_EQ(batched.min, -2.5);
  EXPECT_EQ(batched.max, 10);
  EXPECT_DOUBLE_EQ(batched.mean, 19.0 / 5);
  EXPECT_DOUBLE_EQ(batched.m2, one.m2);
  // sum of squared deviations from 3.8: 0.04 + 39.69 + 38.44 + 10.89 + 10.24
  EXPECT_NEAR(batched.m2, 99.3, 1e-12);
}

TEST(Moments, MergeOfHalvesEqualsOnePass) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist(1000, 25);
  std::vector<double> xs(100001);
  for (double& x : xs) x = dist(rng);
  Moments whole, a, b;
  for (size_t i = 0; i < xs.size(); ++i) {
    whole.Update(xs[i]);
    (i < 30000 ? a : b).Update(xs[i]);
  }
  Moments merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged.count, whole.count);
  EXPECT_EQ(merged.min, whole.min);
  EXPECT_EQ(merged.max, whole.max);
  EXPECT_NEAR(merged.mean, whole.mean, 1e-12 * std::fabs(whole.mean));
  EXPECT_NEAR(merged.m2, whole.m2, 1e-12 * whole.m2);
  EXPECT_NEAR(merged.Variance(), 625, 10);

  Moments empty;
  Moments into_empty;
  into_empty.Merge(a);
  EXPECT_EQ(Bytes(into_empty), Bytes(a));
  Moments with_empty = a;
  with_empty.Merge(empty);
  EXPECT_EQ(Bytes(with_empty), Bytes(a));
}

TEST(Moments, RoundTripAndTruncation) {
  Moments m;
  for (double x : {3.5, -1.25, 8.0}) m.Update(x);
  const std::string bytes = Bytes(m);
  EXPECT_EQ(bytes.size(), 40u);
  const Moments back = RoundTrip(m);
  EXPECT_EQ(back.count, 3);
  EXPECT_EQ(back.mean, m.mean);
  RoundTrip(Moments());
  ExpectTruncationThrows<Moments>(bytes);

  std::string negative = bytes;
  const int64_t minus_one = -1;
  std::memcpy(negative.data(), &minus_one, 8);
  std::string_view in = negative;
  EXPECT_THROW(Moments::Deserialize(in, kWhat), InputError);
}

// ---- KllSketch ----

// Checks a sketch of `data` against exact ranks: each quantile's exact rank interval (values
// < x, values <= x) lies within eps of q, and Rank(x) is within eps of the exact rank.
void ExpectKllAccurate(const KllSketch& s, std::vector<double> data, const std::string& what,
                       bool distinct_values, double eps = 0.02) {
  std::sort(data.begin(), data.end());
  const double n = static_cast<double>(data.size());
  ASSERT_EQ(s.n(), data.size()) << what;
  EXPECT_EQ(s.min(), data.front()) << what;
  EXPECT_EQ(s.max(), data.back()) << what;
  EXPECT_EQ(s.Quantile(0), data.front()) << what;
  EXPECT_EQ(s.Quantile(1), data.back()) << what;
  double worst_quantile = 0, worst_rank = 0;
  for (int i = 1; i < 100; ++i) {
    const double q = i / 100.0;
    const double x = s.Quantile(q);
    const double below = (std::lower_bound(data.begin(), data.end(), x) - data.begin()) / n;
    const double at_most = (std::upper_bound(data.begin(), data.end(), x) - data.begin()) / n;
    // q is in [below, at_most] for the exact quantile; allow eps either side.
    worst_quantile = std::max({worst_quantile, below - q, q - at_most});
    if (distinct_values) {
      EXPECT_LT(std::fabs(s.Rank(x) - q), eps) << what << " q=" << q;
    }
  }
  for (size_t i = 0; i < data.size(); i += data.size() / 997 + 1) {
    const double x = data[i];
    const double exact = (std::upper_bound(data.begin(), data.end(), x) - data.begin()) / n;
    worst_rank = std::max(worst_rank, std::fabs(s.Rank(x) - exact));
  }
  EXPECT_LT(worst_quantile, eps) << what;
  EXPECT_LT(worst_rank, eps) << what;
  EXPECT_EQ(s.Rank(data.front() - 1), 0) << what;
  EXPECT_EQ(s.Rank(data.back()), 1) << what;

  // The retained items weigh n in all, sorted by value, in bounded space.
  const auto items = s.WeightedItems();
  uint64_t total = 0;
  for (const auto& [x, w] : items) total += w;
  EXPECT_EQ(total, s.n()) << what;
  EXPECT_TRUE(std::is_sorted(items.begin(), items.end())) << what;
  EXPECT_LT(items.size(), 1000u) << what;
}

std::map<std::string, std::vector<double>> KllDatasets() {
  constexpr size_t kN = 1000000;
  std::mt19937_64 rng(42);
  std::map<std::string, std::vector<double>> sets;
  std::uniform_real_distribution<double> uniform(-5, 5);
  std::normal_distribution<double> normal(100, 15);
  std::geometric_distribution<int> geometric(0.3);
  auto& u = sets["uniform"];
  auto& g = sets["normal"];
  auto& d = sets["duplicated"];
  auto& up = sets["sorted"];
  auto& down = sets["reverse sorted"];
  for (size_t i = 0; i < kN; ++i) {
    u.push_back(uniform(rng));
    g.push_back(normal(rng));
    d.push_back(std::min(geometric(rng), 30));  // ~30% zeros, a long tail of few values
    up.push_back(static_cast<double>(i));
    down.push_back(static_cast<double>(kN - i));
  }
  return sets;
}

TEST(SortDoubles, SortsEveryZeroOneInputOfSixteen) {
  // The 0-1 principle: a network that sorts every 0/1 input sorts every input.
  std::vector<double> v;
  for (uint32_t bits = 0; bits < (1u << 16); ++bits) {
    v.resize(16);
    for (size_t i = 0; i < 16; ++i) v[i] = (bits >> i) & 1;
    SortDoubles(v);
    ASSERT_TRUE(std::is_sorted(v.begin(), v.end())) << bits;
    ASSERT_EQ(std::count(v.begin(), v.end(), 1.0), __builtin_popcount(bits)) << bits;
  }
}

TEST(SortDoubles, EqualsStdSortForEverySize) {
  std::mt19937_64 rng(9);
  for (size_t n = 0; n <= 300; ++n) {
    std::vector<double> v(n);
    for (double& x : v) x = static_cast<double>(rng() % 50) - 25;
    if (n % 7 == 3) v[n / 2] = HUGE_VAL;  // a real infinity among the padding
    if (n % 11 == 5) v[0] = -HUGE_VAL;
    std::vector<double> expected = v;
    std::sort(expected.begin(), expected.end());
    SortDoubles(v);
    ASSERT_EQ(v, expected) << n;
  }
}

TEST(KllSketch, ExactWhileSmall) {
  KllSketch s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.Rank(1), 0);
  EXPECT_THROW(s.Quantile(0.5), Error);
  for (int i = 100; i >= 1; --i) s.Update(i);
  s.Update(std::nan(""));
  EXPECT_EQ(s.n(), 100u);
  EXPECT_EQ(s.min(), 1);
  EXPECT_EQ(s.max(), 100);
  EXPECT_EQ(s.Quantile(0.5), 50);
  EXPECT_EQ(s.Quantile(0.01), 1);
  EXPECT_EQ(s.Quantile(0.995), 100);
  EXPECT_DOUBLE_EQ(s.Rank(37), 0.37);
  EXPECT_DOUBLE_EQ(s.Rank(37.5), 0.37);
  EXPECT_EQ(s.WeightedItems().size(), 100u);
  EXPECT_EQ(s.WeightedItems().front(), (std::pair<double, uint64_t>(1, 1)));
}

TEST(KllSketch, ErrorBelowTwoPercentOnOneMillionValues) {
  for (const auto& [name, data] : KllDatasets()) {
    KllSketch s(200);
    for (double x : data) s.Update(x);
    ExpectKllAccurate(s, data, name, name != "duplicated");
  }
}

TEST(KllSketch, MergeOfPartsIsAsAccurate) {
  for (const auto& [name, data] : KllDatasets()) {
    // Two halves.
    KllSketch a(200), b(200);
    for (size_t i = 0; i < data.size(); ++i) (i < data.size() / 2 ? a : b).Update(data[i]);
    KllSketch merged = a;
    merged.Merge(b);
    ExpectKllAccurate(merged, data, name + " (two halves)", name != "duplicated");
    // Ten uneven parts, merged into an empty sketch.
    std::vector<KllSketch> parts(10, KllSketch(200));
    for (size_t i = 0; i < data.size(); ++i) {
      parts[SplitMix(i) % 10 < 3 ? 0 : i % 10].Update(data[i]);
    }
    KllSketch all(200);
    for (const KllSketch& p : parts) all.Merge(p);
    ExpectKllAccurate(all, data, name + " (ten parts)", name != "duplicated");
  }
}

TEST(KllSketch, MergeWithEmptyAndSmall) {
  KllSketch a, empty;
  for (int i = 0; i < 1000; ++i) a.Update(i);
  KllSketch b = a;
  b.Merge(empty);
  EXPECT_EQ(Bytes(b), Bytes(a));
  KllSketch c;
  c.Merge(a);
  EXPECT_EQ(c.n(), 1000u);
  EXPECT_EQ(c.min(), 0);
  EXPECT_EQ(c.max(), 999);
  KllSketch small;
  small.Update(-3);
  small.Update(5000);
  c.Merge(small);
  EXPECT_EQ(c.n(), 1002u);
  EXPECT_EQ(c.min(), -3);
  EXPECT_EQ(c.max(), 5000);
  EXPECT_NEAR(c.Quantile(0.5), 500, 20);
}

TEST(KllSketch, DeterministicAndRoundTrips) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  std::vector<double> xs(300000);
  for (double& x : xs) x = normal(rng);
  KllSketch a(100), b(100);
  for (double x : xs) {
    a.Update(x);
    b.Update(x);
  }
  EXPECT_EQ(Bytes(a), Bytes(b));

  RoundTrip(KllSketch());
  KllSketch few;
  for (double x : {2.0, 1.0, 3.0}) few.Update(x);
  RoundTrip(few);
  KllSketch back = RoundTrip(a);
  EXPECT_EQ(back.n(), a.n());
  for (double q : {0.1, 0.5, 0.9}) EXPECT_EQ(back.Quantile(q), a.Quantile(q));
  // The deserialized sketch goes on exactly as the original.
  for (int i = 0; i < 50000; ++i) {
    a.Update(i * 1e-4);
    back.Update(i * 1e-4);
  }
  EXPECT_EQ(Bytes(back), Bytes(a));

  ExpectTruncationThrows<KllSketch>(Bytes(few));
  ExpectTruncationThrows<KllSketch>(Bytes(a), 7);
}

TEST(KllSketch, MalformedEncodingIsAnInputError) {
  KllSketch s(8);
  for (int i = 0; i < 100; ++i) s.Update(i);
  const std::string bytes = Bytes(s);
  // Header: u16 k, u64 n, f64 min, f64 max, u64 compactions, u8 levels (35 bytes).
  auto expect_bad = [](std::string b) {
    std::string_view in = b;
    EXPECT_THROW(KllSketch::Deserialize(in, kWhat), InputError);
  };
  std::string bad_k = bytes;
  bad_k[0] = 4;
  bad_k[1] = 0;
  expect_bad(bad_k);
  std::string bad_n = bytes;
  bad_n[2] ^= 1;  // weights no longer add up to n
  expect_bad(bad_n);
  std::string no_levels = bytes;
  no_levels[34] = 0;
  expect_bad(no_levels);
  // The first retained item set to NaN, then to a value above max.
  size_t offset = 35;
  for (;;) {
    uint32_t count;
    ASSERT_LE(offset + 4, bytes.size());
    std::memcpy(&count, bytes.data() + offset, 4);
    offset += 4;
    if (count > 0) break;
  }
  for (double bad : {std::nan(""), 1000.0}) {
    std::string b = bytes;
    std::memcpy(b.data() + offset, &bad, 8);
    expect_bad(b);
  }
  // The sampler's fields close the encoding: u8 level, u64 block, f64 pick (17 bytes).
  const size_t sampler = bytes.size() - 17;
  std::string bad_block = bytes;
  bad_block[sampler + 1] = 1;  // a partial block of 1 value under a sampler of level 0
  expect_bad(bad_block);
  std::string bad_level = bytes;
  bad_level[sampler] = 70;
  expect_bad(bad_level);
}

TEST(KllSketch, SamplerTakesOverTheLowLevelsAndStaysAccurate) {
  // 10M values: 2^23 is past the 9 full levels of k = 200, so each block of values enters as
  // one sampled item; the error stays that of the full sketch.
  std::mt19937_64 rng(17);
  std::vector<double> data(10000000);
  for (double& x : data) x = static_cast<double>(rng() % 1000000) / 7;
  KllSketch s;
  for (double x : data) s.Update(x);
  ExpectKllAccurate(s, data, "10M", false, 0.01);

  // The encoding before the sampler (profile format 1) still reads: a sketch that never
  // sampled, without the 17 bytes of sampler fields.
  KllSketch small;
  for (int i = 0; i < 1000; ++i) small.Update(i);
  std::string bytes = Bytes(small);
  EXPECT_EQ(bytes.substr(bytes.size() - 17), std::string(17, '\0'));
  std::string_view old(bytes.data(), bytes.size() - 17);
  const KllSketch back = KllSketch::Deserialize(old, kWhat, false);
  EXPECT_TRUE(old.empty());
  EXPECT_EQ(Bytes(back), bytes);
}

TEST(KllSketch, MergeCarriesPartialBlocks) {
  // Two sketches deep enough to sample, each ending mid-block: the merge weighs exactly n.
  KllSketch a, b, whole;
  for (int i = 0; i < 700001; ++i) {
    const double x = static_cast<double>(SplitMix(i) % 100000);
    (i % 3 ? a : b).Update(x);
    whole.Update(x);
  }
  KllSketch merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged.n(), whole.n());
  uint64_t total = 0;
  for (const auto& [x, w] : merged.WeightedItems()) total += w;
  EXPECT_EQ(total, 700001u);
  for (double q : {0.1, 0.5, 0.9}) {
    EXPECT_NEAR(merged.Quantile(q), whole.Quantile(q), 0.02 * 100000) << q;
  }
  const KllSketch back = RoundTrip(merged);
  EXPECT_EQ(back.n(), merged.n());
}

// ---- HyperLogLog ----

TEST(HyperLogLog, ExactUpTo256Distinct) {
  HyperLogLog h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.Estimate(), 0);
  for (uint64_t i = 0; i < 256; ++i) {
    h.Add(SplitMix(i));
    h.Add(SplitMix(i / 2));  // repeats change nothing
    ASSERT_EQ(h.Estimate(), static_cast<int64_t>(i + 1));
  }
  EXPECT_FALSE(h.empty());
  EXPECT_EQ(Bytes(h).size(), 1 + 4 + 256 * 8u);
  h.Add(SplitMix(256));
  EXPECT_EQ(Bytes(h).size(), 1 + 4096u);  // 257 distinct: registers
  EXPECT_NEAR(h.Estimate(), 257, 257 * 0.05);
}

TEST(HyperLogLog, WithinThreePercentAtOneMillion) {
  HyperLogLog h;
  for (uint64_t i = 0; i < 1000000; ++i) h.Add(SplitMix(i * 7 + 1));
  for (uint64_t i = 0; i < 1000000; i += 3) h.Add(SplitMix(i * 7 + 1));
  EXPECT_NEAR(static_cast<double>(h.Estimate()), 1e6, 3e4);
  HyperLogLog mid;
  for (uint64_t i = 0; i < 20000; ++i) mid.Add(SplitMix(i + (uint64_t{1} << 40)));
  EXPECT_NEAR(static_cast<double>(mid.Estimate()), 2e4, 600);
}

TEST(HyperLogLog, EncodingIsTheApproxCountDistinctState) {
  HyperLogLog sparse;
  for (uint64_t x : {3, 1, 2, 3}) sparse.Add(x);
  std::string expected("\x00\x03\x00\x00\x00", 5);
  for (uint64_t x : {1, 2, 3}) expected.append(reinterpret_cast<const char*>(&x), 8);
  EXPECT_EQ(Bytes(sparse), expected);

  // Dense: register = hash's top 12 bits; value = 1 + leading zeros of the rest (at most 53).
  HyperLogLog dense;
  std::vector<uint8_t> regs(4096, 0);
  for (uint64_t i = 0; i < 1000; ++i) {
    const uint64_t h = SplitMix(i);
    dense.Add(h);
    const uint64_t rest = h << 12;
    const uint8_t rank = rest == 0 ? 53 : std::min(53, __builtin_clzll(rest) + 1);
    regs[h >> 52] = std::max(regs[h >> 52], rank);
  }
  dense.Add(0);  // register 0, rank 53
  regs[0] = 53;
  std::string dense_expected(1, '\x01');
  dense_expected.append(reinterpret_cast<const char*>(regs.data()), regs.size());
  EXPECT_EQ(Bytes(dense), dense_expected);

  RoundTrip(HyperLogLog());
  RoundTrip(sparse);
  RoundTrip(dense);
}

TEST(HyperLogLog, MergeEqualsOnePass) {
  for (uint64_t split : {10, 200, 5000}) {
    for (uint64_t total : {100, 300, 100000}) {
      HyperLogLog whole, a, b;
      for (uint64_t i = 0; i < total; ++i) {
        const uint64_t h = SplitMix(i);
        whole.Add(h);
        (i < split ? a : b).Add(h);
      }
      HyperLogLog ab = a, ba = b;
      ab.Merge(b);
      ba.Merge(a);
      EXPECT_EQ(Bytes(ab), Bytes(whole)) << split << " " << total;
      EXPECT_EQ(Bytes(ba), Bytes(whole)) << split << " " << total;
    }
  }
}

TEST(HyperLogLog, MalformedEncodingIsAnInputError) {
  HyperLogLog h;
  for (uint64_t i = 0; i < 10; ++i) h.Add(SplitMix(i));
  ExpectTruncationThrows<HyperLogLog>(Bytes(h));
  for (uint64_t i = 0; i < 1000; ++i) h.Add(SplitMix(i));
  ExpectTruncationThrows<HyperLogLog>(Bytes(h), 13);

  auto message = [](std::string bytes) -> std::string {
    std::string_view in = bytes;
    try {
      HyperLogLog::Deserialize(in, "aggregate state");
    } catch (const InputError& e) {
      return e.what();
    }
    return "accepted";
  };
  std::string too_large("\x00\x01\x01\x00\x00", 5);  // 257 hashes
  too_large.append(257 * 8, '\0');
  EXPECT_EQ(message(too_large), "aggregate state: sparse HyperLogLog too large");
  std::string unsorted("\x00\x02\x00\x00\x00", 5);
  for (uint64_t x : {2, 1}) unsorted.append(reinterpret_cast<const char*>(&x), 8);
  EXPECT_EQ(message(unsorted), "aggregate state: sparse HyperLogLog not sorted");
  EXPECT_EQ(message("\x07"), "aggregate state: unknown HyperLogLog mode");
  EXPECT_EQ(message(std::string("\x01\x00", 2)), "aggregate state: truncated encoding");
}

// ---- TopK ----

void ExpectBounds(const TopK& t, const std::map<std::string, uint64_t>& truth, uint64_t capacity,
                  const std::string& what) {
  for (const TopK::Item& item : t.Items()) {
    const auto it = truth.find(item.value);
    const uint64_t count = it == truth.end() ? 0 : it->second;
    EXPECT_LE(item.count - item.error, count) << what << " " << item.value;
    EXPECT_GE(item.count, count) << what << " " << item.value;
  }
  // Every value with frequency above n / capacity is kept.
  std::set<std::string> kept;
  for (const TopK::Item& item : t.Items()) kept.insert(item.value);
  for (const auto& [value, count] : truth) {
    if (count * capacity > t.n()) {
      EXPECT_TRUE(kept.count(value)) << what << " " << value;
    }
  }
}

TEST(TopK, ExactWhileDistinctFitCapacity) {
  TopK t(64);
  std::map<std::string, uint64_t> truth;
  for (int i = 0; i < 5000; ++i) {
    const std::string v = "v" + std::to_string((i * 7919) % 64 % (1 + i % 64));
    t.Update(v);
    ++truth[v];
  }
  t.Update("weighted", 1000);
  truth["weighted"] += 1000;
  t.Update("zero", 0);  // no weight: not an occurrence
  ASSERT_LE(truth.size(), 64u);
  EXPECT_TRUE(t.exact());
  EXPECT_EQ(t.n(), 6000u);
  const auto items = t.Items();
  ASSERT_EQ(items.size(), truth.size());
  for (const TopK::Item& item : items) {
    EXPECT_EQ(item.count, truth[item.value]) << item.value;
    EXPECT_EQ(item.error, 0u);
  }
  for (size_t i = 1; i < items.size(); ++i) {
    EXPECT_TRUE(items[i - 1].count > items[i].count ||
                (items[i - 1].count == items[i].count && items[i - 1].value < items[i].value));
  }
  EXPECT_EQ(items[0].value, "weighted");
  const auto top3 = t.Items(3);
  ASSERT_EQ(top3.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(top3[i].value, items[i].value);
}

// Found by fuzz/profile_fuzz: a stored capacity of billions made Deserialize size its index
// for it (an 8 GB allocation). Beyond kMaxTopKCapacity it is an InputError.
TEST(TopK, AStoredCapacityBeyondTheLimitIsRefused) {
  for (const uint32_t capacity : {TopK::kMaxTopKCapacity + 1, uint32_t{0x7fffffff}}) {
    std::string bytes;
    bytes.append(reinterpret_cast<const char*>(&capacity), 4);
    bytes.append(8, '\0');  // n
    bytes.append(1, '\1');  // exact
    bytes.append(4, '\0');  // no items
    std::string_view in = bytes;
    EXPECT_THROW(TopK::Deserialize(in, kWhat), InputError) << capacity;
  }
  TopK most(TopK::kMaxTopKCapacity);
  most.Update("a");
  std::string bytes;
  most.Serialize(bytes);
  std::string_view in = bytes;
  EXPECT_EQ(TopK::Deserialize(in, kWhat).Items().size(), 1u);
}

TEST(TopK, TiesAreOrderedByValue) {
  TopK t(8);
  for (const char* v : {"c", "a", "b", "b", "d"}) t.Update(v);
  const auto items = t.Items();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].value, "b");
  EXPECT_EQ(items[1].value, "a");
  EXPECT_EQ(items[2].value, "c");
  EXPECT_EQ(items[3].value, "d");
}

TEST(TopK, KeepsHeavyHittersAmongManyDistinct) {
  TopK t(64);
  std::map<std::string, uint64_t> truth;
  for (int i = 0; i < 100000; ++i) {
    const std::string v = "value-" + std::to_string(i);
    t.Update(v);
    ++truth[v];
    if (i % 20 == 0) {
      t.Update("heavy");
      ++truth["heavy"];
    }
    if (i % 50 == 0) {
      t.Update("medium");
      ++truth["medium"];
    }
  }
  EXPECT_FALSE(t.exact());
  EXPECT_EQ(t.n(), 100000u + 5000 + 2000);
  const auto items = t.Items();
  EXPECT_EQ(items.size(), 64u);
  EXPECT_EQ(items[0].value, "heavy");
  EXPECT_EQ(items[1].value, "medium");
  ExpectBounds(t, truth, 64, "stream");
}

TEST(TopK, SkewedStreamKeepsBounds) {
  std::mt19937_64 rng(11);
  std::vector<double> weights;
  for (int i = 1; i <= 5000; ++i) weights.push_back(1.0 / i);  // Zipf
  std::discrete_distribution<int> zipf(weights.begin(), weights.end());
  TopK whole(64), a(64), b(64);
  std::map<std::string, uint64_t> truth;
  for (int i = 0; i < 200000; ++i) {
    const std::string v = "k" + std::to_string(zipf(rng));
    whole.Update(v);
    (i % 3 == 0 ? a : b).Update(v);
    ++truth[v];
  }
  ExpectBounds(whole, truth, 64, "whole");
  TopK merged = a;
  merged.Merge(b);
  EXPECT_EQ(merged.n(), whole.n());
  EXPECT_FALSE(merged.exact());
  EXPECT_EQ(merged.Items().size(), 64u);
  ExpectBounds(merged, truth, 64, "merged");
  EXPECT_EQ(merged.Items(1)[0].value, "k0");
}

TEST(TopK, MergeIsExactWhenDistinctFit) {
  TopK a(16), b(16), whole(16);
  for (int i = 0; i < 1000; ++i) {
    const std::string v = std::to_string(i % 12);
    (i < 400 ? a : b).Update(v);
    whole.Update(v);
  }
  TopK merged = a;
  merged.Merge(b);
  EXPECT_TRUE(merged.exact());
  EXPECT_EQ(Bytes(merged), Bytes(whole));
  TopK empty(16);
  empty.Merge(a);
  EXPECT_EQ(Bytes(empty), Bytes(a));
  // Beyond capacity the merge is no longer exact.
  TopK c(16);
  for (int i = 0; i < 10; ++i) c.Update("other" + std::to_string(i));
  merged.Merge(c);
  EXPECT_FALSE(merged.exact());
  EXPECT_EQ(merged.Items().size(), 16u);
}

TEST(TopK, MergeKeepsAHeavyHitterSplitAcrossParts) {
  TopK a(32), b(32);
  std::map<std::string, uint64_t> truth;
  for (int i = 0; i < 20000; ++i) {
    TopK& t = i % 2 ? a : b;
    const std::string v = "noise" + std::to_string(i);
    t.Update(v);
    ++truth[v];
    if (i % 10 == 0) {
      t.Update("heavy");
      ++truth["heavy"];
    }
  }
  a.Merge(b);
  EXPECT_EQ(a.Items(1)[0].value, "heavy");
  ExpectBounds(a, truth, 32, "merged");
}

TEST(TopK, UpdateBatchEqualsUpdatesWhileExact) {
  TopK one(16), batched(16);
  std::vector<std::string> values;
  for (int i = 0; i < 500; ++i) values.push_back("v" + std::to_string(SplitMix(i) % 12));
  for (const std::string& v : values) one.Update(v);
  std::vector<std::string_view> views(values.begin(), values.end());
  batched.UpdateBatch(std::span(views).first(123));
  batched.UpdateBatch(std::span(views).subspan(123));
  batched.UpdateBatch({});
  EXPECT_TRUE(batched.exact());
  EXPECT_EQ(Bytes(batched), Bytes(one));
}

TEST(TopK, UpdateBatchBeyondCapacityKeepsBoundsAndHeavyHitters) {
  std::mt19937_64 rng(5);
  std::vector<double> weights;
  for (int i = 1; i <= 5000; ++i) weights.push_back(1.0 / i);  // Zipf
  std::discrete_distribution<int> zipf(weights.begin(), weights.end());
  TopK t(32);
  std::map<std::string, uint64_t> truth;
  std::vector<std::string> batch;
  for (int round = 0; round < 100; ++round) {
    batch.clear();
    for (int i = 0; i < 2048; ++i) batch.push_back("k" + std::to_string(zipf(rng)));
    batch.push_back("every-batch");
    for (const std::string& v : batch) ++truth[v];
    std::vector<std::string_view> views(batch.begin(), batch.end());
    t.UpdateBatch(views);
  }
  EXPECT_FALSE(t.exact());
  EXPECT_EQ(t.n(), 100u * 2049);
  EXPECT_EQ(t.Items().size(), 32u);
  EXPECT_EQ(t.Items(1)[0].value, "k0");
  ExpectBounds(t, truth, 32, "batched");
  // It goes on the same after a round trip.
  TopK back = RoundTrip(t);
  std::vector<std::string_view> views(batch.begin(), batch.end());
  t.UpdateBatch(views);
  back.UpdateBatch(views);
  EXPECT_EQ(Bytes(back), Bytes(t));
}

// Stored profiles hold TopK's bytes: the same values must give the same bytes whatever hash
// table finds the counters. The digests below were taken from the linear-probing tables that
// the Abseil tables replaced (issue 14); the streams evict (ties broken by the values'
// XXH3), batch beyond capacity and merge inexact summaries.
TEST(TopK, BytesStayAsStoredForFixedStreams) {
  TopK updated(16);
  for (int i = 0; i < 20000; ++i) {
    updated.Update("u" + std::to_string(SplitMix(i) % (i % 7 == 0 ? 10 : 3000)), 1 + i % 2);
  }
  EXPECT_FALSE(updated.exact());
  EXPECT_EQ(Sha256Hex(Bytes(updated)),
            "dfe6620a5bc05baf1eef04fc7f122c5b9fad50c0aa05fd494a4f15695f172ea9");

  TopK batched(32);
  std::vector<std::string> batch;
  for (int round = 0; round < 40; ++round) {
    batch.clear();
    for (int i = 0; i < 2048; ++i) {
      const uint64_t x = SplitMix(round * 2048 + i);
      // Half the rounds low-cardinality, half nearly all distinct.
      batch.push_back("b" + std::to_string(round % 2 ? x % 50 + x % 3 * (x % 50) : x % 100000));
    }
    std::vector<std::string_view> views(batch.begin(), batch.end());
    batched.UpdateBatch(views);
  }
  EXPECT_FALSE(batched.exact());
  EXPECT_EQ(Sha256Hex(Bytes(batched)),
            "2d1d6d6d50338747838261edb4c3cb534403004aadd1b2cd4a2b5a8ed6ca74fe");

  TopK merged = updated;
  TopK other(16);
  for (int i = 0; i < 5000; ++i) other.Update("u" + std::to_string(SplitMix(i + 7) % 40));
  merged.Merge(other);
  merged.Merge(batched);
  EXPECT_EQ(Sha256Hex(Bytes(merged)),
            "29133278d5610d7d2f3d2c86bbd6797ef407d7319d927883f57c3e940e4e548f");
  const auto top = merged.Items(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].value + " " + std::to_string(top[0].count) + " " + std::to_string(top[0].error),
            "b42 3039 2188");
  EXPECT_EQ(top[1].value + " " + std::to_string(top[1].count) + " " + std::to_string(top[1].error),
            "b12 3025 2188");
}

TEST(TopK, RoundTripsAndContinuesTheSame) {
  RoundTrip(TopK());
  TopK t(16);
  for (int i = 0; i < 3000; ++i) t.Update("x" + std::to_string(SplitMix(i) % 40), 1 + i % 3);
  TopK back = RoundTrip(t);
  for (int i = 0; i < 3000; ++i) {
    const std::string v = "y" + std::to_string(SplitMix(i) % 30);
    t.Update(v);
    back.Update(v);
  }
  EXPECT_EQ(Bytes(back), Bytes(t));
  ExpectTruncationThrows<TopK>(Bytes(t));

  TopK small(4);
  small.Update("a");
  small.Update("b");
  std::string bytes = Bytes(small);  // u32 capacity, u64 n, u8 exact, u32 count, items
  std::string more = bytes;
  more[13] = 5;  // 5 items for 4 counters
  std::string_view in = more;
  EXPECT_THROW(TopK::Deserialize(in, kWhat), InputError);
  std::string swapped = bytes;  // "a" and "b" (count 1 each) out of order
  swapped[21] = 'b';
  swapped[42] = 'a';
  in = swapped;
  EXPECT_THROW(TopK::Deserialize(in, kWhat), InputError);
}

}  // namespace
}  // namespace sluice::sketch
