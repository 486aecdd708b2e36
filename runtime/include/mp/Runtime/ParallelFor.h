//===- ParallelFor.h - the CPU path's thread pool ---------------*- C++ -*-===//
//
// Code lowered by `mp-cpu-lowering{threads}` calls `mp_parallel_for` for each
// large parallel loop (mp-outline-parallel-loops, mp-lower-parallel-calls).
// The library (libmpRuntimeCPU.so) has no dependencies beyond the C++
// standard library, so mlir-runner can load it with --shared-libs as mp-run
// does.
//
//===----------------------------------------------------------------------===//

#ifndef MP_RUNTIME_PARALLELFOR_H
#define MP_RUNTIME_PARALLELFOR_H

#include <cstdint>

extern "C" {

/// The body of a parallel loop: runs iterations [begin, end) with the
/// captured values that `context` points to.
typedef void (*mp_parallel_task)(void *context, int64_t begin, int64_t end);

/// Runs task(context, b, e) over a partition of [begin, end) on the pool's
/// threads and the caller's, and returns when every iteration has run.
/// Iterations are independent (the compiler only emits calls for loops whose
/// iterations write disjoint elements), so results do not depend on the
/// partition. Calls from inside a task run inline.
void mp_parallel_for(mp_parallel_task task, void *context, int64_t begin, int64_t end);

/// Threads used, the caller's included: $MP_NUM_THREADS if set (1 = no
/// pool), else the machine's hardware threads.
int64_t mp_parallel_num_threads(void);
}

#endif // MP_RUNTIME_PARALLELFOR_H
