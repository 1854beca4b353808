#include "server/http.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>
#include <tuple>
#include <type_traits>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "sluice/error.h"

namespace sluice::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
// A connection idle this long between requests is closed; so is one that sends a request
// this slowly.
constexpr auto kIdleTimeout = std::chrono::seconds(120);
// After an error answer, how long the connection is drained before it is closed (closing with
// unread input would reset it before the client reads the answer).
constexpr auto kLingerTimeout = std::chrono::seconds(2);
// How long a TLS client may take to complete its handshake.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
// How long a connection over the limit may take to send the request it is refused.
constexpr auto kRefusedTimeout = std::chrono::seconds(1);
// After a failed accept (out of file descriptors), how long before the next try.
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);
// Connections accepted at once when several wait.
constexpr int kAcceptBurst = 256;
// Connections beyond the limit that still get an answer (503) before the rest are closed at once.
constexpr int kRefusedAnswered = 64;
using Clock = std::chrono::steady_clock;
}  // namespace

// How far one event loop is behind. Asio runs a loop's ready work in turns: each wait for the
// network queues every connection with input, and the loop serves them one by one. A marker
// handler posted to the loop runs after everything queued before it, i.e. at the start of the
// next turn, and posts itself again: a request served at time t has waited about t - mark,
// the work queued ahead of it in this turn. The length of the previous turn tells a loop that
// stays behind (overload) from one stalled once (a descheduled VM, a page fault storm). The
// marker runs only while requests come, so an idle loop sleeps. Used only from the loop's own
// thread.
class LoopLoad {
  // A turn this short that served no request: the loop is idle.
  static constexpr int64_t kIdleTurnUs = 200;
  // How long the length of the last busy turn counts after it ended.
  static constexpr auto kTurnMemory = std::chrono::milliseconds(100);

 public:
  explicit LoopLoad(asio::io_context& loop) : loop_(loop) {}

  // The wait of a request served now behind the work of this turn (0 when the loop was idle),
  // and how long the last busy turn took (0 when it ended long ago), microseconds.
  std::pair<int64_t, int64_t> Delay() {
    const auto now = Clock::now();
    busy_ = true;
    if (!marking_) {
      marking_ = true;
      mark_ = now;
      Post();
    }
    // Measured from this turn's start: within a turn, the wait itself may pass the memory.
    const int64_t previous = mark_ - last_busy_end_ < kTurnMemory ? last_busy_turn_us_ : 0;
    return {std::chrono::duration_cast<std::chrono::microseconds>(now - mark_).count(), previous};
  }

 private:
  void Post() {
    asio::post(loop_, [this] {
      const auto now = Clock::now();
      const int64_t turn_us =
          std::chrono::duration_cast<std::chrono::microseconds>(now - mark_).count();
      if (busy_) {
        last_busy_turn_us_ = turn_us;
        last_busy_end_ = now;
      }
      mark_ = now;
      // Stop when idle. A long turn without a whole request was busy reading bodies.
      marking_ = busy_ || turn_us > kIdleTurnUs;
      busy_ = false;
      if (marking_) Post();
    });
  }

  asio::io_context& loop_;
  Clock::time_point mark_;
  Clock::time_point last_busy_end_;
  int64_t last_busy_turn_us_ = 0;
  bool marking_ = false;
  bool busy_ = false;
};

