// `sluice serve`: the online feature server over HTTP/JSON (SPEC §6, §9), Feast-compatible.
//
//   POST /get-online-features  {"features": [...]} | {"feature_service": "..."},
//                              "entities": {key: [values]}, "full_feature_names": bool,
//                              "request_data": {field: [values]} (or request fields inside
//                              "entities", as Feast sends them)
//   POST /push                 {"push_source_name", "df": {column: [values]}, "to": "online" |
//                              "offline" | "online_and_offline"}: 200 once durable
//   POST /materialize          {"views": [...], "until": ts}: materialize inside the server (the
//                              CLI's route while the server holds a RocksDB store)
//   GET  /health               {"status": "ok"}
//   GET  /metrics              Prometheus text: requests, latency histogram, errors, store time
//
// With a server token set (auth_token, write_token, read_token), every path but /health needs
// one (401 otherwise); /push and /materialize need a token that may write (403 for a read
// token). Tokens are compared in constant time and never logged. Bodies
// over server.max_request_bytes get 413; malformed JSON or a wrong key type 400; an unknown
// service, view or feature 404; a failing store 503. The server keeps serving after any of them.
#pragma once

#include <memory>
#include <string>

#include "online/store.h"
#include "server/http.h"
#include "repo/definitions.h"

namespace sluice::server {

class Server {
 public:
  Server(repo::RepoDefinition defs, std::unique_ptr<online::Store> store);
  ~Server();
  // Serves until Stop(); throws InputError when host:port cannot be bound. `ready` is called
  // once listening (with the bound port).
  void Run(const std::string& host, int port, int threads,
           const std::function<void(int)>& ready = {});
  // Stops a running server (thread-safe).
  void Stop();

  // The handlers' logic, reachable without sockets: (status, body) for a request body.
  std::pair<int, std::string> GetOnlineFeatures(const std::string& body);

 private:
  // Answers one request: Route, with a last answer (500) for whatever escapes it.
  void Handle(HttpRequest&& request, const Responder& reply);
  void Route(HttpRequest&& request, const Responder& reply);
  void Push(std::string body, const Responder& reply);
  void Materialize(std::string body, const Responder& reply);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::server
