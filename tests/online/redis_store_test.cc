// The Redis store against a real redis-server: its connection pool under concurrent callers,
// and reconnection after the server drops its connections.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>
#include <thread>
#include <vector>

#include "e2e/e2e_util.h"
#include "online/store.h"

namespace sluice::online {
namespace {

TEST(RedisStore, ConcurrentCallersEachGetTheirOwnAnswers) {
  RedisServer redis;
  const std::unique_ptr<Store> store = OpenRedisStore(redis.url(), "t");
  store->Write({{"shared", "s"}});
  constexpr int kThreads = 8, kRounds = 150;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string mine = "k" + std::to_string(t);
      for (int i = 0; i < kRounds; ++i) {
        const std::string value = mine + "=" + std::to_string(i);
        store->Write({{mine, value}});
        const auto got = store->MultiGet({mine, "shared", "absent"});
        if (got[0] != value || got[1] != "s" || got[2].has_value()) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(store->Get("k" + std::to_string(t)), "k" + std::to_string(t) + "=149");
  }
}

TEST(RedisStore, ReconnectsAfterTheServerDropsItsConnections) {
  RedisServer redis;
  const std::unique_ptr<Store> store = OpenRedisStore(redis.url(), "t");
  store->Write({{"a", "1"}});
  ASSERT_EQ(store->Get("a"), "1");
  // Another client kills every normal client connection, the pool's included.
  redisContext* admin = redisConnect("127.0.0.1", redis.port());
  ASSERT_TRUE(admin != nullptr && admin->err == 0);
  auto* r = static_cast<redisReply*>(redisCommand(admin, "CLIENT KILL TYPE normal SKIPME yes"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->type, REDIS_REPLY_INTEGER);
  EXPECT_GE(r->integer, 1);
  freeReplyObject(r);
  redisFree(admin);
  EXPECT_EQ(store->Get("a"), "1");
  store->Write({{"a", "2"}});
  EXPECT_EQ(store->Get("a"), "2");
}

}  // namespace
}  // namespace sluice::online
