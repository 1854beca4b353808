// bench/hash_bench: the hand-written linear-probing tables that quality/ and sketch/ had
// (issue 14) against Abseil's Swiss tables, on the workloads those tables serve:
//
//   keyset insert     unique: insert 64-bit key hashes; "new" = every insert adds a key,
//                     "present" = every insert finds its key (the same keys again, shuffled)
//   keyset contains   referential: look up hashes in a set of N; 90% present or 90% absent
//   verdicts find     accepted_values / the regex memo: look up strings in a table of N
//                     strings with a verdict each; 90% present or 90% absent
//   topk count        TopK::UpdateBatch: exact count per value of each 2048-value batch, the
//                     values drawn from D distinct strings
//   topk table        TopK's value -> counter index: look up a value among 64 monitored
//                     ones, its XXH3 computed either way (TopK breaks ties by it); absl's
//                     key carries that hash, so the table hashes nothing itself
//
// "FlatTable" is the code in use now (common/flat_table.h, through quality::HashSet and
// StringVerdicts, and as TopK uses it); "ours" is a frozen copy of the replaced code (hash_set.h's
// HashSet and StringVerdicts, TopK's table and UpdateBatch's index), kept here so the comparison
// can be rerun. Times are ns per operation, the median of --repeat runs (default 3) with the spread
// (max - min) / median; each run repeats a small table's workload up to about 8M operations. Bytes
// per key: the live heap bytes of the table over its keys (strings' own heap bytes included; the
// bench's values fit in std::string's inline buffer). Debian's Abseil has its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0): a std::string_view is converted to it for absl's string
// hash.
//
//   cmake --build build --target hash_bench && nice -n 5 ./build/hash_bench [--repeat R]
//       [--max N (largest N, default 10000000)] [--only WORKLOAD (a prefix: "topk")]
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/flat_table.h"
#include "quality/hash_set.h"

// Live heap bytes, for bytes per key.
namespace {
std::atomic<int64_t> g_live_bytes{0};
}  // namespace

void* operator new(size_t n) {
  void* p = std::malloc(n + 16);
  if (!p) throw std::bad_alloc();
  *static_cast<size_t*>(p) = n;
  g_live_bytes += static_cast<int64_t>(n);
  return static_cast<char*>(p) + 16;
}
void operator delete(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - 16;
  g_live_bytes -= static_cast<int64_t>(*reinterpret_cast<size_t*>(base));
  std::free(base);
}
void operator delete(void* p, size_t) noexcept { operator delete(p); }

namespace ours {

// quality/hash_set.h's HashSet as it was.
class HashSet {
 public:
  bool Insert(uint64_t h) {
    if (h == 0) h = 1;
    if (2 * (size_ + 1) > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return false;
      if (slots_[i] == 0) {
        slots_[i] = h;
        ++size_;
        return true;
      }
    }
  }
  bool Contains(uint64_t h) const {
    if (slots_.empty()) return false;
    if (h == 0) h = 1;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return true;
      if (slots_[i] == 0) return false;
    }
  }
  size_t size() const { return size_; }

 private:
  void Grow() {
    std::vector<uint64_t> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : 2 * old.size(), 0);
    size_ = 0;
    for (uint64_t h : old) {
      if (h != 0) Insert(h);
    }
  }
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

// quality/hash_set.h's StringVerdicts as it was.
class StringVerdicts {
 public:
  enum Verdict : int8_t { kUnknown = -1, kFail = 0, kPass = 1 };
  void Add(std::string_view value, bool pass) {
    if (2 * (values_.size() + 1) > slots_.size()) Grow();
    const uint64_t h = XXH3_64bits(value.data(), value.size());
    const size_t at = Probe(value, h);
    if (slots_[at].index != kEmpty) return;
    slots_[at] = {h, static_cast<uint32_t>(values_.size()), pass};
    values_.emplace_back(value);
  }
  Verdict Find(std::string_view value) const {
    if (values_.empty()) return kUnknown;
    const Slot& s = slots_[Probe(value, XXH3_64bits(value.data(), value.size()))];
    return s.index == kEmpty ? kUnknown : s.pass ? kPass : kFail;
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash = 0;
    uint32_t index = kEmpty;
    bool pass = false;
  };
  size_t Probe(std::string_view value, uint64_t h) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.index == kEmpty || (s.hash == h && values_[s.index] == value)) return i;
    }
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : 2 * old.size(), Slot{});
    for (const Slot& s : old) {
      if (s.index != kEmpty) slots_[Probe(values_[s.index], s.hash)] = s;
    }
  }
  std::vector<Slot> slots_;
  std::vector<std::string> values_;
};

