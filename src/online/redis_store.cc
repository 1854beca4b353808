// The scale-out online store: Redis (SPEC §2), through hiredis. Keys are prefixed with
// "sluice:<project>:" so that several projects can share one server. Writes go in one
// MULTI/EXEC transaction per call; their durability is the server's (appendonly/appendfsync).
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>

#include "online/store.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  int db = 0;
};

// redis://[:password@]host[:port][/db]
RedisUrl ParseUrl(const std::string& url) {
  const std::string scheme = "redis://";
  auto bad = [&](const char* why) {
    return InputError(fmt::format(
        "online_store url '{}': {} (write redis://[:password@]host[:port][/db])", url, why));
  };
  if (url.rfind(scheme, 0) != 0) throw bad("not a redis:// url");
  std::string rest = url.substr(scheme.size());
  RedisUrl u;
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    std::string auth = rest.substr(0, at);
    if (const size_t colon = auth.find(':'); colon != std::string::npos) {
      auth = auth.substr(colon + 1);
    }
    u.password = auth;
    rest = rest.substr(at + 1);
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    const std::string db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), u.db);
      if (ec != std::errc() || p != db.data() + db.size() || u.db < 0) throw bad("bad db number");
    }
  }
  if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || p != port.data() + port.size() || u.port <= 0 || u.port > 65535) {
      throw bad("bad port");
    }
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) u.host = rest;
  return u;
}

// argv/lengths views of `args` for hiredis' *Argv functions.
struct Argv {
  explicit Argv(const std::vector<std::string>& args) {
    for (const std::string& a : args) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  int count() const { return static_cast<int>(ptrs.size()); }
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
};

struct ReplyGuard {
  redisReply* r = nullptr;
  ~ReplyGuard() {
    if (r) freeReplyObject(r);
  }
};

// One connection to the server; a failed command drops it and the next one reconnects.
class Connection {
 public:
  Connection(const std::string& url, const RedisUrl& where) : url_(url), where_(where) {
    Connect();
  }
  ~Connection() { Reset(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  UnavailableError Fail(const std::string& what) const {
    return UnavailableError(fmt::format("online store (redis at {}): {}", url_, what));
  }

  // Sends one command and waits for its reply (reconnecting once if the connection dropped).
  redisReply* Command(const std::vector<std::string>& args) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!c_) Connect();
      Argv argv(args);
      auto* r = static_cast<redisReply*>(
          redisCommandArgv(c_, argv.count(), argv.ptrs.data(), argv.lens.data()));
      if (r) {
        if (r->type == REDIS_REPLY_ERROR) {
          const std::string message = r->str;
          freeReplyObject(r);
          throw Fail(args[0] + " failed: " + message);
        }
        return r;
      }
      Reset();
    }
    throw Fail("connection lost");
  }

  // Pipelining: Append commands, then take their replies in order with GetReply.
  void Append(const std::vector<std::string>& args) {
    if (!c_) Connect();
    Argv argv(args);
    if (redisAppendCommandArgv(c_, argv.count(), argv.ptrs.data(), argv.lens.data()) != REDIS_OK) {
      Reset();
      throw Fail("cannot send a command");
    }
  }
  redisReply* GetReply() {
    redisReply* r = nullptr;
    if (redisGetReply(c_, reinterpret_cast<void**>(&r)) != REDIS_OK || !r) {
      Reset();
      throw Fail("connection lost during a write");
    }
    return r;
  }

 private:
  void Connect() {
    const timeval timeout{5, 0};
    c_ = redisConnectWithTimeout(where_.host.c_str(), where_.port, timeout);
    if (c_ == nullptr || c_->err) {
      const std::string why = c_ ? c_->errstr : "out of memory";
      Reset();
      throw Fail("cannot connect: " + why);
    }
    redisSetTimeout(c_, timeout);
    if (!where_.password.empty()) ReplyGuard{Command({"AUTH", where_.password})};
    if (where_.db != 0) ReplyGuard{Command({"SELECT", std::to_string(where_.db)})};
  }

  void Reset() {
    if (c_) redisFree(c_);
    c_ = nullptr;
  }