// One connection: read a request, hand it to the handler, write its answer, repeat. The
// interface the Responder holds; Session<Stream> is one over plain TCP or TLS.
class HttpSession {
 public:
  virtual ~HttpSession() = default;
  virtual void Send(HttpResponse r) = 0;
};

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class Session final : public HttpSession, public std::enable_shared_from_this<Session<Stream>> {
 public:
  // `open` counts the server's open sessions (this one included); `refused_over` > 0 says that
  // it is over that limit: its one request is answered with an error and the connection closed.
  // `tls` is the TLS context for a TlsStream.
  Session(tcp::socket socket, asio::ssl::context* tls, const HttpHandler& handler,
          uint64_t max_body, LoopLoad& load, std::shared_ptr<std::atomic<int>> open,
          int refused_over)
      : stream_(MakeStream(std::move(socket), tls)),
        handler_(handler),
        max_body_(max_body),
        load_(load),
        open_(std::move(open)),
        refused_over_(refused_over) {}
  ~Session() override { open_->fetch_sub(1, std::memory_order_relaxed); }

  void Start() {
    if constexpr (kTls) {
      Tcp().expires_after(refused_over_ > 0 ? kRefusedTimeout : kHandshakeTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                // Not TLS, a failed handshake or a timeout: nothing to answer.
                                if (ec) return self->Close();
                                self->ReadRequest();
                              });
    } else {
      ReadRequest();
    }
  }

  void Send(HttpResponse r) override {
    asio::dispatch(stream_.get_executor(),
                   [self = this->shared_from_this(), r = std::move(r)]() mutable {
                     self->Write(std::move(r));
                   });
  }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  static Stream MakeStream(tcp::socket socket, asio::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(max_body_);
    Tcp().expires_after(refused_over_ > 0 ? kRefusedTimeout : kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
        ec.category() == asio::error::get_ssl_category()) {
      Close();  // the client left, or its TLS records are broken: nothing to answer
      return;
    }
    HttpRequest req;
    auto& msg = parser_->get();
    // The request line is kept even when a header (e.g. a Content-Length over the limit) failed.
    if (parser_->is_header_done() || !msg.target().empty()) {
      const auto method = msg.method_string();
      const auto target = msg.target();
      const auto auth = msg[http::field::authorization];
      req.method.assign(method.data(), method.size());
      req.path.assign(target.data(), std::min(target.size(), target.find('?')));
      req.authorization.assign(auth.data(), auth.size());
    }
    version_ = parser_->is_header_done() ? msg.version() : 11;
    if (ec) {
      keep_alive_ = false;
      req.error_status = ec == http::error::body_limit ? 413 : 400;
      req.error = ec == http::error::body_limit
                      ? fmt::format("request body too large (limit {} bytes)", max_body_)
                      : "malformed HTTP request: " + ec.message();
    } else if (refused_over_ > 0) {
      keep_alive_ = false;  // one request, then the connection closes
      req.connection_limit = refused_over_;
      req.body = std::move(msg.body());
    } else {
      keep_alive_ = msg.keep_alive();
      req.body = std::move(msg.body());
    }
    std::tie(req.queue_delay_us, req.previous_turn_us) = load_.Delay();
    // The handler may take long (a materialize run through the server): no timeout until the
    // answer is written.
    Tcp().expires_never();
    try {
      handler_(std::move(req), Responder(this->shared_from_this()));
    } catch (const std::exception& e) {
      // The handler answers its own errors; one that escapes it must not reach the event loop
      // (it would end the server for every client). The request may be half answered: close.
      std::fprintf(stderr, "sluice serve: internal error answering a request: %s\n", e.what());
      Close();
    } catch (...) {
      std::fprintf(stderr, "sluice serve: internal error answering a request\n");
      Close();
    }
  }

  void Write(HttpResponse r) {
    response_.emplace(static_cast<http::status>(r.status), version_);
    response_->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) response_->set(k, v);
    response_->keep_alive(keep_alive_);
    response_->body() = std::move(r.body);
    response_->prepare_payload();
    Tcp().expires_after(kIdleTimeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (!self->keep_alive_) return self->Linger();
                        self->ReadRequest();
                      });
  }

  // Half-closes, then discards what the client still sends (until it closes or a timeout).
  // Over TLS: the close_notify alert, then close.
  void Linger() {
    Tcp().expires_after(kLingerTimeout);
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Close(); });
    } else {
      beast::error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Drain();
    }
  }
  void Drain() {
    Tcp().async_read_some(asio::buffer(drain_),
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->Close();
                            self->Drain();
                          });
  }

  void Close() {
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().close();
  }

  Stream stream_;
  const HttpHandler& handler_;
  const uint64_t max_body_;
  LoopLoad& load_;
  const std::shared_ptr<std::atomic<int>> open_;
  const int refused_over_;  // > 0: the connection limit this session is over
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  std::array<char, 4096> drain_{};
};

}  // namespace

