#include "server/server.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/json.h"
#include "common/text.h"
#include "common/time.h"
#include "online/push.h"
#include "online/serving.h"
#include "server/bodies.h"
#include "server/http.h"
#include "server/writer.h"
#include "sluice/error.h"

namespace sluice::server {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Latency histogram bounds (seconds), Prometheus style.
constexpr std::array<double, 11> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                            0.01,   0.025,   0.05,   0.1,   1.0};

struct Histogram {
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets{};  // last: +Inf
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_ns{0};
  void Observe(double seconds) {
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    buckets[i].fetch_add(1, std::memory_order_relaxed);
    count.fetch_add(1, std::memory_order_relaxed);
    sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  }
  void Print(std::string& out, const std::string& name, const std::string& labels) const {
    uint64_t cumulative = 0;
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i <= kBounds.size(); ++i) {
      cumulative += buckets[i].load(std::memory_order_relaxed);
      const std::string le = i < kBounds.size() ? fmt::format("{}", kBounds[i]) : "+Inf";
      out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, le, cumulative);
    }
    out += fmt::format("{}_sum{}{} {}\n", name, labels.empty() ? "" : "{" + labels + "}", "",
                       static_cast<double>(sum_ns.load()) / 1e9);
    out += fmt::format("{}_count{} {}\n", name, labels.empty() ? "" : "{" + labels + "}",
                       count.load());
  }
};

// Times every store read for /metrics.
class TimedStore final : public online::Store {
 public:
  TimedStore(std::unique_ptr<online::Store> inner, Histogram& h)
      : inner_(std::move(inner)), h_(h) {}
  std::vector<std::optional<std::string>> MultiGet(const std::vector<std::string>& keys) override {
    const auto start = Clock::now();
    auto out = inner_->MultiGet(keys);
    h_.Observe(std::chrono::duration<double>(Clock::now() - start).count());
    return out;
  }
  void Write(const std::vector<std::pair<std::string, std::string>>& puts) override {
    inner_->Write(puts);
  }
  std::string Describe() const override { return inner_->Describe(); }

 private:
  std::unique_ptr<online::Store> inner_;
  Histogram& h_;
};

const std::string kOtherPath = "other";  // /metrics label of unknown paths

// Whether `path` is one the server answers (else it is counted as kOtherPath).
bool KnownPath(const std::string& path) {
  return path == "/get-online-features" || path == "/push" || path == "/materialize" ||
         path == "/health" || path == "/metrics";
}

const char* StatusText(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 401:
      return "unauthorized";
    case 404:
      return "no such endpoint (POST /get-online-features, POST /push, POST /materialize, GET "
             "/health, GET /metrics)";
    case 405:
      return "method not allowed";
    default:
      return "error";
  }
}

// Whether an Authorization header carries `token` as a bearer token. The scheme is
// case-insensitive (RFC 9110 §11.1); the token is compared in constant time.
bool BearerMatches(std::string_view header, const std::string& token) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || header[kScheme.size()] != ' ') return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  std::string_view given = header.substr(kScheme.size() + 1);
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(token[i] ^ (i < given.size() ? given[i] : 0));
  }
  return diff == 0;
}

// An error answer. Messages quote request text (a parse error its token, an unknown name the
// name): one is cut at 300 bytes so that no answer echoes a large request back.
std::string ErrorBody(const std::string& message) {
  constexpr size_t kMax = 300;
  return JsonText(json{
      {"error",
       {{"message", message.size() <= kMax ? message : message.substr(0, kMax) + "..."}}}});
}

}  // namespace

struct Server::Impl {
  repo::ServerConfig config;
  Histogram latency, store_latency;
  std::mutex counts_mutex;
  std::map<std::pair<std::string, int>, uint64_t> requests;  // (path, status) → count
  std::unique_ptr<online::Store> store;
  std::unique_ptr<online::FeatureServer> features;
  std::unique_ptr<Writer> writer;
  std::atomic<uint64_t> pushed_rows{0}, push_batches{0}, late_rows_dropped{0};
  std::atomic<uint64_t> shed_queue{0}, shed_connections{0};  // 503s of overload
  std::mutex http_mutex;
  std::unique_ptr<HttpServer> http;
  bool stopped = false;

  void Count(const std::string& path, int status) {
    std::lock_guard<std::mutex> lock(counts_mutex);
    ++requests[{path, status}];
  }

