// Minimal parallel building blocks: a loop for bucket-at-a-time work, and a two-stage
// pipeline for a stream that is read on one thread and processed on another.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace sluice {

// Worker threads to use by default: SLUICE_THREADS if set (a positive integer; anything else
// is an InputError), else the hardware's.
int DefaultThreads();

// Calls fn(i, worker) for every i in [0, n) on up to `threads` threads (worker in
// [0, threads)); each i exactly once, in no fixed order. Returns when all are done; rethrows
// the first exception a call threw (the remaining items are skipped).
void ParallelFor(size_t n, int threads, const std::function<void(size_t i, int worker)>& fn);

// Runs `produce(push)` on the calling thread and `consume(item)` on a second thread for every
// item pushed, in push order, with at most `capacity` items waiting. If either side throws,
// the other stops early (push throws to unwind the producer) and the first real exception is
// rethrown here after both have stopped.
template <typename T>
void Pipeline(const std::function<void(const std::function<void(T&&)>& push)>& produce,
              const std::function<void(T&&)>& consume, size_t capacity = 4) {
  struct Aborted {};
  std::mutex mu;
  std::condition_variable changed;
  std::deque<T> queue;
  bool finished = false, consumer_failed = false;
  std::exception_ptr consumer_error;
  std::thread consumer([&] {
    while (true) {
      T item;
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return !queue.empty() || finished; });
        if (queue.empty()) return;
        item = std::move(queue.front());
        queue.pop_front();
      }
      changed.notify_all();
      try {
        consume(std::move(item));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        consumer_error = std::current_exception();
        consumer_failed = true;
        queue.clear();
        changed.notify_all();
        return;
      }
    }
  });
  std::exception_ptr producer_error;
  try {
    produce([&](T&& item) {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return queue.size() < capacity || consumer_failed; });
      if (consumer_failed) throw Aborted{};
      queue.push_back(std::move(item));
      lock.unlock();
      changed.notify_all();
    });
  } catch (const Aborted&) {
  } catch (...) {
    producer_error = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    finished = true;
    if (producer_error) queue.clear();  // the stream is incomplete: process no more of it
  }
  changed.notify_all();
  consumer.join();
  if (consumer_error) std::rethrow_exception(consumer_error);
  if (producer_error) std::rethrow_exception(producer_error);
}

}  // namespace sluice
