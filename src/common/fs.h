// Durable file operations. Crash-safety order everywhere: write a new file, fsync it, rename it
// into place, fsync the directory. A reader never sees a half-written file under its final name.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace sluice {

namespace fs = std::filesystem;

// Writes `bytes` to `path` durably: temp file beside it, fsync, rename, fsync of the directory.
// Throws InternalError on I/O failure (the previous content of `path`, if any, is untouched).
void WriteFileAtomic(const fs::path& path, std::string_view bytes);
// Renames `from` to `to` (same file system) and fsyncs the directory of `to`.
void RenameDurable(const fs::path& from, const fs::path& to);
// fsync of a file's contents.
void FsyncFile(const fs::path& path);
// fsync of a directory (makes a rename or create in it durable).
void FsyncDir(const fs::path& dir);
// The whole file; throws InputError naming `path` when it cannot be read.
std::string ReadFile(const fs::path& path);

// An exclusive advisory lock on `path` (created if missing), held for the object's lifetime.
// Serialises writers of one source's log; readers never take it.
class FileLock {
 public:
  explicit FileLock(const fs::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace sluice

namespace sluice {
// Fault injection for crash-safety tests: when the environment variable SLUICE_CRASH_AT equals
// `point`, the process ends at once with _exit(137), as if killed (no destructors, no flush).
void CrashPoint(const char* point);
}  // namespace sluice