  std::string Metrics() {
    std::string out;
    out += "# HELP sluice_http_requests_total HTTP requests by path and status.\n";
    out += "# TYPE sluice_http_requests_total counter\n";
    uint64_t errors = 0;
    {
      std::lock_guard<std::mutex> lock(counts_mutex);
      for (const auto& [key, n] : requests) {
        out += fmt::format("sluice_http_requests_total{{path=\"{}\",status=\"{}\"}} {}\n",
                           key.first, key.second, n);
        if (key.second >= 400) errors += n;
      }
    }
    out += "# HELP sluice_http_errors_total Requests answered with a 4xx or 5xx status.\n";
    out += "# TYPE sluice_http_errors_total counter\n";
    out += fmt::format("sluice_http_errors_total {}\n", errors);
    out += "# HELP sluice_get_online_features_seconds Latency of /get-online-features.\n";
    out += "# TYPE sluice_get_online_features_seconds histogram\n";
    latency.Print(out, "sluice_get_online_features_seconds", "");
    out += "# HELP sluice_online_store_read_seconds Latency of online store reads.\n";
    out += "# TYPE sluice_online_store_read_seconds histogram\n";
    store_latency.Print(out, "sluice_online_store_read_seconds", "");
    out += "# HELP sluice_push_rows_total Rows accepted by POST /push (durable).\n";
    out += "# TYPE sluice_push_rows_total counter\n";
    out += fmt::format("sluice_push_rows_total {}\n", pushed_rows.load());
    out += "# HELP sluice_push_batches_total Micro-batches written for POST /push.\n";
    out += "# TYPE sluice_push_batches_total counter\n";
    out += fmt::format("sluice_push_batches_total {}\n", push_batches.load());
    out +=
        "# HELP sluice_push_late_rows_dropped_total Online-only pushed rows older than their "
        "key's newest row.\n";
    out += "# TYPE sluice_push_late_rows_dropped_total counter\n";
    out += fmt::format("sluice_push_late_rows_dropped_total {}\n", late_rows_dropped.load());
    out += "# HELP sluice_http_shed_total Requests answered 503 because the server was "
           "overloaded: by queue delay (server.max_queue_delay) or open connections "
           "(server.max_connections).\n";
    out += "# TYPE sluice_http_shed_total counter\n";
    out += fmt::format("sluice_http_shed_total{{reason=\"queue_delay\"}} {}\n", shed_queue.load());
    out += fmt::format("sluice_http_shed_total{{reason=\"connections\"}} {}\n",
                       shed_connections.load());
    return out;
  }
};

Server::Server(repo::RepoDefinition defs, std::unique_ptr<online::Store> store)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = defs.config.server;
  impl_->store = std::make_unique<TimedStore>(std::move(store), impl_->store_latency);
  impl_->features = std::make_unique<online::FeatureServer>(std::move(defs), *impl_->store);
  impl_->writer = std::make_unique<Writer>(impl_->features->defs(), *impl_->store);
}

Server::~Server() {
  impl_->writer.reset();  // finishes queued pushes (their answers go nowhere once stopped)
  impl_->http.reset();
}

std::pair<int, std::string> Server::GetOnlineFeatures(const std::string& body) {
  try {
    json req = ParseObject(body);
    for (const auto& [k, v] : req.items()) {
      if (k != "features" && k != "feature_service" && k != "entities" && k != "request_data" &&
          k != "full_feature_names") {
        throw HttpError{400, fmt::format("unknown field \"{}\" (features or feature_service, "
                                         "entities, request_data, full_feature_names)",
                                         k)};
      }
    }
    const bool by_service = req.contains("feature_service");
    if (by_service == req.contains("features")) {
      throw HttpError{400, "give exactly one of \"features\" or \"feature_service\""};
    }
    const online::FeatureServer& fs = *impl_->features;
    online::FeaturePlan listed;  // the plan of a "features" list; a service's is kept
    const online::FeaturePlan* plan = &listed;
    {  // an unknown service, view or feature is a NotFoundError: 404
      if (by_service) {
        if (!req["feature_service"].is_string()) {
          throw HttpError{400, "\"feature_service\" must be a string"};
        }
        plan = &fs.ServicePlan(req["feature_service"].get_ref<const std::string&>());
      } else {
        const json& f = req["features"];
        if (!f.is_array() || f.empty()) {
          throw HttpError{400, "\"features\" must be a non-empty array of \"view:feature\""};
        }
        std::vector<std::string> names;
        for (const json& x : f) {
          if (!x.is_string()) throw HttpError{400, "\"features\" must hold strings"};
          names.push_back(x.get<std::string>());
        }
        listed = fs.Plan(fs.ResolveFeatures(names));
      }
    }
    if (!req.contains("entities") || !req["entities"].is_object()) {
      throw HttpError{400, "\"entities\" must be an object of key: [values]"};
    }
    const json& ents = req["entities"];
    const json request_data = req.value("request_data", json::object());
    if (!request_data.is_object()) throw HttpError{400, "\"request_data\" must be an object"};
    const std::vector<Field>& keys = plan->entity_keys;
    const std::vector<Field>& fields = plan->request_fields;
    std::map<std::string, Column> entities, request;
    for (const auto& [name, values] : ents.items()) {
      const int k = FindField(keys, name), f = FindField(fields, name);
      if (k >= 0) {
        // A null key is a row of its own: NOT_FOUND features, NULL_VALUE as its key status.
        entities.emplace(name, ToColumn(values, keys[k].type, "entity key '" + name + "'"));
      } else if (f >= 0) {
        request.emplace(name, ToColumn(values, fields[f].type, "request field '" + name + "'"));
      } else {
        std::vector<std::string> known;
        for (const Field& x : keys) known.push_back(x.name);
        throw HttpError{400, fmt::format("unknown entity key '{}' (these features take: {})", name,
                                         fmt::join(known, ", "))};
      }
    }
    for (const auto& [name, values] : request_data.items()) {
      const int f = FindField(fields, name);
      if (f < 0) throw HttpError{400, fmt::format("unknown request field '{}'", name)};
      request.emplace(name, ToColumn(values, fields[f].type, "request field '" + name + "'"));
    }
    const json& full_names = req.contains("full_feature_names") ? req["full_feature_names"]
                                                                 : json(false);
    if (!full_names.is_boolean()) {
      throw HttpError{400, "\"full_feature_names\" must be true or false"};
    }
    const bool full = full_names.get<bool>();
    // Missing keys or fields and unequal lengths are InputErrors (400); a failing store is
    // an UnavailableError (503).
    const online::OnlineResult result = fs.Get(*plan, entities, request, NowMicros(), full);
    return {200, online::FeastResponse(result, keys, entities)};
  } catch (const HttpError& e) {
    return {e.status, ErrorBody(e.message)};
  } catch (const Error& e) {
    return {e.http_status(), ErrorBody(e.what())};
  } catch (const std::exception& e) {
    return {500, ErrorBody(std::string("internal error: ") + e.what())};
  }
}