namespace {

// The server's TLS context (TLS 1.2 or later) from a PEM certificate chain and its private key;
// throws InputError naming the file and OpenSSL's reason.
asio::ssl::context LoadTls(const HttpOptions& o) {
  asio::ssl::context tls(asio::ssl::context::tls_server);
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  tls.use_certificate_chain_file(o.tls_cert_file, ec);
  if (ec) {
    throw InputError(fmt::format("cannot use {} as the TLS certificate (a PEM certificate "
                                 "chain): {}",
                                 o.tls_cert_file, ec.message()));
  }
  tls.use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    throw InputError(fmt::format("cannot use {} as the TLS private key (PEM, unencrypted, of "
                                 "the certificate {}): {}",
                                 o.tls_key_file, o.tls_cert_file, ec.message()));
  }
  return tls;
}

}  // namespace

void Responder::Send(HttpResponse response) const { session_->Send(std::move(response)); }

struct HttpServer::Impl {
  HttpOptions options;
  HttpHandler handler;
  // One event loop per thread; the acceptor lives on the first and deals connections out in
  // turn.
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<std::unique_ptr<LoopLoad>> loads;  // one per loop
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::steady_timer> accept_retry;
  std::optional<asio::ssl::context> tls;  // set when serving HTTPS
  // Open sessions; shared with them, since a loop's sessions outlive this object's members
  // while the loops are destroyed.
  std::shared_ptr<std::atomic<int>> open = std::make_shared<std::atomic<int>>(0);
  size_t next = 0;

  void Accept() {
    const size_t i = next++ % loops.size();
    acceptor->async_accept(*loops[i], [this, i](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of file descriptors (or another transient failure): the pending connection
        // stays queued; retrying at once would spin.
        accept_retry->expires_after(kAcceptRetry);
        accept_retry->async_wait([this](beast::error_code e) {
          if (!e) Accept();
        });
        return;
      }
      Open(std::move(socket), i);
      // Every other connection that is waiting, now: one accept per turn of a busy loop would
      // leave a burst of new clients waiting in the backlog for seconds.
      for (int n = 0; n < kAcceptBurst; ++n) {
        const size_t j = next++ % loops.size();
        tcp::socket more(*loops[j]);
        acceptor->accept(more, ec);  // non-blocking: would_block when none waits
        if (ec) break;
        Open(std::move(more), j);
      }
      Accept();
    });
  }

  // A session for an accepted connection, on loop i. Beyond the limit a connection gets one
  // answer (a 503 for the paths that shed load); far beyond it, none: it is closed at once,
  // so that refused connections cannot take the file descriptors the stores need.
  void Open(tcp::socket socket, size_t i) {
    beast::error_code ec;
    const int now_open = open->load(std::memory_order_relaxed) + 1;
    if (now_open > options.max_connections + kRefusedAnswered) {
      socket.close(ec);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);  // small answers: no Nagle delay
    open->fetch_add(1, std::memory_order_relaxed);
    const int refused_over = now_open > options.max_connections ? options.max_connections : 0;
    if (tls) {
      StartSession<TlsStream>(std::move(socket), i, refused_over);
    } else {
      StartSession<PlainStream>(std::move(socket), i, refused_over);
    }
  }

  // A failure here (out of memory for a TLS state, say) loses this connection, not the server.
  template <class Stream>
  void StartSession(tcp::socket socket, size_t i, int refused_over) {
    std::shared_ptr<Session<Stream>> session;
    try {
      session = std::make_shared<Session<Stream>>(std::move(socket), tls ? &*tls : nullptr,
                                                  handler, options.max_body_bytes, *loads[i],
                                                  open, refused_over);
    } catch (const std::exception& e) {
      open->fetch_sub(1, std::memory_order_relaxed);  // no session took the slot
      std::fprintf(stderr, "sluice serve: cannot open a connection: %s\n", e.what());
      return;
    }
    try {
      session->Start();
    } catch (const std::exception& e) {  // the session gives its slot back as it goes
      std::fprintf(stderr, "sluice serve: cannot open a connection: %s\n", e.what());
    }
  }
};

