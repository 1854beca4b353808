#include "offline/spill.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sluice/error.h"

namespace sluice::offline {
namespace {

// Bytes [offset, offset + size) of a spill file mapped into memory (populated up front: one
// pass over the page cache instead of a fault per page).
struct MappedFile {
  const char* data = nullptr;
  size_t size = 0;
  MappedFile(const std::filesystem::path& path, uint64_t offset, size_t length) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw InternalError(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      throw InternalError(fmt::format("cannot stat {}: {}", path.string(), std::strerror(errno)));
    }
    if (offset + length > static_cast<uint64_t>(st.st_size)) {
      ::close(fd);
      throw InternalError(fmt::format("spill file {} is truncated: {} bytes, expected {}",
                                      path.string(), st.st_size, offset + length));
    }
    size = length;
    if (size > 0) {
      // mmap offsets are page-aligned: map from the page holding `offset`.
      const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
      const uint64_t start = offset / page * page;
      map_size_ = size + (offset - start);
      void* p = ::mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
                       static_cast<off_t>(start));
      if (p == MAP_FAILED) {
        ::close(fd);
        throw InternalError(fmt::format("cannot map {}: {}", path.string(), std::strerror(errno)));
      }
      map_ = static_cast<char*>(p);
      data = map_ + (offset - start);
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (map_) ::munmap(map_, map_size_);
  }
  char* map_ = nullptr;
  size_t map_size_ = 0;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
};

// Reads spill bytes back; any overrun means the file is not what this process wrote.
struct Reader {
  std::string_view bytes;
  size_t pos = 0;
  const std::filesystem::path& path;
  const char* Take(size_t n) {
    if (n > bytes.size() - pos) {
      throw InternalError(fmt::format("spill file {} is truncated at byte {}", path.string(), pos));
    }
    const char* p = bytes.data() + pos;
    pos += n;
    return p;
  }
  template <typename T>
  T Get() {
    T v;
    std::memcpy(&v, Take(sizeof(T)), sizeof(T));
    return v;
  }
};

}  // namespace

BucketSpill::BucketSpill(std::filesystem::path dir, Schema schema, uint32_t bucket_count,
                         uint32_t max_block_rows)
    : dir_(std::move(dir)),
      schema_(std::move(schema)),
      max_block_rows_(std::max<uint32_t>(1, max_block_rows)),
      buckets_(bucket_count) {
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
}

BucketSpill::~BucketSpill() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);  // best effort: the next ingest empties it anyway
}

void BucketSpill::Append(uint32_t bucket, const std::vector<const Column*>& columns,
                         const std::vector<uint32_t>& rows, int64_t seq_base) {
  for (size_t i = 0; i < rows.size(); i += max_block_rows_) {
    AppendBlock(bucket, columns, rows.data() + i,
                std::min<size_t>(max_block_rows_, rows.size() - i), seq_base);
  }
}

void BucketSpill::AppendBlock(uint32_t bucket, const std::vector<const Column*>& columns,
                              const uint32_t* rows, size_t n, int64_t seq_base) {
  Bucket& b = buckets_[bucket];
  std::string& out = b.buffer;
  b.blocks.push_back({b.file_bytes + out.size(), static_cast<uint32_t>(n)});
  // The block's size first, then one resize and plain stores (no append per value).
  size_t bytes = 4 + n * 8;
  for (const Column* c : columns) {
    bytes += n;
    switch (c->type) {
      case DataType::kString:
        bytes += n * 4;
        for (size_t i = 0; i < n; ++i) bytes += c->str[rows[i]].size();
        break;
      case DataType::kFloat64List:
        bytes += n * 4;
        for (size_t i = 0; i < n; ++i) bytes += c->list[rows[i]].size() * sizeof(double);
        break;
      default:
        bytes += n * 8;
    }
  }
  const size_t start = out.size();
  out.resize(start + bytes);
  char* p = out.data() + start;
  auto put = [&p](const auto& v) {
    std::memcpy(p, &v, sizeof(v));
    p += sizeof(v);
  };
  put(static_cast<uint32_t>(n));
  for (const Column* c : columns) {
    for (size_t i = 0; i < n; ++i) *p++ = static_cast<char>(c->valid[rows[i]]);
    switch (c->type) {
      case DataType::kInt64:
      case DataType::kTimestamp:
      case DataType::kBool:
        for (size_t i = 0; i < n; ++i) put(c->i64[rows[i]]);
        break;
      case DataType::kFloat64:
        for (size_t i = 0; i < n; ++i) put(c->f64[rows[i]]);
        break;
      case DataType::kString:
        for (size_t i = 0; i < n; ++i) put(static_cast<uint32_t>(c->str[rows[i]].size()));
        for (size_t i = 0; i < n; ++i) {
          const std::string& v = c->str[rows[i]];
          std::memcpy(p, v.data(), v.size());
          p += v.size();
        }
        break;
      case DataType::kFloat64List:
        for (size_t i = 0; i < n; ++i) put(static_cast<uint32_t>(c->list[rows[i]].size()));
        for (size_t i = 0; i < n; ++i) {
          const auto& l = c->list[rows[i]];
          if (!l.empty()) std::memcpy(p, l.data(), l.size() * sizeof(double));
          p += l.size() * sizeof(double);
        }
        break;
    }
  }
  for (size_t i = 0; i < n; ++i) put(seq_base + static_cast<int64_t>(rows[i]));
  if (p != out.data() + out.size()) throw InternalError("spill block size mismatch");
  b.rows += static_cast<int64_t>(n);
  // Bounded buffers: about 32 MB in all, at least 64 KB per bucket.
  const size_t limit = std::max<size_t>(64 << 10, (32u << 20) / buckets_.size());
  if (out.size() >= limit) WriteOut(b);
}

