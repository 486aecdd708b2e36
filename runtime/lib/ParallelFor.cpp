//===- ParallelFor.cpp - the CPU path's thread pool -----------------------===//
//
// A fixed pool started on first use. One job at a time: the job's range is
// cut into chunks (a few per thread, for balance) that threads claim with an
// atomic counter; the caller works too and then waits for the last chunk.
//
//===----------------------------------------------------------------------===//

#include "mp/Runtime/ParallelFor.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace {

thread_local bool insideTask = false;

class Pool {
public:
  explicit Pool(int64_t threads) {
    for (int64_t i = 1; i < threads; ++i)
      workers.emplace_back([this] { work(); });
  }
  // The pool lives until the process exits (never destroyed: its threads
  // may still be parked when static destructors run).

  int64_t threads() const { return int64_t(workers.size()) + 1; }

  void run(mp_parallel_task task, void *context, int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> serial(jobMutex); // one job at a time
    auto state = std::make_shared<Job>();
    state->task = task;
    state->context = context;
    state->begin = begin;
    state->total = end - begin;
    state->chunks = std::min<int64_t>(state->total, threads() * 4);
    state->remaining.store(state->chunks);
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = state;
      ++generation;
    }
    wake.notify_all();
    runChunks(*state);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return state->remaining.load() == 0; });
  }

private:
  /// One call's work. A worker that wakes late holds the state of the job
  /// it was woken for, whose chunks are all claimed by then: it cannot take
  /// part of a later job by mistake.
  struct Job {
    mp_parallel_task task = nullptr;
    void *context = nullptr;
    int64_t begin = 0, total = 0, chunks = 0;
    std::atomic<int64_t> next{0}, remaining{0};
  };

  void runChunks(Job &current) {
    insideTask = true;
    for (int64_t c = current.next.fetch_add(1); c < current.chunks;
         c = current.next.fetch_add(1)) {
      // Chunk c covers [total*c/chunks, total*(c+1)/chunks).
      int64_t from = current.begin + current.total * c / current.chunks;
      int64_t to = current.begin + current.total * (c + 1) / current.chunks;
      current.task(current.context, from, to);
      if (current.remaining.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mutex);
        done.notify_all();
      }
    }
    insideTask = false;
  }

  void work() {
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Job> current;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation != seen; });
        seen = generation;
        current = job;
      }
      runChunks(*current);
    }
  }

  std::vector<std::thread> workers;
  std::mutex jobMutex, mutex;
  std::condition_variable wake, done;
  std::shared_ptr<Job> job;
  uint64_t generation = 0;
};

int64_t configuredThreads() {
  if (const char *value = std::getenv("MP_NUM_THREADS")) {
    long n = std::strtol(value, nullptr, 10);
    if (n >= 1)
      return n;
  }
  return std::max<int64_t>(1, std::thread::hardware_concurrency());
}

Pool &pool() {
  static Pool *instance = new Pool(configuredThreads());
  return *instance;
}

} // namespace

extern "C" int64_t mp_parallel_num_threads(void) { return pool().threads(); }

extern "C" void mp_parallel_for(mp_parallel_task task, void *context, int64_t begin,
                                int64_t end) {
  if (end <= begin)
    return;
  if (insideTask || end - begin == 1 || pool().threads() == 1) {
    task(context, begin, end);
    return;
  }
  pool().run(task, context, begin, end);
}
