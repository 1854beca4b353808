#include "server/writer.h"

#include <map>

#include "sluice/error.h"

namespace sluice::server {

Writer::Writer(const repo::RepoDefinition& repo, online::Store& store)
    : repo_(repo), store_(store), pusher_(repo, store), thread_([this] { Loop(); }) {}

Writer::~Writer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Writer::Push(std::string source, Batch rows, online::PushTo to, PushDone done, Failed failed) {
  Job job;
  job.source = std::move(source);
  job.rows = std::move(rows);
  job.to = to;
  job.push_done = std::move(done);
  job.failed = std::move(failed);
  Enqueue(std::move(job));
}

void Writer::Materialize(online::MaterializeOptions options, MaterializeDone done, Failed failed) {
  Job job;
  job.materialize = true;
  job.options = std::move(options);
  job.materialize_done = std::move(done);
  job.failed = std::move(failed);
  Enqueue(std::move(job));
}

void Writer::Enqueue(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void Writer::Loop() {
  while (true) {
    std::vector<Job> jobs;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      // Everything queued so far: consecutive pushes form one micro-batch; a materialize
      // run is a batch of its own, in arrival order.
      while (!queue_.empty() && !(queue_.front().materialize && !jobs.empty())) {
        const bool m = queue_.front().materialize;
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
        if (m) break;
      }
    }
    if (jobs.front().materialize) {
      Job& job = jobs.front();
      try {
        job.materialize_done(online::Materialize(repo_, store_, job.options));
      } catch (const std::exception& e) {
        job.failed(HttpStatusOf(e), e.what());
      }
      continue;
    }
    RunPushes(jobs);
  }
}

void Writer::RunPushes(std::vector<Job>& jobs) {
  // One group per (source, mode), in first-arrival order; rows keep their arrival order.
  std::map<std::pair<std::string, online::PushTo>, std::vector<Job*>> groups;
  std::vector<std::pair<std::string, online::PushTo>> order;
  for (Job& j : jobs) {
    auto key = std::make_pair(j.source, j.to);
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&j);
  }
  for (const auto& key : order) {
    std::vector<Job*>& group = groups[key];
    Batch all = std::move(group.front()->rows);
    for (size_t i = 1; i < group.size(); ++i) all.Append(group[i]->rows);
    try {
      const online::PushResult r = pusher_.Push(key.first, all, key.second);
      for (Job* j : group) j->push_done(r, static_cast<int64_t>(all.num_rows));
    } catch (const std::exception& e) {
      for (Job* j : group) j->failed(HttpStatusOf(e), e.what());
    }
  }
}

}  // namespace sluice::server
