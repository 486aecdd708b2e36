// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels),mp-gpu-launch-to-loops)" -split-input-file | FileCheck %s

// Warp-level launches run one lane per warp: the thread loop steps by 32.
// CHECK-LABEL: func.func @warp_level
//   CHECK-NOT: gpu.launch
//       CHECK: scf.for
//       CHECK: scf.for
//       CHECK: scf.for
//       CHECK: scf.for
//       CHECK: scf.for
//       CHECK: scf.for %{{.*}} = %c0 to %c128 step %c32
//       CHECK:   vector.contract
func.func @warp_level(%a: memref<16x16xf16>, %b: memref<16x8xf16>, %c: memref<16x8xf32>) {
  linalg.matmul ins(%a, %b : memref<16x16xf16>, memref<16x8xf16>) outs(%c : memref<16x8xf32>)
  return
}