// TopK::UpdateBatch's index as it was: the distinct values of a batch with their counts.
struct Distinct {
  uint64_t hash;
  uint64_t count;
  uint32_t first;
};
void CountBatch(const std::vector<std::string_view>& values, std::vector<Distinct>& distinct,
                std::vector<uint32_t>& index) {
  constexpr uint32_t kNoSlot = UINT32_MAX;
  distinct.clear();
  size_t size = 16;
  while (size < 2 * values.size()) size *= 2;
  index.assign(size, kNoSlot);
  const size_t mask = size - 1;
  for (uint32_t i = 0; i < values.size(); ++i) {
    const std::string_view v = values[i];
    const uint64_t h = XXH3_64bits(v.data(), v.size());
    for (size_t p = h & mask;; p = (p + 1) & mask) {
      const uint32_t e = index[p];
      if (e == kNoSlot) {
        index[p] = static_cast<uint32_t>(distinct.size());
        distinct.push_back({h, 1, i});
        break;
      }
      if (distinct[e].hash == h && values[distinct[e].first] == v) {
        ++distinct[e].count;
        break;
      }
    }
  }
}

// TopK's table as it was: value -> slot, load factor <= 1/4, XXH3 kept per slot.
class TopKTable {
 public:
  explicit TopKTable(const std::vector<std::string>& monitored) : items_(monitored) {
    size_t size = 8;
    while (size < 4 * items_.size()) size *= 2;
    table_.assign(size, UINT32_MAX);
    for (uint32_t s = 0; s < items_.size(); ++s) {
      hashes_.push_back(XXH3_64bits(items_[s].data(), items_[s].size()));
      table_[Probe(items_[s], hashes_[s])] = s;
    }
  }
  uint32_t Find(std::string_view v, uint64_t hash) const { return table_[Probe(v, hash)]; }

 private:
  size_t Probe(std::string_view value, uint64_t hash) const {
    const size_t mask = table_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const uint32_t slot = table_[i];
      if (slot == UINT32_MAX) return i;
      if (hashes_[slot] == hash && items_[slot] == value) return i;
    }
  }
  std::vector<std::string> items_;
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> table_;
};

}  // namespace ours

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  double ns_per_op;
  double bytes_per_key;  // < 0: not measured
};

int g_repeat = 3;
uint64_t g_sink = 0;  // keeps results alive

// Each timed run repeats a workload of n operations until it did about kOps of them, so that
// small tables are timed over more than a few microseconds.
constexpr size_t kOps = size_t{1} << 23;

// ns per operation of `rounds` calls of `round`, each doing `n` operations.
template <typename Fn>
double NsPerOp(size_t n, size_t rounds, Fn&& round) {
  const auto start = Clock::now();
  for (size_t r = 0; r < rounds; ++r) round();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  return s * 1e9 / static_cast<double>(n * rounds);
}
size_t Rounds(size_t n) { return std::max<size_t>(1, kOps / n); }

// Runs `once` (returning a Result) g_repeat times and prints the median and spread.
void Report(const char* workload, const char* mix, size_t n, const char* impl,
            const std::function<Result()>& once) {
  std::vector<Result> runs;
  for (int i = 0; i < g_repeat; ++i) runs.push_back(once());
  std::sort(runs.begin(), runs.end(),
            [](const Result& a, const Result& b) { return a.ns_per_op < b.ns_per_op; });
  const double median = runs[runs.size() / 2].ns_per_op;
  const double spread = (runs.back().ns_per_op - runs.front().ns_per_op) / median * 100;
  std::printf("| %-16s | %-12s | %9zu | %-28s | %8.2f | %5.1f%% |", workload, mix, n, impl, median,
              spread);
  if (runs[0].bytes_per_key >= 0) {
    std::printf(" %6.1f |\n", runs[runs.size() / 2].bytes_per_key);
  } else {
    std::printf("      - |\n");
  }
  std::fflush(stdout);
}

std::vector<uint64_t> RandomHashes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> v(n);
  for (uint64_t& x : v) x = rng();
  return v;
}

// Key hashes are XXH64 outputs already: a hasher that passes them through.
struct Identity {
  size_t operator()(uint64_t h) const { return h; }
};

