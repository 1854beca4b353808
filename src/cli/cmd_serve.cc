// `sluice serve`: online features over HTTP (Feast's /get-online-features, /push; /health,
// /metrics) until SIGINT or SIGTERM.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "common/alloc.h"
#include "common/fs.h"
#include "common/json.h"
#include "online/store.h"
#include "server/server.h"

namespace sluice::cli {
using nlohmann::json;

namespace {

struct ServeOptions {
  // Loopback unless asked: /push and /materialize write, so the network sees the server only
  // when the user says so (--host 0.0.0.0), ideally with server.auth_token set.
  std::string host = "127.0.0.1";
  int port = -1;    // -1: server.port of sluice.yaml
  int threads = 0;  // 0: DefaultThreads(repo)
  std::string tls_cert, tls_key;  // override server.tls
};

CLI::App* RegisterServe(CLI::App& app, ServeOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve online features over HTTP (Feast's /get-online-features, /push; /health, /metrics)");
  cmd->add_option("--port", o.port,
                  "Port (default: server.port in sluice.yaml, 6566; 0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->option_text("PORT");
  cmd->add_option("--host", o.host,
                  "Address or name to listen on (0.0.0.0 or :: for every interface)")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads,
                  "Event-loop threads (default: one per core; more for a Redis store, whose "
                  "reads wait on the network)")
      ->check(CLI::Range(1, 4096))
      ->option_text("N");
  CLI::Option* cert = cmd->add_option("--tls-cert", o.tls_cert,
                                      "Serve HTTPS with this PEM certificate chain (default: "
                                      "server.tls.cert in sluice.yaml)")
                          ->option_text("FILE");
  CLI::Option* key = cmd->add_option("--tls-key", o.tls_key,
                                     "The certificate's unencrypted PEM private key (default: "
                                     "server.tls.key)")
                         ->option_text("FILE");
  cert->needs(key);
  key->needs(cert);
  return cmd;
}

// Blocks SIGINT and SIGTERM in this thread and in every thread started after it (threads
// inherit the mask; the store starts some): one thread then awaits them with sigwait.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

// Handlers run on the event loops: one per core keeps them busy when reads are local
// (RocksDB); Redis reads wait on a round trip, so more loops overlap the waits.
int DefaultThreads(const repo::RepoDefinition& repo) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return repo.config.online_store.type == "redis" ? 4 * cores : cores;
}

// Whether `host` names this machine only (a loopback address or localhost).
bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// The one line that says the server listens (JSON: docs/json.md), flushed for whoever waits.
void AnnounceListening(const GlobalOptions& g, const std::string& host, int port,
                       const std::string& store_name, bool auth, bool tls) {
  if (g.json) {
    std::printf("%s\n", JsonText(json{{"host", host},
                                      {"port", port},
                                      {"store", store_name},
                                      {"auth", auth},
                                      {"tls", tls}})
                            .c_str());
  } else {
    // An IPv6 address goes in brackets in a URL.
    const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    std::printf("serving on %s://%s:%d (online store: %s; %s)\n", tls ? "https" : "http",
                shown.c_str(), port, store_name.c_str(),
                auth ? "bearer token required" : "no auth: no server token is set");
  }
  std::fflush(stdout);
}

// Raises the soft limit of open files to the hard one, so that server.max_connections
// connections can be open; lowers max_connections (with a warning) when even that is too few.
void FitConnectionLimit(repo::ServerConfig& server) {
  constexpr int64_t kOtherFiles = 256;  // the store's files, the log, the listener
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return;
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    getrlimit(RLIMIT_NOFILE, &files);
  }
  if (files.rlim_cur == RLIM_INFINITY) return;
  const int64_t fit = static_cast<int64_t>(files.rlim_cur) - kOtherFiles;
  if (server.max_connections > fit) {
    std::fprintf(stderr,
                 "warning: server.max_connections is %lld but this process may open %llu files: "
                 "serving at most %lld connections (raise `ulimit -n`)\n",
                 static_cast<long long>(server.max_connections),
                 static_cast<unsigned long long>(files.rlim_cur),
                 static_cast<long long>(std::max<int64_t>(1, fit)));
    server.max_connections = std::max<int64_t>(1, fit);
  }
}

// Stops the signal waiter however RunServe ends (a listener that fails throws).
struct WaiterStop {
  std::thread& waiter;
  ~WaiterStop() {
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  }
};

int RunServe(const GlobalOptions& g, const ServeOptions& o) {
  SetFreedMemoryDecay(1000);  // a long-running process gives freed memory back
  // SIGINT/SIGTERM stop the server cleanly: blocked before any thread starts.
  sigset_t stop_signals = BlockStopSignals();
  repo::RepoDefinition repo = LoadApplied(g);
  FitConnectionLimit(repo.config.server);
  if (!o.tls_cert.empty()) {  // flags are relative to the working directory, like other paths
    repo.config.server.tls_cert = std::filesystem::absolute(o.tls_cert).string();
    repo.config.server.tls_key = std::filesystem::absolute(o.tls_key).string();
  }
  const bool tls = !repo.config.server.tls_cert.empty();
  const int port = o.port >= 0 ? o.port : static_cast<int>(repo.config.server.port);
  std::unique_ptr<online::Store> store = online::OpenStore(repo, online::StoreMode::kServe);
  const int threads = o.threads != 0 ? o.threads : DefaultThreads(repo);
  const std::string store_name = store->Describe();
  server::Server srv(repo, std::move(store));
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    srv.Stop();
  });
  const WaiterStop stop_waiter{waiter};
  const bool embedded = repo.config.online_store.type == "rocksdb";
  const bool auth = repo.config.server.auth();
  const std::filesystem::path info_path = online::ServerInfoPath(repo);
  srv.Run(o.host, port, threads, [&](int bound) {
    if (embedded) {
      // Lets `sluice materialize` find this server while it holds the store.
      // An address a client on this machine reaches it at (a wildcard is reached on loopback).
      const std::string reach = o.host == "0.0.0.0" ? "127.0.0.1" : o.host == "::" ? "::1" : o.host;
      json info = {{"pid", ::getpid()}, {"host", reach}, {"port", bound}};
      // A client on this machine verifies the server against its own certificate.
      if (tls) info["tls_cert"] = (repo.root / repo.config.server.tls_cert).string();
      WriteFileAtomic(info_path, JsonText(info));
    }
    if (!auth && !IsLoopback(o.host)) {
      std::fprintf(stderr,
                   "warning: serving on %s without a token: anyone who reaches this port can "
                   "push rows and run materialize (set server.auth_token in sluice.yaml)\n",
                   o.host.c_str());
    }
    AnnounceListening(g, o.host, bound, store_name, auth, tls);
  });
  // Run returned: stopped by a signal.
  if (embedded) {
    std::error_code ignored;
    std::filesystem::remove(info_path, ignored);
  }
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& app, const GlobalOptions& g, Action& action) {
  AddCommand(app, g, action, RegisterServe, RunServe);
}

}  // namespace sluice::cli
