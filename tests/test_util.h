// Helpers shared by tests: temporary directories, running the sluice binary.
#pragma once

#include <filesystem>
#include <string>

namespace sluice {

// A fresh directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Result of running the sluice binary.
struct RunResult {
  int exit_code = -1;
  std::string out;   // stdout
  std::string err;   // stderr
};

// Runs `sluice <args>` (args are passed to /bin/sh, so quote as needed) with `cwd`; `env` is
// prepended to the command (e.g. "SLUICE_CRASH_AT=x").
RunResult RunSluice(const std::string& args, const std::filesystem::path& cwd = ".",
                    const std::string& env = "");

// Writes `text` to `path`, creating parent directories.
void WriteText(const std::filesystem::path& path, const std::string& text);

}  // namespace sluice

#include <ostream>

#include "sluice/types.h"

namespace sluice {
// GoogleTest prints Values readably in failure messages.
inline void PrintTo(const Value& v, std::ostream* os) {
  *os << TypeName(v.type) << " " << v.ToString();
}
}  // namespace sluice