template <typename Set, typename InsertFn>
void KeySetInsert(const char* impl, size_t n, InsertFn insert) {
  const std::vector<uint64_t> keys = RandomHashes(n, n);
  std::vector<uint64_t> again = keys;
  std::shuffle(again.begin(), again.end(), std::mt19937_64(7));
  Report("keyset insert", "new", n, impl, [&] {
    double bytes = 0;
    const double ns = NsPerOp(n, Rounds(n), [&] {
      const int64_t before = g_live_bytes;
      Set s;
      for (uint64_t k : keys) g_sink += insert(s, k);
      bytes = static_cast<double>(g_live_bytes - before) / static_cast<double>(n);
    });
    return Result{ns, bytes};
  });
  Set s;
  for (uint64_t k : keys) insert(s, k);
  Report("keyset insert", "present", n, impl, [&] {
    return Result{NsPerOp(n, Rounds(n),
                          [&] {
                            for (uint64_t k : again) g_sink += insert(s, k);
                          }),
                  -1};
  });
}

template <typename Set, typename InsertFn, typename ContainsFn>
void KeySetContains(const char* impl, size_t n, InsertFn insert, ContainsFn contains) {
  const std::vector<uint64_t> keys = RandomHashes(n, n);
  const std::vector<uint64_t> absent = RandomHashes(n, n + 1);
  Set s;
  for (uint64_t k : keys) insert(s, k);
  for (const int present_pct : {90, 10}) {
    std::vector<uint64_t> queries;
    std::mt19937_64 rng(3);
    for (size_t i = 0; i < n; ++i) {
      queries.push_back(rng() % 100 < static_cast<uint64_t>(present_pct) ? keys[rng() % n]
                                                                         : absent[rng() % n]);
    }
    Report("keyset contains", present_pct == 90 ? "90% present" : "90% absent", n, impl, [&] {
      return Result{NsPerOp(n, Rounds(n),
                            [&] {
                              for (uint64_t q : queries) g_sink += contains(s, q);
                            }),
                    -1};
    });
  }
}

std::vector<std::string> Strings(size_t n, const char* prefix) {
  std::vector<std::string> v;
  v.reserve(n);
  std::mt19937_64 rng(n);
  for (size_t i = 0; i < n; ++i) v.push_back(prefix + std::to_string(rng() % 10000000000ull));
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

template <typename Table, typename AddFn, typename FindFn>
void Verdicts(const char* impl, size_t n, AddFn add, FindFn find) {
  const std::vector<std::string> values = Strings(n, "user-");
  const std::vector<std::string> absent = Strings(n, "absent-");
  const size_t size = values.size();
  Report("verdicts add", "new", size, impl, [&] {
    double bytes = 0;
    const double ns = NsPerOp(size, Rounds(size), [&] {
      const int64_t before = g_live_bytes;
      Table t;
      for (size_t i = 0; i < size; ++i) add(t, values[i], (i & 1) != 0);
      bytes = static_cast<double>(g_live_bytes - before) / static_cast<double>(size);
    });
    return Result{ns, bytes};
  });
  Table t;
  for (size_t i = 0; i < size; ++i) add(t, values[i], (i & 1) != 0);
  for (const int present_pct : {90, 10}) {
    std::vector<std::string_view> queries;
    std::mt19937_64 rng(3);
    for (size_t i = 0; i < size; ++i) {
      queries.push_back(rng() % 100 < static_cast<uint64_t>(present_pct)
                            ? values[rng() % size]
                            : absent[rng() % absent.size()]);
    }
    Report("verdicts find", present_pct == 90 ? "90% present" : "90% absent", size, impl, [&] {
      return Result{NsPerOp(size, Rounds(size),
                            [&] {
                              for (std::string_view q : queries) g_sink += find(t, q);
                            }),
                    -1};
    });
  }
}

// Keys that carry their XXH3 (TopK needs it anyway for ties), so the table hashes nothing.
struct Key {
  std::string value;
  uint64_t hash;
};
struct Lookup {
  std::string_view value;
  uint64_t hash;
};
struct KeyHash {
  using is_transparent = void;
  size_t operator()(const Key& k) const { return k.hash; }
  size_t operator()(const Lookup& k) const { return k.hash; }
};
struct KeyEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return a.hash == b.hash && std::string_view(a.value) == std::string_view(b.value);
  }
};

