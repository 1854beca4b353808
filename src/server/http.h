// The HTTP/1.1 layer of `sluice serve`: event-driven (Boost.Beast on Asio), one event loop per
// thread, keep-alive and pipelining, bodies up to a limit, a bounded number of connections. It
// knows nothing of features: every request, and every request it could not read, goes to one
// handler, which answers through a Responder, at once or later from any thread (e.g. after a
// durable write). Each request carries how long it waited in its loop, for the handler to
// shed load.
//
// Only this file's .cc includes Beast, so the rest of the server compiles fast.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sluice::server {

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string path;           // the target without its query string
  std::string authorization;  // the Authorization header, or ""
  std::string body;
  // Set when the request could not be read: its status (413 for a body over the limit, 400
  // for malformed HTTP) and why. method and path are set when the request line was read. The
  // connection closes after the answer.
  int error_status = 0;
  std::string error;
  // How long the request has waited in its event loop behind other work (an estimate: the time
  // since the loop's current turn over its ready connections began), and how long the previous
  // turn took. Both stay large while the server is overloaded; a single stall makes one long.
  int64_t queue_delay_us = 0;
  int64_t previous_turn_us = 0;
  // > 0: the connection is over the server's connection limit (this value); it closes after
  // this request, which the handler may refuse.
  int connection_limit = 0;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

class HttpSession;

// Answers one request. Send exactly once, from any thread; copies share the one answer.
class Responder {
 public:
  explicit Responder(std::shared_ptr<HttpSession> session) : session_(std::move(session)) {}
  void Send(HttpResponse response) const;

 private:
  std::shared_ptr<HttpSession> session_;
};

using HttpHandler = std::function<void(HttpRequest&& request, const Responder& reply)>;

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  int threads = 2;
  uint64_t max_body_bytes = 1 << 20;
  // Open connections beyond this many get one request (marked connection_limit), then are
  // closed; 64 beyond it, they are closed at once. Memory and file descriptors stay bounded
  // however many clients connect.
  int max_connections = 4096;
  // HTTPS: a PEM certificate chain and its unencrypted private key ("": plain HTTP).
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  HttpServer(HttpOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens; returns the bound port. Throws InputError when host:port cannot be bound.
  int Listen();
  // Serves on options.threads event loops (the calling thread is one) until Stop().
  void Run();
  // Stops Run (thread-safe). Open connections are closed.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A blocking HTTP/1.1 POST (the CLI calling a running server). With `tls_ca_file`, over TLS,
// the server's certificate verified against that file (the server's own certificate, or its
// CA) and the system's CAs. Throws InputError when the server cannot be reached or the
// connection fails.
HttpResponse HttpPost(const std::string& host, int port, const std::string& path,
                      const std::string& body, const std::string& authorization,
                      const std::string& tls_ca_file = "");

}  // namespace sluice::server
