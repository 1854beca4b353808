#include "e2e/e2e_util.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "io/duckdb.h"

namespace sluice {

ScratchRepo::ScratchRepo() = default;

RunResult ScratchRepo::Run(const std::string& args, int exit_code, const std::string& env) const {
  RunResult r = RunSluice(args, root(), env);
  EXPECT_EQ(r.exit_code, exit_code) << "sluice " << args << "\nstdout:\n"
                                    << r.out << "\nstderr:\n"
                                    << r.err;
  return r;
}

nlohmann::json ScratchRepo::Json(const std::string& args, int exit_code,
                                 const std::string& env) const {
  RunResult r = Run("--json " + args, exit_code, env);
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON from sluice " << args << ": " << r.out;
    return {};
  }
}

std::vector<std::string> ScratchRepo::Query(const std::string& sql) const {
  io::DuckDb db;
  db.Execute("SET file_search_path = " + io::QuoteLiteral(root().string()));
  Batch b = db.Query(sql);
  std::vector<std::string> out;
  for (size_t r = 0; r < b.num_rows; ++r) out.push_back(b.columns[0].Get(r).ToString());
  return out;
}

namespace {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool Pings(int port) {
  const timeval timeout{0, 200'000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  bool ok = false;
  if (c && !c->err) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}

}  // namespace

SluiceServer::SluiceServer(const std::filesystem::path& repo, const std::string& host) {
  const std::string out = (dir_.path() / "out").string(), err = (dir_.path() / "err").string();
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(repo.c_str()) != 0) _exit(127);
    if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(127);
    execl(SLUICE_BINARY, SLUICE_BINARY, "--json", "serve", "--port", "0", "--host", host.c_str(),
          "--threads", "8", static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_ = pid;
  for (int i = 0; i < 200 && port_ == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::ifstream in(out);
    std::string line;
    if (std::getline(in, line) && !line.empty()) {
      started_ = nlohmann::json::parse(line);
      port_ = started_.at("port").get<int>();
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      std::ifstream e(err);
      ADD_FAILURE() << "sluice serve exited: " << std::string(std::istreambuf_iterator<char>(e), {});
      pid_ = -1;
      return;
    }
  }
  if (port_ == 0) ADD_FAILURE() << "sluice serve did not report its port";
}

SluiceServer::~SluiceServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    std::ifstream err(dir_.path() / "err");
    const std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    ADD_FAILURE() << "sluice serve did not stop cleanly (status " << status << "); stderr:\n"
                  << text.substr(0, 8000);
  }
}

void SluiceServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

RedisServer::RedisServer() {
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    port_ = FreePort();
    const std::string port = std::to_string(port_), dir = dir_.path().string();
    const pid_t pid = fork();
    if (pid == 0) {
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--dir", dir.c_str(), "--save", "", "--appendonly", "no", "--logfile",
             (dir + "/redis.log").c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (Pings(port_)) {
        pid_ = pid;
        break;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) break;  // exited: port taken, try another
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ < 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  if (pid_ < 0) ADD_FAILURE() << "could not start redis-server (is the Debian package installed?)";
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

}  // namespace sluice
