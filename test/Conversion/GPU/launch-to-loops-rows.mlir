// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels{row-threads=1}),mp-gpu-launch-to-loops)" | FileCheck %s
// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels{row-threads=32}),mp-gpu-launch-to-loops)" | FileCheck %s --check-prefix=PHASES

// A row kernel with one thread per block (as mp-gpu-emulate maps them): the
// barriers go and the block-wide reduction is the thread's own partial, so
// the reduction runs in order over the row.
// CHECK-LABEL: func.func @row_kernel_single_thread
//   CHECK-NOT: gpu.
//       CHECK: %[[P:.*]] = scf.for {{.*}} iter_args
//       CHECK:   arith.addf
//       CHECK: arith.addf %{{.*}}, %[[P]]
//   CHECK-NOT: gpu.
//       CHECK: return
func.func @row_kernel_single_thread(%x: memref<4x64xf32>, %s: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%s : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x64xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.addf %acc, %in : f32
    linalg.yield %0 : f32
  }
  return
}

// With 32 threads the kernel runs phase by phase inside the loop over rows:
// the fill (thread 0), then every thread's partial sum over its strided
// elements, combined in thread order, then thread 0 folds the total in.
// PHASES-LABEL: func.func @row_kernel_single_thread
//   PHASES-NOT: gpu.
//       PHASES: scf.for %[[ROW:.*]] = %c0 to %c4
//       PHASES:   scf.for %[[T0:.*]] = %c0 to %c32
//       PHASES:   %[[TOTAL:.*]] = scf.for %[[T:.*]] = %c0 to %c32{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
//       PHASES:     %[[P:.*]] = scf.for %{{.*}} = %[[T]] to %{{.*}} step %{{.*}} iter_args
//       PHASES:     %[[SUM:.*]] = arith.addf %[[ACC]], %[[P]]
//       PHASES:     arith.select %{{.*}}, %[[P]], %[[SUM]]
//       PHASES:   scf.for %{{.*}} = %c0 to %c32
//       PHASES:     arith.addf %{{.*}}, %[[TOTAL]]
//   PHASES-NOT: gpu.
//       PHASES: return