  const std::string& url_;
  const RedisUrl& where_;
  redisContext* c_ = nullptr;
};

// A Redis that evicts keys under memory pressure silently drops features (a get answers
// NOT_FOUND for an entity that has values): say so once when the store opens. A server that
// refuses CONFIG (a managed Redis) is not judged.
void WarnIfEvicting(Connection& c) {
  try {
    ReplyGuard reply{c.Command({"CONFIG", "GET", "maxmemory-policy"})};
    const redisReply* r = reply.r;
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[1]->type != REDIS_REPLY_STRING) {
      return;
    }
    const std::string policy(r->element[1]->str, r->element[1]->len);
    if (policy != "noeviction") {
      std::fprintf(stderr,
                   "warning: the Redis online store evicts keys under memory pressure "
                   "(maxmemory-policy %s): features may be lost; set maxmemory-policy noeviction\n",
                   policy.c_str());
    }
  } catch (const Error&) {
  }
}

class RedisStore final : public Store {
 public:
  RedisStore(std::string url, const std::string& project)
      : url_(std::move(url)), where_(ParseUrl(url_)), prefix_("sluice:" + project + ":") {
    idle_.push_back(std::make_unique<Connection>(url_, where_));  // fails early on a bad server
    WarnIfEvicting(*idle_.back());
  }

  std::vector<std::optional<std::string>> MultiGet(const std::vector<std::string>& keys) override {
    std::vector<std::optional<std::string>> out(keys.size());
    if (keys.empty()) return out;
    std::vector<std::string> args = {"MGET"};
    for (const std::string& k : keys) args.push_back(prefix_ + k);
    Lease c(*this);
    ReplyGuard reply{c->Command(args)};
    if (reply.r->type != REDIS_REPLY_ARRAY || reply.r->elements != keys.size()) {
      throw c->Fail("unexpected reply to MGET");
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      const redisReply* e = reply.r->element[i];
      if (e->type == REDIS_REPLY_STRING) out[i] = std::string(e->str, e->len);
    }
    return out;
  }

  void Write(const std::vector<std::pair<std::string, std::string>>& puts) override {
    if (puts.empty()) return;
    Lease c(*this);
    // MULTI, then SETs pipelined, then EXEC: all or nothing on the server.
    c->Append({"MULTI"});
    for (const auto& [k, v] : puts) c->Append({"SET", prefix_ + k, v});
    c->Append({"EXEC"});
    for (size_t i = 0; i < puts.size() + 2; ++i) {
      ReplyGuard reply{c->GetReply()};
      if (reply.r->type == REDIS_REPLY_ERROR) {
        throw c->Fail(std::string("write failed: ") + reply.r->str);
      }
      if (i == puts.size() + 1 && reply.r->type != REDIS_REPLY_ARRAY) {
        throw c->Fail("transaction aborted");
      }
    }
  }

  std::string Describe() const override { return "redis at " + url_; }

 private:
  // A connection of the pool for one call: every serving thread gets its own, so requests
  // do not queue behind one socket. The pool grows to the number of concurrent callers. A
  // call that throws drops its connection (replies may still be pending on it).
  class Lease {
   public:
    explicit Lease(RedisStore& store) : store_(store), exceptions_(std::uncaught_exceptions()) {
      {
        std::lock_guard<std::mutex> lock(store_.mutex_);
        if (!store_.idle_.empty()) {
          c_ = std::move(store_.idle_.back());
          store_.idle_.pop_back();
        }
      }
      if (!c_) c_ = std::make_unique<Connection>(store_.url_, store_.where_);
    }
    ~Lease() {
      if (std::uncaught_exceptions() > exceptions_) return;
      std::lock_guard<std::mutex> lock(store_.mutex_);
      store_.idle_.push_back(std::move(c_));
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection* operator->() { return c_.get(); }

   private:
    RedisStore& store_;
    const int exceptions_;
    std::unique_ptr<Connection> c_;
  };

  std::string url_;
  RedisUrl where_;
  std::string prefix_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace

std::unique_ptr<Store> OpenRedisStore(const std::string& url, const std::string& project) {
  return std::make_unique<RedisStore>(url, project);
}

}  // namespace sluice::online
