// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-gpu-map-kernels),mp-gpu-lower-warp-mma)" | FileCheck %s

// The warp-level tile becomes the PTX fragment layout per lane: lane / 4 and
// 2 * (lane % 4) index the operands, bf16 pairs are packed into i32, the
// accumulators are four f32 per lane carried by the loop.
// CHECK-LABEL: func.func @bf16
//       CHECK: gpu.launch
//   CHECK-NOT: mp.warp_synchronous
//       CHECK:   gpu.lane_id
//       CHECK:   arith.divui %{{.*}}, %c4
//       CHECK:   arith.remui %{{.*}}, %c4
//       CHECK:   scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<4xf32>)
//       CHECK:     vector.bitcast {{.*}} : vector<2xbf16> to vector<1xi32>
//       CHECK:     nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
//   CHECK-NOT:   vector.contract
//       CHECK:   memref.store
func.func @bf16(%a: memref<16x32xbf16>, %b: memref<32x8xbf16>, %c: memref<16x8xf32>) {
  linalg.matmul ins(%a, %b : memref<16x32xbf16>, memref<32x8xbf16>) outs(%c : memref<16x8xf32>)
  return
}

// f16 operands stay vector<2xf16> registers.
// CHECK-LABEL: func.func @f16_batch
//       CHECK:   nvvm.mma.sync {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
func.func @f16_batch(%a: memref<2x16x16xf16>, %b: memref<2x16x16xf16>, %c: memref<2x16x16xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<2x16x16xf16>, memref<2x16x16xf16>) outs(%c : memref<2x16x16xf32>)
  return
}
