// HashSet: membership exactly as a std::set would say, through growth, with 0 and 1 (0 is the
// empty-slot marker and is stored as 1). StringVerdicts: the first verdict of each value.
#include "quality/hash_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace sluice::quality {
namespace {

TEST(HashSet, AgreesWithStdSetThroughGrowth) {
  HashSet s;
  std::set<uint64_t> ref;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t h = rng() % 150000 + 2;  // many repeats
    EXPECT_EQ(s.Insert(h), ref.insert(h).second) << h;
  }
  EXPECT_EQ(s.size(), ref.size());
  for (uint64_t h = 0; h < 160000; ++h) EXPECT_EQ(s.Contains(h), ref.count(h) > 0) << h;
}

TEST(HashSet, ZeroAndOneAreTheSameMember) {
  HashSet s;
  EXPECT_FALSE(s.Contains(0));
  EXPECT_TRUE(s.Insert(0));
  EXPECT_TRUE(s.Contains(0));
  EXPECT_TRUE(s.Contains(1));
  EXPECT_FALSE(s.Insert(1));
  EXPECT_EQ(s.size(), 1u);
}

TEST(StringVerdicts, FirstVerdictStaysAndUnknownOtherwise) {
  StringVerdicts v;
  EXPECT_EQ(v.Find("a"), StringVerdicts::kUnknown);
  v.Add("a", true);
  v.Add("b", false);
  v.Add("a", false);  // already there: keeps pass
  v.Add("", false);
  EXPECT_EQ(v.Find("a"), StringVerdicts::kPass);
  EXPECT_EQ(v.Find("b"), StringVerdicts::kFail);
  EXPECT_EQ(v.Find(""), StringVerdicts::kFail);
  EXPECT_EQ(v.Find("c"), StringVerdicts::kUnknown);
  EXPECT_EQ(v.size(), 3u);
  for (int i = 0; i < 5000; ++i) v.Add("x" + std::to_string(i), i % 3 == 0);
  for (int i = 0; i < 5000; ++i) {
    EXPECT_EQ(v.Find("x" + std::to_string(i)),
              i % 3 == 0 ? StringVerdicts::kPass : StringVerdicts::kFail);
  }
  EXPECT_EQ(v.Find("x5000"), StringVerdicts::kUnknown);
  EXPECT_EQ(v.size(), 5003u);
}

}  // namespace
}  // namespace sluice::quality
