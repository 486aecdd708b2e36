// RUN: mp-opt %s --pass-pipeline="builtin.module(gpu.module(mp-gpu-lower-all-reduce))" -split-input-file | FileCheck %s

// A block-wide sum: shuffles within each warp (offsets 1 to 16), the warps'
// partials through a 32-entry shared buffer added to the kernel, barriers
// around it, the total read back by every thread.
// CHECK-LABEL: gpu.func @row_sum
//  CHECK-SAME: workgroup(%[[BUF:.*]] : memref<32xf32, #gpu.address_space<workgroup>>)
//   CHECK-NOT: gpu.all_reduce
//       CHECK: gpu.shuffle xor
//       CHECK: memref.store {{.*}}, %[[BUF]]
//       CHECK: gpu.barrier
//       CHECK: gpu.barrier
//       CHECK: memref.load %[[BUF]]
gpu.module @kernels {
  gpu.func @row_sum(%x: memref<256xf32>, %out: memref<1xf32>) kernel {
    %tid = gpu.thread_id x
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%tid] : memref<256xf32>
    %sum = gpu.all_reduce add %v uniform {} : (f32) -> f32
    memref.store %sum, %out[%c0] : memref<1xf32>
    gpu.return
  }
}
