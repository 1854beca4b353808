#include "common/parallel.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace sluice {
namespace {

TEST(Pipeline, ConsumesEveryItemInPushOrder) {
  std::vector<int> seen;
  Pipeline<int>(
      [](const std::function<void(int&&)>& push) {
        for (int i = 0; i < 1000; ++i) push(int(i));
      },
      [&](int&& i) { seen.push_back(i); }, 2);
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[i], i);
}

TEST(Pipeline, ConsumerErrorStopsTheProducerAndIsRethrown) {
  int pushed = 0;
  try {
    Pipeline<int>(
        [&](const std::function<void(int&&)>& push) {
          for (int i = 0; i < 1000000; ++i) {
            push(int(i));
            ++pushed;
          }
        },
        [](int&& i) {
          if (i == 10) throw std::runtime_error("bad item 10");
        },
        2);
    FAIL() << "expected the consumer's error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "bad item 10");
  }
  EXPECT_LT(pushed, 1000) << "the producer stopped soon after the consumer failed";
}

TEST(Pipeline, ProducerErrorIsRethrownAndNoMoreItemsAreConsumed) {
  std::vector<int> seen;
  try {
    Pipeline<int>(
        [](const std::function<void(int&&)>& push) {
          push(1);
          throw std::runtime_error("read failed");
        },
        [&](int&& i) { seen.push_back(i); });
    FAIL() << "expected the producer's error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "read failed");
  }
  EXPECT_LE(seen.size(), 1u);
}

TEST(ParallelFor, RunsEveryIndexOnceAndRethrows) {
  std::vector<int> hits(100, 0);
  ParallelFor(100, 4, [&](size_t i, int) { ++hits[i]; });
  for (int h : hits) EXPECT_EQ(h, 1);
  EXPECT_THROW(ParallelFor(10, 2, [](size_t i, int) {
                 if (i == 5) throw std::runtime_error("x");
               }),
               std::runtime_error);
}

}  // namespace
}  // namespace sluice