void BucketSpill::WriteOut(Bucket& b) {
  if (b.buffer.empty()) return;
  const size_t index = &b - buckets_.data();
  const std::filesystem::path path = dir_ / fmt::format("bucket-{:04d}.spill", index);
  // Opened per write so that thousands of buckets never hold thousands of descriptors.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw InternalError(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  }
  size_t done = 0;
  while (done < b.buffer.size()) {
    const ssize_t w = ::write(fd, b.buffer.data() + done, b.buffer.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      const int err = errno;
      ::close(fd);
      throw InternalError(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
    }
    done += static_cast<size_t>(w);
  }
  ::close(fd);
  b.file_bytes += b.buffer.size();
  b.buffer.clear();
}

void BucketSpill::Flush() {
  for (Bucket& b : buckets_) WriteOut(b);
}

std::vector<SpillRun> BucketSpill::Runs(uint32_t bucket, int64_t max_rows) const {
  std::vector<SpillRun> runs;
  const std::vector<Block>& blocks = buckets_[bucket].blocks;
  // As many runs as max_rows requires, of about equal size.
  const int64_t total = buckets_[bucket].rows;
  const int64_t count =
      std::max<int64_t>(1, (total + max_rows - 1) / std::max<int64_t>(1, max_rows));
  const int64_t target = (total + count - 1) / count;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (runs.empty() || (runs.back().rows > 0 && runs.back().rows + blocks[i].rows > target)) {
      runs.push_back({i, i, 0});
    }
    runs.back().end_block = i + 1;
    runs.back().rows += blocks[i].rows;
  }
  return runs;
}

Batch BucketSpill::Read(uint32_t bucket, const std::string& seq_column) const {
  const SpillRun all{0, buckets_[bucket].blocks.size(), buckets_[bucket].rows};
  return Read(bucket, seq_column, all);
}

Batch BucketSpill::Read(uint32_t bucket, const std::string& seq_column, const SpillRun& run) const {
  const Bucket& b = buckets_[bucket];
  const size_t total = static_cast<size_t>(run.rows);
  Batch out;
  for (const Field& f : schema_) {
    Column c(f.type);
    c.Reserve(total);
    out.AddColumn(f.name, std::move(c));
  }
  Column seq(DataType::kInt64);
  seq.Reserve(total);
  if (total == 0) {
    out.AddColumn(seq_column, std::move(seq));
    return out;
  }
  const std::filesystem::path path = dir_ / fmt::format("bucket-{:04d}.spill", bucket);
  const uint64_t begin = b.blocks[run.first_block].offset;
  const uint64_t end =
      run.end_block < b.blocks.size() ? b.blocks[run.end_block].offset : b.file_bytes;
  const MappedFile file(path, begin, static_cast<size_t>(end - begin));
  const std::string_view bytes(file.data, file.size);
  Reader in{bytes, 0, path};
  while (in.pos < bytes.size()) {
    const uint32_t n = in.Get<uint32_t>();
    for (Column& c : out.columns) {
      const size_t base = c.valid.size();
      const char* v = in.Take(n);
      c.valid.insert(c.valid.end(), v, v + n);
      switch (c.type) {
        case DataType::kInt64:
        case DataType::kTimestamp:
        case DataType::kBool: {
          c.i64.resize(base + n);
          std::memcpy(c.i64.data() + base, in.Take(n * 8ul), n * 8ul);
          break;
        }
        case DataType::kFloat64: {
          c.f64.resize(base + n);
          std::memcpy(c.f64.data() + base, in.Take(n * 8ul), n * 8ul);
          break;
        }
        case DataType::kString: {
          std::vector<uint32_t> lengths(n);
          std::memcpy(lengths.data(), in.Take(n * 4ul), n * 4ul);
          c.str.resize(base + n);
          for (uint32_t r = 0; r < n; ++r) c.str[base + r].assign(in.Take(lengths[r]), lengths[r]);
          break;
        }
        case DataType::kFloat64List: {
          std::vector<uint32_t> lengths(n);
          std::memcpy(lengths.data(), in.Take(n * 4ul), n * 4ul);
          c.list.resize(base + n);
          for (uint32_t r = 0; r < n; ++r) {
            auto& l = c.list[base + r];
            l.resize(lengths[r]);
            const char* bytes = in.Take(lengths[r] * 8ul);
            if (lengths[r] > 0) std::memcpy(l.data(), bytes, lengths[r] * 8ul);  // empty: no data()
          }
          break;
        }
      }
    }
    const size_t base = seq.valid.size();
    seq.valid.resize(base + n, 1);
    seq.i64.resize(base + n);
    std::memcpy(seq.i64.data() + base, in.Take(n * 8ul), n * 8ul);
  }
  out.AddColumn(seq_column, std::move(seq));
  out.num_rows = total;
  if (out.columns[0].size() != total) {
    throw InternalError(fmt::format("spill file {} holds {} rows, expected {}", path.string(),
                                    out.columns[0].size(), total));
  }
  return out;
}

}  // namespace sluice::offline
