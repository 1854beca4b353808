// The embedded online store: RocksDB.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/write_batch.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "online/store.h"
#include "sluice/error.h"

namespace sluice::online {
namespace {

class RocksDbStore final : public Store {
 public:
  RocksDbStore(std::string path, StoreMode mode) : path_(std::move(path)), mode_(mode) {
    rocksdb::Options options;
    // Point lookups: a bloom filter per table and a block cache sized for serving.
    rocksdb::BlockBasedTableOptions table;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    options.OptimizeForPointLookup(256);
    rocksdb::DB* db = nullptr;
    rocksdb::Status s;
    if (mode == StoreMode::kWrite) {
      std::filesystem::create_directories(path_);
      options.create_if_missing = true;
      s = rocksdb::DB::Open(options, path_, &db);
    } else {
      if (!std::filesystem::exists(std::filesystem::path(path_) / "CURRENT")) {
        throw InputError(fmt::format(
            "the online store (rocksdb at {}) is empty: run `sluice materialize` first", path_));
      }
      if (mode == StoreMode::kRead) {
        s = rocksdb::DB::OpenForReadOnly(options, path_, &db);
      } else {
        // A secondary instance keeps its own info log beside the store, per process.
        secondary_ = (std::filesystem::temp_directory_path() /
                      fmt::format("sluice-rocksdb-secondary-{}", ::getpid()))
                         .string();
        options.max_open_files = -1;  // required by secondary instances
        s = rocksdb::DB::OpenAsSecondary(options, path_, secondary_, &db);
      }
    }
    if (!s.ok()) {
      throw InputError(fmt::format("cannot open the online store (rocksdb at {}): {}", path_,
                                   s.ToString()));
    }
    db_.reset(db);
    if (mode == StoreMode::kServe) {
      follower_ = std::thread([this] { Follow(); });
    }
  }

  ~RocksDbStore() override {
    if (follower_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(follow_mutex_);
        stop_ = true;
      }
      follow_cv_.notify_all();
      follower_.join();
    }
    db_.reset();
    if (!secondary_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(secondary_, ec);
    }
  }

  std::vector<std::optional<std::string>> MultiGet(const std::vector<std::string>& keys) override {
    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<std::string> values;
    const std::vector<rocksdb::Status> st = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
    std::vector<std::optional<std::string>> out(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      if (st[i].ok()) {
        out[i] = std::move(values[i]);
      } else if (!st[i].IsNotFound()) {
        throw InputError(fmt::format("online store (rocksdb at {}): {}", path_, st[i].ToString()));
      }
    }
    return out;
  }

  void Write(const std::vector<std::pair<std::string, std::string>>& puts) override {
    if (mode_ != StoreMode::kWrite) {
      throw InternalError("online store (rocksdb at " + path_ + ") was opened for reading");
    }
    rocksdb::WriteBatch batch;
    for (const auto& [k, v] : puts) batch.Put(k, v);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    const rocksdb::Status s = db_->Write(wo, &batch);
    if (!s.ok()) {
      throw InputError(fmt::format("online store (rocksdb at {}): write failed: {}", path_,
                                   s.ToString()));
    }
  }

  std::string Describe() const override { return "rocksdb at " + path_; }

 private:
  // Serving: follow what `materialize` writes, once a second.
  void Follow() {
    std::unique_lock<std::mutex> lock(follow_mutex_);
    while (!follow_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      db_->TryCatchUpWithPrimary();  // a failure leaves the previous view; retried next time
    }
  }

  std::string path_;
  StoreMode mode_;
  std::string secondary_;
  std::unique_ptr<rocksdb::DB> db_;
  std::thread follower_;
  std::mutex follow_mutex_;
  std::condition_variable follow_cv_;
  bool stop_ = false;
};

}  // namespace

std::unique_ptr<Store> OpenRocksDbStore(const std::string& path, StoreMode mode) {
  return std::make_unique<RocksDbStore>(path, mode);
}

}  // namespace sluice::online