HttpServer::HttpServer(HttpOptions options, HttpHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  const int n = std::max(1, impl_->options.threads);
  for (int i = 0; i < n; ++i) {
    impl_->loops.push_back(std::make_unique<asio::io_context>(1));
    impl_->loads.push_back(std::make_unique<LoopLoad>(*impl_->loops.back()));
    impl_->guards.push_back(asio::make_work_guard(*impl_->loops.back()));
  }
}

HttpServer::~HttpServer() {
  Stop();
  impl_->acceptor.reset();
  impl_->accept_retry.reset();
  impl_->guards.clear();  // before their loops: a guard's destructor tells its loop
  impl_->loops.clear();   // destroys the sessions and markers left in them
  impl_->loads.clear();   // after the markers that refer to them
}

int HttpServer::Listen() {
  Impl& s = *impl_;
  const std::string where = fmt::format("{}:{}", s.options.host, s.options.port);
  if (s.options.host.empty()) throw InputError("cannot listen: the host is empty (--host)");
  if (s.options.port < 0 || s.options.port > 65535) {
    throw InputError(fmt::format("cannot listen on {}: the port must be 0-65535", where));
  }
  if (!s.options.tls_cert_file.empty()) s.tls.emplace(LoadTls(s.options));
  // A name (localhost) or an address; the first address it resolves to is bound.
  beast::error_code ec;
  tcp::resolver resolver(*s.loops[0]);
  const auto found = resolver.resolve(s.options.host, std::to_string(s.options.port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || found.empty()) {
    throw InputError(fmt::format("cannot listen on {}: the host is not an address or a known name "
                                 "({})",
                                 where, ec ? ec.message() : "no address"));
  }
  const tcp::endpoint endpoint = found.begin()->endpoint();
  s.acceptor.emplace(*s.loops[0]);
  s.accept_retry.emplace(*s.loops[0]);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) s.acceptor->non_blocking(true, ec);
  if (ec) {
    s.acceptor.reset();
    throw InputError(fmt::format("cannot listen on {}: {}", where, ec.message()));
  }
  s.Accept();
  return s.acceptor->local_endpoint().port();
}

void HttpServer::Run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl_->loops.size(); ++i) {
    threads.emplace_back([loop = impl_->loops[i].get()] { loop->run(); });
  }
  impl_->loops[0]->run();
  for (auto& t : threads) t.join();
}

void HttpServer::Stop() {
  for (auto& loop : impl_->loops) loop->stop();
}

namespace {

// One request and its answer on a connected stream.
template <class Stream>
HttpResponse Exchange(Stream& stream, const std::string& host, const std::string& path,
                      const std::string& body, const std::string& authorization) {
  http::request<http::string_body> req(http::verb::post, path, 11);
  req.set(http::field::host, host);
  req.set(http::field::content_type, "application/json");
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  return out;
}

}  // namespace

HttpResponse HttpPost(const std::string& host, int port, const std::string& path,
                      const std::string& body, const std::string& authorization,
                      const std::string& tls_ca_file) {
  const bool tls = !tls_ca_file.empty();
  const std::string where = fmt::format("{}://{}:{}{}", tls ? "https" : "http", host, port, path);
  try {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream tcp(ioc);
    tcp.connect(resolver.resolve(host, std::to_string(port)));
    if (!tls) {
      HttpResponse out = Exchange(tcp, host, path, body, authorization);
      beast::error_code ignored;
      tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return out;
    }
    // The server is this machine's own (found through the file it wrote beside the store): its
    // certificate is checked against the configured one, not against the name reached.
    // Trusted: the certificates of that file alone, a leaf or intermediate of a private CA too
    // (partial chains).
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(tls_ca_file);
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx.native_handle()),
                                X509_V_FLAG_PARTIAL_CHAIN);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), ctx);
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    stream.handshake(asio::ssl::stream_base::client);
    HttpResponse out = Exchange(stream, host, path, body, authorization);
    beast::error_code ignored;
    stream.shutdown(ignored);
    return out;
  } catch (const boost::system::system_error& e) {
    throw InputError(fmt::format("cannot reach {}: {}", where, e.code().message()));
  }
}

}  // namespace sluice::server
