// FlatTable: membership and erasure exactly as a std::map says, through growth and
// backward-shift deletion, with hashes that collide on purpose (few distinct hashes, long
// probe runs that wrap around the end of the array).
#include "common/flat_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace sluice {
namespace {

struct Slot {
  uint64_t h = 0;
  uint32_t id = UINT32_MAX;  // into the test's values
  bool empty() const { return id == UINT32_MAX; }
};
uint64_t HashOfSlot(const Slot& s) { return s.h; }

// A map from strings to ids over a FlatTable, hashed by a deliberately weak hash.
class Index {
  // Defined before use: their return types are deduced.
  uint64_t HashOf(const std::string& v) const { return std::hash<std::string>{}(v) % hash_range_; }
  auto Is(const std::string& v) const {
    return [this, &v](const Slot& s) { return s.h == HashOf(v) && values_[s.id] == v; };
  }

 public:
  explicit Index(uint64_t hash_range) : hash_range_(hash_range) {}
  // Adds `v` unless there; its id.
  uint32_t Add(const std::string& v) {
    const size_t at = table_.Probe(HashOf(v), Is(v));
    if (const Slot* s = table_.At(at)) return s->id;
    values_.push_back(v);
    const uint32_t id = static_cast<uint32_t>(values_.size() - 1);
    table_.Insert(at, {HashOf(v), id}, HashOfSlot);
    return id;
  }
  int64_t Find(const std::string& v) const {
    const Slot* s = table_.Find(HashOf(v), Is(v));
    return s ? int64_t{s->id} : -1;
  }
  bool Erase(const std::string& v) {
    const size_t at = table_.Probe(HashOf(v), Is(v));
    if (!table_.At(at)) return false;
    table_.Erase(at, HashOfSlot);
    return true;
  }
  size_t size() const { return table_.size(); }
  void Reset() { table_.Reset(0); }

 private:
  uint64_t hash_range_;
  FlatTable<Slot> table_;
  std::vector<std::string> values_;
};

TEST(FlatTable, AgreesWithStdMapThroughGrowthAndErasure) {
  for (const uint64_t hash_range : {uint64_t{7}, uint64_t{1000}, UINT64_MAX}) {
    Index index(hash_range);
    std::map<std::string, uint32_t> ref;
    std::mt19937_64 rng(hash_range);
    for (int i = 0; i < 20000; ++i) {
      const std::string v = "v" + std::to_string(rng() % 3000);
      if (rng() % 3 == 0) {
        EXPECT_EQ(index.Erase(v), ref.erase(v) == 1) << v;
      } else {
        const uint32_t id = index.Add(v);
        EXPECT_EQ(ref.emplace(v, id).first->second, id) << v;
      }
      if (i % 1000 == 0) {
        for (int k = 0; k < 3000; ++k) {
          const std::string w = "v" + std::to_string(k);
          const auto it = ref.find(w);
          EXPECT_EQ(index.Find(w), it == ref.end() ? -1 : int64_t{it->second}) << w;
        }
      }
    }
    EXPECT_EQ(index.size(), ref.size());
    index.Reset();
    EXPECT_EQ(index.size(), 0u);
    EXPECT_EQ(index.Find("v1"), -1);
  }
}

TEST(FlatTable, EmptyTableFindsNothingAndGrowsOnFirstInsert) {
  FlatTable<Slot> t;
  EXPECT_EQ(t.Probe(5, [](const Slot&) { return true; }), FlatTable<Slot>::kNone);
  EXPECT_EQ(t.Find(5, [](const Slot&) { return true; }), nullptr);
  t.Insert(FlatTable<Slot>::kNone, {5, 0}, HashOfSlot);
  ASSERT_NE(t.Find(5, [](const Slot&) { return true; }), nullptr);
  EXPECT_EQ(t.Find(5, [](const Slot&) { return true; })->id, 0u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.size_bytes(), 16 * sizeof(Slot));  // the least size
}

}  // namespace
}  // namespace sluice
