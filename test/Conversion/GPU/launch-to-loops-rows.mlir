// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels{row-threads=1}),mp-gpu-launch-to-loops)" | FileCheck %s

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
