// Helpers for end-to-end tests that drive the sluice binary on a scratch repository.
#pragma once

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "test_util.h"

namespace sluice {

// A feature repository in a temp dir, with helpers to run sluice in it.
class ScratchRepo {
 public:
  ScratchRepo();
  const std::filesystem::path& root() const { return dir_.path(); }
  void Write(const std::string& rel, const std::string& text) const { WriteText(root() / rel, text); }
  // Runs sluice with `args` in the repo; expects `exit_code`, printing output on mismatch.
  RunResult Run(const std::string& args, int exit_code = 0, const std::string& env = "") const;
  // Runs with --json and parses stdout.
  nlohmann::json Json(const std::string& args, int exit_code = 0,
                      const std::string& env = "") const;
  // Runs a DuckDB query (through sluice's own wrapper) and returns the first column as text.
  std::vector<std::string> Query(const std::string& sql) const;

 private:
  TempDir dir_;
};

// `sluice serve --port 0` running in a repository (a child process); stopped with SIGTERM
// when destroyed, which must end it with exit code 0.
class SluiceServer {
 public:
  // `host` is passed as --host.
  explicit SluiceServer(const std::filesystem::path& repo, const std::string& host = "127.0.0.1");
  ~SluiceServer();
  SluiceServer(const SluiceServer&) = delete;
  SluiceServer& operator=(const SluiceServer&) = delete;
  int port() const { return port_; }
  // The line the server printed when it listened (`serve --json`: host, port, store, auth).
  const nlohmann::json& started() const { return started_; }
  // Ends the server with SIGKILL (no clean stop), as a crash would.
  void Kill();

 private:
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
  nlohmann::json started_;
};

// A real redis-server (the Debian package) on a free loopback port, with its files in a temp
// dir; stopped when destroyed.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
};

}  // namespace sluice