// Exact counts per value of batches of 2048 values drawn from `distinct` values.
void TopKCount(size_t distinct) {
  const std::vector<std::string> pool = Strings(distinct, "v");
  std::vector<std::vector<std::string_view>> batches;
  std::mt19937_64 rng(11);
  for (size_t start = 0; start < kOps; start += 2048) {
    batches.emplace_back();
    for (size_t i = 0; i < 2048; ++i) batches.back().push_back(pool[rng() % pool.size()]);
  }
  char mix[32];
  std::snprintf(mix, sizeof mix, "D=%zu", distinct);
  Report("topk count", mix, kOps, "ours (linear probing)", [&] {
    std::vector<ours::Distinct> d;
    std::vector<uint32_t> index;
    return Result{NsPerOp(kOps, 1,
                          [&] {
                            for (const auto& b : batches) {
                              ours::CountBatch(b, d, index);
                              g_sink += d.size();
                            }
                          }),
                  -1};
  });
  Report("topk count", mix, kOps, "FlatTable", [&] {
    struct Slot {  // as TopK::UpdateBatch's: an entry of d
      uint32_t entry = UINT32_MAX;
      bool empty() const { return entry == UINT32_MAX; }
    };
    std::vector<ours::Distinct> d;
    sluice::FlatTable<Slot> index;
    const auto hash_of = [&](Slot s) { return d[s.entry].hash; };
    return Result{NsPerOp(kOps, 1,
                          [&] {
                            for (const auto& b : batches) {
                              d.clear();
                              index.Reset(b.size());
                              for (uint32_t i = 0; i < b.size(); ++i) {
                                const std::string_view v = b[i];
                                const uint64_t h = XXH3_64bits(v.data(), v.size());
                                const size_t at = index.Probe(h, [&](Slot s) {
                                  return d[s.entry].hash == h && b[d[s.entry].first] == v;
                                });
                                if (const Slot* found = index.At(at)) {
                                  ++d[found->entry].count;
                                } else {
                                  d.push_back({h, 1, i});
                                  index.Insert(at, {static_cast<uint32_t>(d.size() - 1)}, hash_of);
                                }
                              }
                              g_sink += d.size();
                            }
                          }),
                  -1};
  });
  Report("topk count", mix, kOps, "absl map<absl::string_view>", [&] {
    std::vector<ours::Distinct> d;
    absl::flat_hash_map<absl::string_view, uint32_t> index;
    return Result{NsPerOp(kOps, 1,
                          [&] {
                            for (const auto& b : batches) {
                              d.clear();
                              index.clear();
                              index.reserve(b.size());
                              for (uint32_t i = 0; i < b.size(); ++i) {
                                const auto [it, added] =
                                    index.try_emplace(absl::string_view(b[i].data(), b[i].size()),
                                                      static_cast<uint32_t>(d.size()));
                                if (added) {
                                  d.push_back({XXH3_64bits(b[i].data(), b[i].size()), 1, i});
                                } else {
                                  ++d[it->second].count;
                                }
                              }
                              g_sink += d.size();
                            }
                          }),
                  -1};
  });
  Report("topk count", mix, kOps, "absl map<{string_view, XXH3}>", [&] {
    std::vector<ours::Distinct> d;
    absl::flat_hash_map<Lookup, uint32_t, KeyHash, KeyEq> index;
    return Result{NsPerOp(kOps, 1,
                          [&] {
                            for (const auto& b : batches) {
                              d.clear();
                              index.clear();
                              index.reserve(b.size());
                              for (uint32_t i = 0; i < b.size(); ++i) {
                                const uint64_t h = XXH3_64bits(b[i].data(), b[i].size());
                                const auto [it, added] = index.try_emplace(
                                    Lookup{b[i], h}, static_cast<uint32_t>(d.size()));
                                if (added) {
                                  d.push_back({h, 1, i});
                                } else {
                                  ++d[it->second].count;
                                }
                              }
                              g_sink += d.size();
                            }
                          }),
                  -1};
  });
}

void TopKTable(bool hits) {
  const std::vector<std::string> monitored = Strings(64, "c");
  const std::vector<std::string> others = Strings(1 << 16, "id");
  std::vector<std::string_view> queries;
  std::mt19937_64 rng(5);
  for (size_t i = 0; i < (1 << 20); ++i) {
    queries.push_back(hits ? std::string_view(monitored[rng() % monitored.size()])
                           : std::string_view(others[rng() % others.size()]));
  }
  const char* mix = hits ? "all present" : "all absent";
  Report("topk table", mix, 64, "ours (XXH3 + probe)", [&] {
    const ours::TopKTable t(monitored);
    return Result{NsPerOp(queries.size(), Rounds(queries.size()),
                          [&] {
                            for (std::string_view q : queries) {
                              g_sink += t.Find(q, XXH3_64bits(q.data(), q.size()));
                            }
                          }),
                  -1};
  });
  Report("topk table", mix, 64, "absl map<{value, XXH3}>", [&] {
    absl::flat_hash_map<Key, uint32_t, KeyHash, KeyEq> t;
    for (uint32_t s = 0; s < monitored.size(); ++s) {
      t.try_emplace(Key{monitored[s], XXH3_64bits(monitored[s].data(), monitored[s].size())}, s);
    }
    return Result{NsPerOp(queries.size(), Rounds(queries.size()),
                          [&] {
                            for (std::string_view q : queries) {
                              const auto it = t.find(Lookup{q, XXH3_64bits(q.data(), q.size())});
                              g_sink += it == t.end() ? UINT32_MAX : it->second;
                            }
                          }),
                  -1};
  });
}

}  // namespace