void Server::Run(const std::string& host, int port, int threads,
                 const std::function<void(int)>& ready) {
  Impl& s = *impl_;
  HttpOptions options;
  options.host = host;
  options.port = port;
  options.threads = threads;
  options.max_body_bytes = static_cast<uint64_t>(s.config.max_request_bytes);
  options.max_connections = static_cast<int>(s.config.max_connections);
  if (!s.config.tls_cert.empty()) {
    options.tls_cert_file = (s.features->defs().root / s.config.tls_cert).string();
    options.tls_key_file = (s.features->defs().root / s.config.tls_key).string();
  }
  {
    std::lock_guard<std::mutex> lock(s.http_mutex);
    if (s.stopped) return;
    s.http = std::make_unique<HttpServer>(
        options,
        [this](HttpRequest&& req, const Responder& reply) { Handle(std::move(req), reply); });
  }
  const int bound = s.http->Listen();
  if (ready) ready(bound);
  s.http->Run();
}

void Server::Handle(HttpRequest&& req, const Responder& reply) {
  // Every handler answers its own errors; what escapes one is a bug, answered 500 here so the
  // server keeps serving (Push and Materialize answer later, from the writer: their errors
  // after the hand-over are the writer's to answer).
  const std::string path = KnownPath(req.path) ? req.path : kOtherPath;  // the /metrics label
  try {
    Route(std::move(req), reply);
  } catch (const std::exception& e) {
    impl_->Count(path, 500);
    reply.Send({500, ErrorBody(std::string("internal error: ") + e.what())});
  } catch (...) {
    impl_->Count(path, 500);
    reply.Send({500, ErrorBody("internal error")});
  }
}

