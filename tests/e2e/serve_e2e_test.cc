// `sluice serve` end to end: a real server process answered over HTTP, compared with
// `sluice get-online`; bad requests get 4xx and the server keeps serving; /metrics counts them.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/time.h"
#include "e2e/e2e_util.h"
#include "server/http.h"
#include "sluice/error.h"

namespace sluice {
namespace {

constexpr const char* kDefs = R"yaml(entities:
  - {name: user, join_keys: [user_id]}
sources:
  - {name: tx, type: file, path: data/*.csv, timestamp_field: ts}
feature_views:
  - name: v
    entities: [user]
    source: tx
    ttl: 30d
    features:
      - {name: amount, expr: amount}
      - {name: n_7d, aggregate: count, window: 7d, hop: 1d}
      - {name: total_7d, aggregate: sum, expr: amount, window: 7d, hop: 1d}
      - {name: max_3d, aggregate: max, expr: amount, window: 3d, hop: 0}
on_demand_views:
  - name: od
    inputs: [v]
    request: {bonus: float64}
    features:
      - {name: boosted, expr: "v.amount + bonus"}
feature_services:
  - {name: svc, features: [v]}
  - {name: with_od, features: [v, od]}
)yaml";

// Rows an hour to two days old: no window edge moves while a test runs.
void MakeRepo(const ScratchRepo& repo, const std::string& extra_config = "") {
  repo.Write("sluice.yaml", "project: s\n" + extra_config);
  repo.Write("defs.yaml", kDefs);
  std::string rows = "user_id,ts,amount\n";
  const Micros now = NowMicros();
  for (int i = 0; i < 40; ++i) {
    const Micros ts = now - (3600 + i * 4000LL) * kMicrosPerSecond;
    rows += fmt::format("{},{},{}.25\n", i % 7, FormatTimestamp(ts).substr(0, 19), i);
  }
  repo.Write("data/a.csv", rows);
  repo.Run("apply");
  repo.Run("ingest tx");
  repo.Run("materialize");
}

TEST(ServeE2E, AnswersAsGetOnlineDoes) {
  ScratchRepo repo;
  MakeRepo(repo);
  SluiceServer server(repo.root());
  httplib::Client http("127.0.0.1", server.port());
  auto health = http.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");

  auto res = http.Post("/get-online-features",
                       R"({"feature_service": "svc", "full_feature_names": true,
                           "entities": {"user_id": [0, 3, 99, null]}})",
                       "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const nlohmann::json cli = repo.Json(
      "get-online --service svc --entity user_id=0 --entity user_id=3 --entity user_id=99");
  nlohmann::json got = nlohmann::json::parse(res->body);
  // The null key is a fourth row: NOT_FOUND everywhere, with the empty window values.
  EXPECT_EQ(got["results"][2]["statuses"][3], "NOT_FOUND");
  EXPECT_EQ(got["results"][2]["values"][3], 0);
  EXPECT_EQ(got["results"][0]["statuses"][3], "NULL_VALUE");
  EXPECT_EQ(got["results"][0]["values"][3], nullptr);
  for (auto& col : got["results"]) {
    for (const char* k : {"values", "statuses", "event_timestamps"}) col[k].erase(3);
  }
  EXPECT_EQ(got, cli);
  // user 0 has rows i = 0, 7, …, 35 (amount i.25): newest is i = 0.
  EXPECT_EQ(got["results"][1]["values"][0], 0.25);
  EXPECT_EQ(got["results"][2]["values"][0], 6);

  // Short names, a feature list, and an on-demand view from request data.
  res = http.Post("/get-online-features",
                  R"({"features": ["v:amount", "od:boosted"],
                      "entities": {"user_id": [3], "bonus": [1.5]}})",
                  "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  got = nlohmann::json::parse(res->body);
  EXPECT_EQ(got["metadata"]["feature_names"],
            (nlohmann::json{"user_id", "amount", "boosted"}));
  EXPECT_EQ(got["results"][1]["values"][0], 3.25);
  EXPECT_EQ(got["results"][2]["values"][0], 4.75);
}

TEST(ServeE2E, MaterializeWhileServingIsPickedUp) {
  ScratchRepo repo;
  MakeRepo(repo);
  SluiceServer server(repo.root());
  httplib::Client http("127.0.0.1", server.port());
  const std::string body = R"({"features": ["v:amount"], "entities": {"user_id": [3]}})";
  auto amount = [&] {
    auto res = http.Post("/get-online-features", body, "application/json");
    return res && res->status == 200
               ? nlohmann::json::parse(res->body)["results"][1]["values"][0]
               : nlohmann::json("request failed");
  };
  EXPECT_EQ(amount(), 3.25);
  const std::string ts = FormatTimestamp(NowMicros() - 60 * kMicrosPerSecond).substr(0, 19);
  repo.Write("data/b.csv", "user_id,ts,amount\n3," + ts + ",777.25\n");
  repo.Run("ingest tx");
  repo.Run("materialize");  // the server holds no lock that stops the writer
  nlohmann::json seen;
  for (int i = 0; i < 50 && seen != 777.25; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen = amount();
  }
  EXPECT_EQ(seen, 777.25) << "the server did not pick up the new values within 5 s";
}

TEST(ServeE2E, BadRequestsGet4xxAndTheServerKeepsServing) {
  ScratchRepo repo;
  MakeRepo(repo, "server: {auth_token: s3cret, max_request_bytes: 2000}\n");
  SluiceServer server(repo.root());
  httplib::Client http("127.0.0.1", server.port());
  const httplib::Headers auth = {{"Authorization", "Bearer s3cret"}};
  const std::string good = R"({"feature_service": "svc", "entities": {"user_id": [1]}})";
  struct Case {
    std::string body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{bad", 400, "malformed JSON"},
      {"[1]", 400, "the body must be a JSON object"},
      {R"({"entities": {"user_id": [1]}})", 400, "give exactly one of"},
      {R"({"feature_service": "svx", "entities": {"user_id": [1]}})", 404,
       "unknown feature service 'svx'; did you mean 'svc'?"},
      {R"({"features": ["v:nope"], "entities": {"user_id": [1]}})", 404,
       "unknown feature 'nope' of view 'v'"},
      {R"({"feature_service": "svc", "entities": {"user_id": ["1"]}})", 400,
       "entity key 'user_id' must hold int64 values; value 0 is"},
      {R"({"feature_service": "svc", "entities": {"user": [1]}})", 400,
       "unknown entity key 'user'"},
      {R"({"feature_service": "svc", "entities": {}})", 400, "missing entity key 'user_id'"},
      {R"({"feature_service": "with_od", "entities": {"user_id": [1, 2], "bonus": [1.0]}})", 400,
       "request field 'bonus' has 1 values, others have 2"},
      {R"({"feature_service": "svc", "entities": {"user_id": [1]}, "pad": ")" +
           std::string(3000, 'x') + "\"}",
       413, "request body too large"},
  };
  for (const Case& c : cases) {
    auto res = http.Post("/get-online-features", auth, c.body, "application/json");
    ASSERT_TRUE(res) << c.body.substr(0, 60);
    EXPECT_EQ(res->status, c.status) << c.body.substr(0, 60) << " → " << res->body;
    EXPECT_NE(res->body.find(c.message), std::string::npos) << res->body;
  }
  auto res = http.Post("/get-online-features", good, "application/json");  // no token
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = http.Post("/get-online-features", {{"Authorization", "Bearer wrong"}}, good,
                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = http.Get("/nowhere", auth);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  // Still serving.
  res = http.Post("/get-online-features", auth, good, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = http.Get("/metrics", auth);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const std::string& m = res->body;
  for (const std::string& line : {
           std::string(R"(sluice_http_requests_total{path="/get-online-features",status="200"} 1)"),
           std::string(R"(sluice_http_requests_total{path="/get-online-features",status="400"} 7)"),
           std::string(R"(sluice_http_requests_total{path="/get-online-features",status="404"} 2)"),
           std::string(R"(sluice_http_requests_total{path="/get-online-features",status="401"} 2)"),
           std::string(R"(sluice_http_requests_total{path="/get-online-features",status="413"} 1)"),
           std::string(R"(sluice_http_requests_total{path="other",status="404"} 1)"),
           std::string("sluice_http_errors_total 13"),
           std::string("sluice_get_online_features_seconds_count 10"),
           std::string(R"(sluice_get_online_features_seconds_bucket{le="+Inf"} 10)"),
       }) {
    EXPECT_NE(m.find(line + "\n"), std::string::npos) << line << "\n" << m;
  }
}


// Bodies that once took the server down or answered 500: a string that is not UTF-8 (the
// error answer quoted it), fields of the wrong type, numbers beyond int64, unknown fields,
// very deep nesting. Each gets 400 naming the field, and the server keeps serving.
TEST(ServeE2E, BodiesOfAnyShapeGet400AndTheServerKeepsServing) {
  ScratchRepo repo;
  MakeRepo(repo);
  SluiceServer server(repo.root());
  httplib::Client http("127.0.0.1", server.port());
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{\"features\": [\"\xB4\xB4\"], \"entities\": {\"user_id\": [1]}}",
       "ill-formed UTF-8 byte"},
      {"{\"feature_service\": \"svc\", \"entities\": {\"user_id\": [1]}, \"x\": \"\xC3\"}",
       "ill-formed UTF-8 byte"},
      {R"({"feature_service": "svc", "entities": {"user_id": [1]}, "full_feature_names": "yes"})",
       "\"full_feature_names\" must be true or false"},
      {R"({"feature_service": "svc", "entities": {"user_id": [18446744073709551615]}})",
       "entity key 'user_id': value 0 (18446744073709551615) is out of the int64 range"},
      {R"({"feature_service": "svc", "entities": {"user_id": [1]}, "entites": {}})",
       "unknown field \"entites\""},
      {R"({"feature_service": 7, "entities": {"user_id": [1]}})",
       "\"feature_service\" must be a string"},
      {R"({"feature_service": "svc", "entities": {"user_id": [1]}, "request_data": []})",
       "\"request_data\" must be an object"},
      {R"({"feature_service": "svc", "entities": {"user_id": )" + deep + "}}",
       "entity key 'user_id' must hold int64 values; value 0 is an array of 1"},
      {deep, "the body must be a JSON object"},
      // Found by http_body_fuzz: a number beyond a double is nlohmann's out_of_range, not a
      // parse_error; it answered 500 (and crashed the push body reader).
      {R"({"feature_service": "svc", "entities": {"user_id": [1]}, "x": 5E6536})",
       "malformed JSON"},
      {"{\"" + std::string(100000, 'k') + "\": 1}", "unknown field \"kkkk"},
      {"{\"feature_service\": \"" + std::string(100000, 'k'), "malformed JSON"},
      {R"({"feature_service": "svc", "entities": {"user_id": ["x)" + std::string(500, 'y') +
           "\"]}}",
       "value 0 is \"xyyyyyyyyy"},
  };
  for (const Case& c : cases) {
    auto res = http.Post("/get-online-features", c.body, "application/json");
    ASSERT_TRUE(res) << "the server is down after " << c.body.substr(0, 80);
    EXPECT_EQ(res->status, 400) << c.body.substr(0, 80) << " → " << res->body;
    EXPECT_LT(res->body.size(), 400u) << "an error answer quotes a value whole";
    ASSERT_TRUE(nlohmann::json::accept(res->body)) << res->body;
    const std::string message = nlohmann::json::parse(res->body)["error"]["message"];
    EXPECT_NE(message.find(c.message), std::string::npos) << message;
  }
  // Push bodies: the same rules.
  for (const std::string& body :
       {std::string("{\"push_source_name\": \"\xB4\", \"df\": {}}"),
        std::string(R"({"push_source_name": "clicks", "df": {"n": [5E6536]}})"),
        std::string(R"({"push_source_name": "nope", "df": {}})"), deep}) {
    auto res = http.Post("/push", body, "application/json");
    ASSERT_TRUE(res) << "the server is down after " << body.substr(0, 80);
    EXPECT_GE(res->status, 400) << res->body;
    EXPECT_LT(res->status, 500) << res->body;
  }
  auto res = http.Post("/push", R"({"push_source_name": "nope", "df": {}})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find("unknown push source 'nope' (no push source is defined)"),
            std::string::npos)
      << res->body;
  res = http.Post("/get-online-features",
                  R"({"feature_service": "svc", "entities": {"user_id": [1]}})",
                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body.find("status=\"500\""), std::string::npos) << res->body;
}

// RFC 9110: the auth scheme is case-insensitive; the token is not.
TEST(ServeE2E, BearerSchemeIsCaseInsensitiveTheTokenIsNot) {
  ScratchRepo repo;
  MakeRepo(repo, "server: {auth_token: s3cret}\n");
  SluiceServer server(repo.root());
  EXPECT_EQ(server.started()["auth"], true);
  httplib::Client http("127.0.0.1", server.port());
  const std::string good = R"({"feature_service": "svc", "entities": {"user_id": [1]}})";
  for (const auto& [header, status] : std::vector<std::pair<std::string, int>>{
           {"Bearer s3cret", 200}, {"bearer s3cret", 200}, {"BEARER s3cret", 200},
           {"Bearer S3CRET", 401}, {"Bearer s3cre", 401}, {"Bearer s3cret2", 401},
           {"Basic s3cret", 401}, {"s3cret", 401}, {"Bearer", 401}, {"", 401}}) {
    auto res = http.Post("/get-online-features", {{"Authorization", header}}, good,
                         "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << "Authorization: " << header << " → " << res->body;
  }
}

// A read token reads; only a write token (or auth_token) pushes and materializes.
TEST(ServeE2E, ReadTokensReadWriteTokensWrite) {
  ScratchRepo repo;
  MakeRepo(repo, "server: {write_token: w-secret, read_token: r-secret}\n");
  SluiceServer server(repo.root());
  EXPECT_EQ(server.started()["auth"], true);
  httplib::Client http("127.0.0.1", server.port());
  const std::string get = R"({"feature_service": "svc", "entities": {"user_id": [1]}})";
  struct Case {
    std::string token, path, body;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"r-secret", "/get-online-features", get, 200},
           {"w-secret", "/get-online-features", get, 200},
           {"nope", "/get-online-features", get, 401},
           {"r-secret", "/materialize", "{}", 403},
           {"r-secret", "/push", "{}", 403},
           {"", "/materialize", "{}", 401},
           {"w-secret", "/materialize", "{}", 200},
       }) {
    httplib::Headers h;
    if (!c.token.empty()) h.emplace("Authorization", "Bearer " + c.token);
    auto res = http.Post(c.path, h, c.body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, c.status) << c.token << " " << c.path << " → " << res->body;
    // A token never comes back in an answer.
    EXPECT_EQ(res->body.find("secret"), std::string::npos) << res->body;
  }
  auto res = http.Get("/metrics", {{"Authorization", "Bearer r-secret"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // `sluice materialize` reaches the server with the write token.
  repo.Run("materialize");
  repo.Write("sluice.yaml", "project: s\nserver: {auth_token: same, read_token: same}\n");
  const RunResult r = repo.Run("plan", 2);
  EXPECT_NE(r.err.find("server.read_token equals a token that may write"), std::string::npos)
      << r.err;
}

// A server that cannot listen says why and exits 2 (it aborted with no message before).
TEST(ServeE2E, CannotListenIsExit2WithTheReason) {
  ScratchRepo first, second;
  MakeRepo(first);
  MakeRepo(second);
  SluiceServer server(first.root());
  const std::string port = std::to_string(server.port());
  RunResult r = second.Run("serve --host 127.0.0.1 --port " + port, 2);
  EXPECT_NE(r.err.find("error: cannot listen on 127.0.0.1:" + port + ": Address already in use"),
            std::string::npos)
      << r.err;
  const nlohmann::json j = second.Json("serve --host 127.0.0.1 --port " + port, 2);
  EXPECT_EQ(j["error"]["exit_code"], 2);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("Address already in use"),
            std::string::npos);
  r = second.Run("serve --host 256.1.1.1 --port 0", 2);
  EXPECT_NE(r.err.find("cannot listen on 256.1.1.1:0: the host is not an address or a known name"),
            std::string::npos)
      << r.err;
  r = second.Run("serve --host '' --port 0", 2);
  EXPECT_NE(r.err.find("cannot listen: the host is empty (--host)"), std::string::npos) << r.err;
  r = second.Run("serve --port 70000", 2);
  EXPECT_NE(r.err.find("--port: Value 70000 not in range 0 to 65535"), std::string::npos) << r.err;
  // And the first server still serves.
  httplib::Client http("127.0.0.1", server.port());
  auto res = http.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

// A host name resolves; the start-up line says whether a token is needed; no token on an
// address other than loopback warns.
TEST(ServeE2E, ListensOnANameAndSaysWhetherAuthIsOn) {
  ScratchRepo repo;
  MakeRepo(repo);
  {
    SluiceServer server(repo.root(), "localhost");
    EXPECT_EQ(server.started()["host"], "localhost");
    EXPECT_EQ(server.started()["auth"], false);
    httplib::Client http("localhost", server.port());
    auto res = http.Get("/health");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  repo.Write("sluice.yaml", "project: s\nserver: {auth_token: \"\"}\n");
  RunResult r = repo.Run("serve --port 0", 2);
  EXPECT_NE(r.err.find("server.auth_token is empty"), std::string::npos) << r.err;
  repo.Write("sluice.yaml", "project: s\nserver: {read_token: \"a b\"}\n");
  r = repo.Run("serve --port 0", 2);
  EXPECT_NE(r.err.find("server.read_token holds a character a bearer token cannot"),
            std::string::npos)
      << r.err;
}

// A raw client connection: requests written as they are, the answer read until the server
// closes (the requests ask for Connection: close).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool connected() const { return connected_; }
  bool Send(const std::string& data) const {
    return write(fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }
  // What one read returns (a short answer comes whole).
  std::string ReadSome() const {
    char buf[65536];
    const ssize_t n = read(fd_, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  // Everything until the server closes the connection.
  std::string ReadAll() const {
    std::string out;
    char buf[65536];
    ssize_t n = 0;
    while ((n = read(fd_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string PostRequest(const std::string& path, const std::string& body, bool close) {
  return fmt::format("POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: {}\r\n{}\r\n{}",
                     path, body.size(), close ? "Connection: close\r\n" : "", body);
}

// The value of `name` in Prometheus text, or -1.
double MetricValue(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

// Overload (issue 15): while the server stays behind, requests that waited in its queue longer
// than server.max_queue_delay get 503 with Retry-After at once, instead of queueing; the server
// keeps serving, and /metrics counts what it shed.
TEST(ServeE2E, RequestsThatWaitTooLongAreShedWith503AndRetryAfter) {
  ScratchRepo repo;
  MakeRepo(repo, "server: {max_queue_delay: 1ms}\n");
  SluiceServer server(repo.root());
  // Heavy requests (2,000 entities each), four pipelined on each of 150 connections: each turn
  // of a loop finds dozens waiting and takes far longer than 1 ms, turn after turn.
  std::string ids;
  for (int i = 0; i < 2000; ++i) ids += (i ? "," : "") + std::to_string(i % 7);
  const std::string body = R"({"feature_service": "svc", "entities": {"user_id": [)" + ids + "]}}";
  const std::string requests = PostRequest("/get-online-features", body, false) +
                               PostRequest("/get-online-features", body, false) +
                               PostRequest("/get-online-features", body, false) +
                               PostRequest("/get-online-features", body, true);
  constexpr int kClients = 150;
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < kClients; ++i) {
    conns.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(conns.back()->connected());
  }
  for (const auto& c : conns) ASSERT_TRUE(c->Send(requests));
  int ok = 0, shed = 0;
  for (const auto& c : conns) {
    const std::string answers = c->ReadAll();
    for (size_t at = answers.find("HTTP/1.1 "); at != std::string::npos;
         at = answers.find("HTTP/1.1 ", at + 1)) {
      const std::string status = answers.substr(at + 9, 3);
      if (status == "200") {
        ++ok;
        continue;
      }
      ++shed;
      const std::string answer = answers.substr(at, 400);
      EXPECT_EQ(status, "503") << answer;
      EXPECT_NE(answer.find("Retry-After: 1\r\n"), std::string::npos) << answer;
      EXPECT_NE(answer.find("server overloaded: this request waited"), std::string::npos)
          << answer;
      EXPECT_NE(answer.find("server.max_queue_delay, is 1ms"), std::string::npos) << answer;
    }
  }
  EXPECT_EQ(ok + shed, 4 * kClients);
  EXPECT_GE(ok, 1);  // the first turn of an idle loop is never refused
  EXPECT_GE(shed, 1);
  // Still serving; everything is counted.
  httplib::Client http("127.0.0.1", server.port());
  auto res = http.Post("/get-online-features",
                       R"({"feature_service": "svc", "entities": {"user_id": [1]}})",
                       "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(MetricValue(res->body, R"(sluice_http_shed_total{reason="queue_delay"})"), shed)
      << res->body;
  EXPECT_EQ(MetricValue(res->body, R"(sluice_http_shed_total{reason="connections"})"), 0);
  EXPECT_EQ(MetricValue(res->body,
                        R"(sluice_http_requests_total{path="/get-online-features",status="503"})"),
            shed);
  EXPECT_EQ(MetricValue(res->body,
                        R"(sluice_http_requests_total{path="/get-online-features",status="200"})"),
            ok + 1);
}

// Connections over server.max_connections get one answer and are closed: a 503 for the paths
// that shed load, the answer itself for /health and /metrics; a slot freed by a client that
// leaves is taken by the next.
TEST(ServeE2E, ConnectionsOverTheLimitGet503AndAreClosed) {
  ScratchRepo repo;
  MakeRepo(repo, "server: {max_connections: 2}\n");
  SluiceServer server(repo.root());
  const std::string health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  auto first = std::make_unique<RawConnection>(server.port());
  RawConnection second(server.port());
  for (const RawConnection* c : {first.get(), &second}) {
    ASSERT_TRUE(c->Send(health));
    EXPECT_TRUE(c->ReadSome().starts_with("HTTP/1.1 200")) << "a connection within the limit";
  }
  {
    RawConnection third(server.port());
    ASSERT_TRUE(third.Send(PostRequest(
        "/get-online-features", R"({"feature_service": "svc", "entities": {"user_id": [1]}})",
        false)));
    const std::string answer = third.ReadAll();  // the server closes it
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 503")) << answer;
    EXPECT_NE(answer.find("Retry-After: 1\r\n"), std::string::npos) << answer;
    EXPECT_NE(answer.find("too many open connections (the limit, server.max_connections, is 2)"),
              std::string::npos)
        << answer;
  }
  {
    RawConnection probe(server.port());  // a liveness probe is answered, then closed
    ASSERT_TRUE(probe.Send(health));
    const std::string answer = probe.ReadAll();
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
    EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  }
  // The first client leaves: its slot is free once the server has seen it close.
  first.reset();
  std::string answer;
  int refused = 1;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    RawConnection again(server.port());
    ASSERT_TRUE(again.Send(PostRequest(
        "/get-online-features", R"({"feature_service": "svc", "entities": {"user_id": [1]}})",
        true)));
    answer = again.ReadAll();
    if (answer.starts_with("HTTP/1.1 200")) break;
    ++refused;  // tried before the server saw the first one close
  }
  ASSERT_TRUE(answer.starts_with("HTTP/1.1 200")) << answer;
  RawConnection metrics(server.port());
  ASSERT_TRUE(metrics.Send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  answer = metrics.ReadAll();
  EXPECT_EQ(MetricValue(answer, R"(sluice_http_shed_total{reason="connections"})"), refused)
      << answer;
  EXPECT_EQ(MetricValue(answer, R"(sluice_http_requests_total{path="/health",status="200"})"), 3);
}

TEST(ServeE2E, OverloadLimitsAreCheckedAtApply) {
  ScratchRepo repo;
  MakeRepo(repo);
  for (const auto& [config, message] : std::vector<std::pair<std::string, std::string>>{
           {"max_connections: 0", "server.max_connections must be a positive integer up to "
                                  "1000000"},
           {"max_connections: lots", "server.max_connections must be a positive integer"},
           {"max_queue_delay: 10", "bad duration '10' for 'max_queue_delay' of server"},
           {"max_queue_delay: [1]", "'max_queue_delay' of server must be a duration, not a list"},
       }) {
    repo.Write("sluice.yaml", "project: s\nserver: {" + config + "}\n");
    const RunResult r = repo.Run("plan", 2);
    EXPECT_NE(r.err.find("sluice.yaml:2: " + message), std::string::npos) << config << "\n"
                                                                           << r.err;
  }
  repo.Write("sluice.yaml", "project: s\nserver: {max_queue_delay: 0, max_connections: 9}\n");
  repo.Run("plan");
}

// Output of a shell command (stdout), for openssl and curl.
std::string Shell(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// A self-signed certificate for localhost and 127.0.0.1, and its key, in `dir`.
void MakeCertificate(const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::create_directories(dir);
  Shell(fmt::format("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
                    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout {0}/{1}.key "
                    "-out {0}/{1}.pem 2>/dev/null",
                    dir.string(), name));
}

// HTTPS (issue 15): server.tls serves every path over TLS; a client that trusts the
// certificate gets the same answers; `sluice materialize` reaches the server over TLS; a
// plain-HTTP client or an untrusting one gets nothing, and the server keeps serving.
TEST(ServeE2E, ServesHttpsWithTheConfiguredCertificate) {
  ScratchRepo repo;
  MakeRepo(repo, "server: {tls: {cert: tls/server.pem, key: tls/server.key}}\n");
  MakeCertificate(repo.root() / "tls", "server");
  MakeCertificate(repo.root() / "tls", "other");
  ASSERT_TRUE(std::filesystem::exists(repo.root() / "tls/server.pem"));
  const nlohmann::json expected = repo.Json("get-online --service svc --entity user_id=3");
  SluiceServer server(repo.root());
  EXPECT_EQ(server.started()["tls"], true);
  const std::string cert = (repo.root() / "tls/server.pem").string();
  const std::string body =
      R"({"feature_service": "svc", "full_feature_names": true, "entities": {"user_id": [3]}})";
  server::HttpResponse res =
      server::HttpPost("127.0.0.1", server.port(), "/get-online-features", body, "", cert);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(nlohmann::json::parse(res.body), expected);
  EXPECT_EQ(expected["results"][1]["values"][0], 3.25);  // user 3's newest row: i = 3
  // An independent client: curl, trusting the certificate, by name.
  EXPECT_EQ(Shell(fmt::format("curl -s --cacert {} https://localhost:{}/health", cert,
                              server.port())),
            R"({"status":"ok"})");
  // Untrusted: another certificate as the CA. Plain HTTP: no answer.
  try {
    server::HttpPost("127.0.0.1", server.port(), "/get-online-features", body, "",
                     (repo.root() / "tls/other.pem").string());
    ADD_FAILURE() << "a certificate that is not trusted was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos)
        << e.what();
  }
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_read_timeout(5);
  EXPECT_FALSE(plain.Get("/health"));
  // Still serving; materialize goes through it over TLS.
  const RunResult m = repo.Run("--json materialize");
  EXPECT_NE(m.err.find("materializing through it"), std::string::npos) << m.err;
  EXPECT_EQ(nlohmann::json::parse(m.out)["views"][0]["view"], "v") << m.out;
  res = server::HttpPost("127.0.0.1", server.port(), "/get-online-features", body, "", cert);
  EXPECT_EQ(res.status, 200);
}

TEST(ServeE2E, UnusableTlsFilesAreExit2) {
  ScratchRepo repo;
  MakeRepo(repo);
  MakeCertificate(repo.root() / "tls", "a");
  MakeCertificate(repo.root() / "tls", "b");
  RunResult r = repo.Run("serve --port 0 --tls-cert tls/missing.pem --tls-key tls/a.key", 2);
  EXPECT_NE(r.err.find("tls/missing.pem as the TLS certificate (a PEM certificate chain)"),
            std::string::npos)
      << r.err;
  r = repo.Run("serve --port 0 --tls-cert tls/a.pem --tls-key tls/b.key", 2);
  EXPECT_NE(r.err.find("tls/b.key as the TLS private key"), std::string::npos) << r.err;
  r = repo.Run("serve --port 0 --tls-cert tls/a.key --tls-key tls/a.key", 2);
  EXPECT_NE(r.err.find("tls/a.key as the TLS certificate"), std::string::npos) << r.err;
  r = repo.Run("serve --port 0 --tls-cert tls/a.pem", 2);
  EXPECT_NE(r.err.find("--tls-cert requires --tls-key"), std::string::npos) << r.err;
  repo.Write("sluice.yaml", "project: s\nserver: {tls: {cert: tls/a.pem}}\n");
  r = repo.Run("plan", 2);
  EXPECT_NE(r.err.find("sluice.yaml:2: server.tls needs both cert and key"), std::string::npos)
      << r.err;
  repo.Write("sluice.yaml", "project: s\nserver: {tls: {cert: tls/a.pem, key: \"\"}}\n");
  r = repo.Run("plan", 2);
  EXPECT_NE(r.err.find("sluice.yaml:2: server.tls has an empty cert or key"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace sluice
