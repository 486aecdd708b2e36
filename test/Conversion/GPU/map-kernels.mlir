// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels,canonicalize))" -split-input-file | FileCheck %s

// A bf16 matmul with an f32 accumulator goes to tensor cores: one launch of
// 4 warps, warp-level 16x16 / 16x8 tiles contracted into f32 accumulators.
// CHECK-LABEL: func.func @tensor_core
//   wm = 2 (M/16 = 4), wn = 4 (N/8 = 8): warp tile 32 x 32, block tile 64 x 64,
//   grid (N/64, M/64, 1) = (1, 1, 1).
//   CHECK-DAG: %[[GX:.*]] = arith.constant 1 : index
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GX]], {{.*}}) threads({{.*}}) in ({{.*}} = %c128
//       CHECK:   scf.for {{.*}} iter_args
//   CHECK-COUNT-2:   vector.transfer_read {{.*}} : memref<64x32xbf16>, vector<16x16xbf16>
//   CHECK-COUNT-4:   vector.transfer_read {{.*}} : memref<32x64xbf16>, vector<16x8xbf16>
//   CHECK-COUNT-8:   vector.contract {{.*}} vector<16x16xbf16>, vector<16x8xbf16> into vector<16x8xf32>
//       CHECK: } {mp.warp_synchronous}
//   CHECK-NOT: linalg.matmul
func.func @tensor_core(%a: memref<64x32xbf16>, %b: memref<32x64xbf16>, %c: memref<64x64xf32>) {
  linalg.matmul ins(%a, %b : memref<64x32xbf16>, memref<32x64xbf16>) outs(%c : memref<64x64xf32>)
  return
}

// -----

// Sizes that are not multiples of the mma tile run one thread per output
// element, the reduction as a loop in the thread (never refused).
// CHECK-LABEL: func.func @ragged
//       CHECK: gpu.launch
//   CHECK-NOT: mp.warp_synchronous
//       CHECK:   arith.cmpi ult, %{{.*}}, %c60
//       CHECK:   scf.for {{.*}} = %c0 to %c7 step %c1 iter_args
//       CHECK:     arith.extf
//       CHECK:     arith.mulf
//       CHECK:     arith.addf
func.func @ragged(%a: memref<6x7xbf16>, %b: memref<7x10xbf16>, %c: memref<6x10xf32>) {
  linalg.matmul ins(%a, %b : memref<6x7xbf16>, memref<7x10xbf16>) outs(%c : memref<6x10xf32>)
  return
}

// -----

// A fused elementwise chain with its cast: one thread per element, grid of
// ceil(1000 / 256) blocks; the payload is cloned as it is.
// CHECK-LABEL: func.func @elementwise
//   CHECK-DAG: %[[G:.*]] = arith.constant 4 : index
//   CHECK-DAG: %[[B:.*]] = arith.constant 256 : index
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[G]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[B]],
//       CHECK:   scf.if
//       CHECK:     memref.load
//       CHECK:     arith.mulf
//       CHECK:     arith.truncf {{.*}} : f32 to bf16
//       CHECK:     memref.store
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%x: memref<10x100xf32>, %y: memref<10x100xbf16>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<10x100xf32>) outs(%y : memref<10x100xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.mulf %in, %in : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  }
  return
}

// -----

// A row reduction: one thread per row, the row in a loop (f32 accumulator
// read from the output, as the op's semantics say).
// CHECK-LABEL: func.func @row_max
//       CHECK: gpu.launch
//       CHECK:   %[[INIT:.*]] = memref.load %arg1
//       CHECK:   scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (f32)
//       CHECK:     arith.maximumf
func.func @row_max(%x: memref<8x512xf32>, %m: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x512xf32>) outs(%m : memref<8xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %in, %acc : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// memref.copy is a kernel too.
// CHECK-LABEL: func.func @copy
//       CHECK: gpu.launch
//       CHECK:   memref.load %arg0
//       CHECK:   memref.store {{.*}}, %arg1
//   CHECK-NOT: memref.copy
func.func @copy(%a: memref<4x8xf16>, %b: memref<4x8xf16>) {
  memref.copy %a, %b : memref<4x8xf16> to memref<4x8xf16>
  return
}