int main(int argc, char** argv) {
  size_t max_n = 10000000;
  std::string only;  // runs only the workloads whose name starts with it
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--repeat") == 0) g_repeat = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--max") == 0) max_n = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }
  auto want = [&](std::string_view workload) { return workload.starts_with(only); };
  std::printf("bench/hash: median of %d runs; spread = (max - min) / median\n\n", g_repeat);
  std::printf("| workload | mix | N | table | ns/op | spread | bytes/key |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  std::vector<size_t> sizes;
  for (size_t n = 1000; n <= max_n; n *= 100) sizes.push_back(n);

  using sluice::quality::HashSet;
  for (size_t n : want("keyset insert") ? sizes : std::vector<size_t>{}) {
    KeySetInsert<ours::HashSet>("ours (linear probing)", n,
                                [](ours::HashSet& s, uint64_t k) { return s.Insert(k); });
    KeySetInsert<HashSet>("FlatTable", n, [](HashSet& s, uint64_t k) { return s.Insert(k); });
    KeySetInsert<absl::flat_hash_set<uint64_t>>(
        "absl set<u64>", n,
        [](absl::flat_hash_set<uint64_t>& s, uint64_t k) { return s.insert(k).second; });
    KeySetInsert<absl::flat_hash_set<uint64_t, Identity>>(
        "absl set<u64>, identity hash", n,
        [](absl::flat_hash_set<uint64_t, Identity>& s, uint64_t k) { return s.insert(k).second; });
  }
  for (size_t n : want("keyset contains") ? sizes : std::vector<size_t>{}) {
    KeySetContains<ours::HashSet>(
        "ours (linear probing)", n, [](ours::HashSet& s, uint64_t k) { return s.Insert(k); },
        [](const ours::HashSet& s, uint64_t k) { return s.Contains(k); });
    KeySetContains<HashSet>(
        "FlatTable", n, [](HashSet& s, uint64_t k) { return s.Insert(k); },
        [](const HashSet& s, uint64_t k) { return s.Contains(k); });
    KeySetContains<absl::flat_hash_set<uint64_t>>(
        "absl set<u64>", n,
        [](absl::flat_hash_set<uint64_t>& s, uint64_t k) { return s.insert(k).second; },
        [](const absl::flat_hash_set<uint64_t>& s, uint64_t k) { return s.contains(k); });
    KeySetContains<absl::flat_hash_set<uint64_t, Identity>>(
        "absl set<u64>, identity hash", n,
        [](absl::flat_hash_set<uint64_t, Identity>& s, uint64_t k) { return s.insert(k).second; },
        [](const absl::flat_hash_set<uint64_t, Identity>& s, uint64_t k) { return s.contains(k); });
  }
  for (size_t n : want("verdicts") ? sizes : std::vector<size_t>{}) {
    Verdicts<ours::StringVerdicts>(
        "ours (linear probing)", n,
        [](ours::StringVerdicts& t, std::string_view v, bool pass) { t.Add(v, pass); },
        [](const ours::StringVerdicts& t, std::string_view v) { return int{t.Find(v)}; });
    using sluice::quality::StringVerdicts;
    Verdicts<StringVerdicts>(
        "FlatTable", n, [](StringVerdicts& t, std::string_view v, bool pass) { t.Add(v, pass); },
        [](const StringVerdicts& t, std::string_view v) { return int{t.Find(v)}; });
    using Map = absl::flat_hash_map<std::string, bool>;
    Verdicts<Map>(
        "absl map<string,bool>", n,
        [](Map& t, std::string_view v, bool pass) { t.try_emplace(std::string(v), pass); },
        [](const Map& t, std::string_view v) {
          const auto it = t.find(absl::string_view(v.data(), v.size()));
          return it == t.end() ? -1 : int{it->second};
        });
  }
  for (size_t d :
       want("topk count") ? std::vector<size_t>{20, 1000, 100000, max_n} : std::vector<size_t>{}) {
    TopKCount(d);
  }
  if (want("topk table")) {
    TopKTable(true);
    TopKTable(false);
  }
  return g_sink == 42 ? 1 : 0;
}