void Server::Route(HttpRequest&& req, const Responder& reply) {
  Impl& s = *impl_;
  const bool known = KnownPath(req.path);
  const std::string& path = known ? req.path : kOtherPath;
  auto send = [&](HttpResponse r) {
    s.Count(path, r.status);
    reply.Send(std::move(r));
  };
  auto error = [&](int status, const std::string& message) { send({status, ErrorBody(message)}); };
  // Overload: refused before any work, with a hint of when to come back.
  auto shed = [&](std::atomic<uint64_t>& counter, const std::string& message) {
    ++counter;
    HttpResponse r{503, ErrorBody(message)};
    r.headers.emplace_back("Retry-After", "1");
    send(std::move(r));
  };
  if (req.error_status != 0) return error(req.error_status, req.error);
  // Only the read and push paths shed: /health, /metrics and /materialize are always answered.
  const bool sheddable = req.path == "/get-online-features" || req.path == "/push";
  if (req.connection_limit > 0 && sheddable) {
    return shed(s.shed_connections,
                fmt::format("too many open connections (the limit, server.max_connections, is "
                            "{}): retry later, or reuse connections (keep-alive)",
                            req.connection_limit));
  }
  const int64_t max_delay = s.config.max_queue_delay_us;
  // Overloaded: this request waited too long, and so did the previous turn's (a loop that was
  // stalled once, e.g. a descheduled VM, catches up without refusing anyone).
  if (max_delay > 0 && sheddable && req.queue_delay_us > max_delay &&
      req.previous_turn_us > max_delay) {
    return shed(s.shed_queue,
                fmt::format("server overloaded: this request waited {} ms in the queue (the "
                            "limit, server.max_queue_delay, is {}); retry after 1 s",
                            req.queue_delay_us / 1000, DurationLiteral(max_delay)));
  }
  if (s.config.auth() && req.path != "/health") {
    const repo::ServerConfig& c = s.config;
    auto matches = [&](const std::string& token) {
      return !token.empty() && BearerMatches(req.authorization, token);
    };
    const bool writer = matches(c.auth_token) || matches(c.write_token);
    const bool reader = writer || matches(c.read_token);
    if (!reader) {
      HttpResponse r{401, ErrorBody("missing or wrong bearer token")};
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return send(std::move(r));
    }
    if (!writer && (req.path == "/push" || req.path == "/materialize")) {
      return error(403, fmt::format("{} needs a write token (server.write_token or "
                                    "server.auth_token); this token may only read",
                                    req.path));
    }
  }
  const std::string method = req.method;
  if (req.path == "/get-online-features" && method == "POST") {
    const auto start = Clock::now();
    auto [status, body] = GetOnlineFeatures(req.body);
    s.latency.Observe(std::chrono::duration<double>(Clock::now() - start).count());
    return send({status, std::move(body)});
  }
  if (req.path == "/push" && method == "POST") return Push(std::move(req.body), reply);
  if (req.path == "/materialize" && method == "POST") {
    return Materialize(std::move(req.body), reply);
  }
  if (req.path == "/health" && method == "GET") return send({200, R"({"status":"ok"})"});
  if (req.path == "/metrics" && method == "GET") {
    return send({200, s.Metrics(), "text/plain; version=0.0.4"});
  }
  if (known) return error(405, fmt::format("{} {}: {}", method, req.path, StatusText(405)));
  error(404, fmt::format("{} {}: {}", method, req.path, StatusText(404)));
}

void Server::Push(std::string body, const Responder& reply) {
  Impl& s = *impl_;
  auto answer = [&s, reply](int status, std::string text) {
    s.Count("/push", status);
    reply.Send({status, std::move(text)});
  };
  PushRequest p;
  try {
    p = ParsePushBody(body, s.features->defs());
  } catch (const HttpError& e) {
    return answer(e.status, ErrorBody(e.message));
  }
  const std::string to = p.to == online::PushTo::kOnline    ? "online"
                         : p.to == online::PushTo::kOffline ? "offline"
                                                            : "online_and_offline";
  const int64_t rows = static_cast<int64_t>(p.rows.num_rows);
  s.writer->Push(
      std::move(p.source), std::move(p.rows), p.to,
      [&s, answer, rows, to](const online::PushResult& r, int64_t batched) {
        s.pushed_rows += static_cast<uint64_t>(rows);
        s.push_batches += batched == rows ? 1 : 0;
        s.late_rows_dropped += static_cast<uint64_t>(r.late_rows_dropped);
        json out = {{"status", "ok"},
                    {"rows", rows},
                    {"to", to},
                    {"batched_rows", batched},
                    {"late_rows_dropped", r.late_rows_dropped}};
        if (r.snapshot > 0) out["snapshot"] = r.snapshot;
        answer(200, JsonText(out));
      },
      [answer](int status, const std::string& error) {
        // Nothing of this batch is acknowledged (a failing store or log: 503).
        answer(status, ErrorBody(error));
      });
}

void Server::Materialize(std::string body, const Responder& reply) {
  Impl& s = *impl_;
  auto answer = [&s, reply](int status, std::string text) {
    s.Count("/materialize", status);
    reply.Send({status, std::move(text)});
  };
  online::MaterializeOptions o;
  try {
    o = ParseMaterializeBody(body);
  } catch (const HttpError& e) {
    return answer(e.status, ErrorBody(e.message));
  }
  s.writer->Materialize(
      std::move(o),
      [&s, answer](const std::vector<online::ViewMaterialized>& results) {
        answer(200, JsonText(json{{"store", s.store->Describe()},
                                  {"views", online::MaterializedJson(results)}}));
      },
      [answer](int status, const std::string& error) { answer(status, ErrorBody(error)); });
}

void Server::Stop() {
  std::lock_guard<std::mutex> lock(impl_->http_mutex);
  impl_->stopped = true;
  if (impl_->http) impl_->http->Stop();
}

}  // namespace sluice::server
