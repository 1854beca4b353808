// The server's one writer: pushes and materialize runs execute on one thread, one at a time,
// so the records they read and write never interleave (and RocksDB's single writer is this
// process). Pushes that arrive while the writer is busy are grouped into one micro-batch per
// (source, mode): one offline snapshot and one store write for all of them. Each caller is
// answered when its rows are durable.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "online/materialize.h"
#include "online/push.h"

namespace sluice::server {

class Writer {
 public:
  using PushDone = std::function<void(const online::PushResult& result, int64_t batched_rows)>;
  // The HTTP status of the failure (HttpStatusOf: the error's kind) and its message.
  using Failed = std::function<void(int status, const std::string& error)>;
  using MaterializeDone = std::function<void(const std::vector<online::ViewMaterialized>&)>;

  Writer(const repo::RepoDefinition& repo, online::Store& store);
  ~Writer();  // finishes the queued work, then stops

  void Push(std::string source, Batch rows, online::PushTo to, PushDone done, Failed failed);
  void Materialize(online::MaterializeOptions options, MaterializeDone done, Failed failed);

 private:
  struct Job {
    bool materialize = false;
    std::string source;
    Batch rows;
    online::PushTo to = online::PushTo::kOnline;
    online::MaterializeOptions options;
    PushDone push_done;
    MaterializeDone materialize_done;
    Failed failed;
  };
  void Enqueue(Job job);
  void Loop();
  void RunPushes(std::vector<Job>& jobs);

  const repo::RepoDefinition& repo_;
  online::Store& store_;
  online::Pusher pusher_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sluice::server
