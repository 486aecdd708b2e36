//===- ParallelForTest.cpp - the CPU path's thread pool -------------------===//

#include "mp/Runtime/ParallelFor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

struct Counts {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> calls{0};
  explicit Counts(size_t n) : hits(n) {}
};

void countRange(void *context, int64_t begin, int64_t end) {
  auto *counts = static_cast<Counts *>(context);
  counts->calls.fetch_add(1);
  for (int64_t i = begin; i < end; ++i)
    counts->hits[i].fetch_add(1);
}

// Every iteration runs exactly once, whatever the range's size and start.
TEST(ParallelFor, EachIterationOnce) {
  for (auto [begin, end] : std::vector<std::pair<int64_t, int64_t>>{
           {0, 1}, {0, 2}, {0, 7}, {5, 1000}, {0, 100000}, {99, 100}}) {
    Counts counts(end);
    mp_parallel_for(countRange, &counts, begin, end);
    for (int64_t i = 0; i < end; ++i)
      ASSERT_EQ(counts.hits[i].load(), i >= begin ? 1 : 0)
          << "iteration " << i << " of [" << begin << ", " << end << ")";
    EXPECT_GE(counts.calls.load(), 1);
  }
}

TEST(ParallelFor, EmptyRangeRunsNothing) {
  Counts counts(1);
  mp_parallel_for(countRange, &counts, 3, 3);
  mp_parallel_for(countRange, &counts, 4, 2);
  EXPECT_EQ(counts.calls.load(), 0);
}

// Many jobs back to back (as a model's loops are): none loses or repeats an
// iteration of another (late workers must not take part of the next job).
TEST(ParallelFor, BackToBackJobs) {
  for (int job = 0; job < 2000; ++job) {
    Counts counts(64);
    mp_parallel_for(countRange, &counts, 0, 64);
    for (int i = 0; i < 64; ++i)
      ASSERT_EQ(counts.hits[i].load(), 1) << "job " << job << " iteration " << i;
  }
}

struct Nested {
  Counts inner{16 * 16};
};

void outerTask(void *context, int64_t begin, int64_t end) {
  auto *nested = static_cast<Nested *>(context);
  for (int64_t row = begin; row < end; ++row) {
    struct Row {
      Counts *counts;
      int64_t row;
    } r{&nested->inner, row};
    // A call from inside a task runs inline, on this thread.
    mp_parallel_for(
        [](void *ctx, int64_t b, int64_t e) {
          auto *r = static_cast<Row *>(ctx);
          for (int64_t i = b; i < e; ++i)
            r->counts->hits[r->row * 16 + i].fetch_add(1);
        },
        &r, 0, 16);
  }
}

TEST(ParallelFor, NestedCallsRunInline) {
  Nested nested;
  mp_parallel_for(outerTask, &nested, 0, 16);
  for (int i = 0; i < 16 * 16; ++i)
    ASSERT_EQ(nested.inner.hits[i].load(), 1) << i;
}

// The pool uses more than one thread on a machine that has them (and
// MP_NUM_THREADS is not set to 1 here).
TEST(ParallelFor, UsesThreads) {
  EXPECT_GE(mp_parallel_num_threads(), 1);
  if (std::thread::hardware_concurrency() < 2 || getenv("MP_NUM_THREADS"))
    GTEST_SKIP() << "one hardware thread, or MP_NUM_THREADS set";
  EXPECT_GE(mp_parallel_num_threads(), 2);
}

} // namespace
