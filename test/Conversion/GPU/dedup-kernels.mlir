// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels),gpu-kernel-outlining,mp-gpu-dedup-kernels)" | FileCheck %s

// Two layers with the same shapes and different weights: one kernel module,
// launched twice; the third op differs (f16) and keeps its own.
//       CHECK: func.func @two_layers
//       CHECK: gpu.launch_func @two_layers_kernel::@two_layers_kernel
//       CHECK: gpu.launch_func @two_layers_kernel::@two_layers_kernel
//       CHECK: gpu.launch_func @two_layers_kernel_1::@two_layers_kernel
// CHECK-LABEL: gpu.module @two_layers_kernel {
//   CHECK-NOT: gpu.module @two_layers_kernel_0
//       CHECK: gpu.module @two_layers_kernel_1 {
//   CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @two_layers(%x: memref<16x16xbf16>, %w1: memref<16x16xbf16>, %w2: memref<16x16xbf16>,
                        %y1: memref<16x16xf32>, %y2: memref<16x16xf32>,
                        %h: memref<16x16xf16>, %y3: memref<16x16xf32>) {
    linalg.matmul ins(%x, %w1 : memref<16x16xbf16>, memref<16x16xbf16>) outs(%y1 : memref<16x16xf32>)
    linalg.matmul ins(%x, %w2 : memref<16x16xbf16>, memref<16x16xbf16>) outs(%y2 : memref<16x16xf32>)
    linalg.matmul ins(%h, %h : memref<16x16xf16>, memref<16x16xf16>) outs(%y3 : memref<16x16xf32>)
    return
  }
}
