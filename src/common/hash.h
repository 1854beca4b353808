// Hashes: SHA-256 for content identity (deliveries, segments, datasets, versions), XXH64 for
// bucketing (fast, stable across platforms and versions).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace sluice {

// Incremental SHA-256. Not thread-safe; one per stream of bytes.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t size);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  // Lower-case hex digest; the object must not be updated afterwards.
  std::string HexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Hex SHA-256 of a string.
std::string Sha256Hex(std::string_view bytes);
// Hex SHA-256 of a file's bytes; throws InputError when it cannot be read.
std::string Sha256OfFile(const std::filesystem::path& path);
// XXH64, seed 0.
uint64_t Xxh64(const void* data, size_t size);

}  // namespace sluice
