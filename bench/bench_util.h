// Helpers shared by the benchmarks that time sluice and DuckDB in child processes
// (bench/pit, bench/quality).
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "io/duckdb.h"

namespace bench {

struct Measure {
  double seconds = 0;
  long peak_rss_kb = 0;
  int exit_code = 0;
};

// Runs argv in a child process in `cwd` (stdout to /dev/null: the bench prints the table) and
// returns its wall time and peak RSS. Exits the bench when the child's exit code is not
// `expect`.
inline Measure RunChild(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                        int expect = 0) {
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (!freopen("/dev/null", "w", stdout)) _exit(127);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  Measure m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.peak_rss_kb = usage.ru_maxrss;
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (m.exit_code != expect) {
    std::fprintf(stderr, "command failed (exit %d): %s %s\n", m.exit_code, argv[0].c_str(),
                 argv.size() > 1 ? argv[1].c_str() : "");
    std::exit(1);
  }
  return m;
}

inline bool HasFlag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (name == std::string(argv[i])) return true;
  }
  return false;
}

// The value after `name` on the command line, or `fallback`.
inline std::string Arg(int argc, char** argv, const char* name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (name == std::string(argv[i])) return argv[i + 1];
  }
  return fallback;
}

inline std::string SelfPath() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

// Child mode (`BENCH --sql FILE`): runs the one DuckDB statement in FILE. Returns true when
// this process was started in that mode (the caller then returns 0).
inline bool RunSqlChild(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--sql") return false;
  sluice::io::DuckDb db;
  std::ifstream in(argv[2]);
  const std::string sql((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  db.Execute(sql);
  return true;
}

}  // namespace bench
