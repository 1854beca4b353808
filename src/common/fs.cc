#include "common/fs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "sluice/error.h"

namespace sluice {
namespace {

[[noreturn]] void ThrowIo(std::string_view what, const fs::path& path) {
  throw InternalError(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

void FsyncPath(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) ThrowIo("cannot open for fsync", path);
  if (::fsync(fd) != 0) {
    ::close(fd);
    ThrowIo("fsync failed for", path);
  }
  ::close(fd);
}

}  // namespace

void FsyncFile(const fs::path& path) { FsyncPath(path, O_RDONLY); }

void FsyncDir(const fs::path& dir) {
  FsyncPath(dir.empty() ? fs::path(".") : dir, O_RDONLY | O_DIRECTORY);
}

void WriteFileAtomic(const fs::path& path, std::string_view bytes) {
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) ThrowIo("cannot create", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      ThrowIo("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    ThrowIo("fsync failed for", tmp);
  }
  ::close(fd);
  CrashPoint("atomic-write:before-rename");
  RenameDurable(tmp, path);
}

void RenameDurable(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) ThrowIo("cannot rename to " + to.string() + " from", from);
  FsyncDir(to.parent_path());
}

std::string ReadFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot read " + path.string() + ": " + std::strerror(errno));
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw InputError("cannot read " + path.string() + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

FileLock::FileLock(const fs::path& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd_ < 0) ThrowIo("cannot open lock file", path);
  if (::flock(fd_, LOCK_EX) != 0) {
    ::close(fd_);
    ThrowIo("cannot lock", path);
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace sluice

namespace sluice {
void CrashPoint(const char* point) {
  static const char* target = std::getenv("SLUICE_CRASH_AT");
  if (target != nullptr && std::strcmp(target, point) == 0) ::_exit(137);
}
}  // namespace sluice
