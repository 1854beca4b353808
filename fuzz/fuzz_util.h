// Shared by the fuzz targets (fuzz/*_fuzz.cc, run by scripts/fuzz.sh): a scratch directory
// per process and a file writer. A target calls the real code path on the input and lets only
// sluice::Error (the documented way to reject bad input) pass; anything else — a crash, a
// sanitizer report, another exception — is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace sluice::fuzz {

// A directory of this process, created once, removed at exit.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    auto p = std::filesystem::temp_directory_path() / ("sluice-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    static struct Remove {
      std::filesystem::path p;
      ~Remove() {
        std::error_code ignored;
        std::filesystem::remove_all(p, ignored);
      }
    } remove{p};
    return p;
  }();
  return dir;
}

inline void WriteFile(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(text.data(), static_cast<std::streamsize>(text.size()));
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace sluice::fuzz
