// RUN: rm -rf %t && mp-opt %s --pass-pipeline="builtin.module(mp-lower-to-ptx{dump-dir=%t})" -o /dev/null
// RUN: %python %mp_src/scripts/cost-report.py --per-launch %t | FileCheck %s

// A projection with its bias and bf16 cast: one tensor-core kernel. FLOPs:
// 2*32*16*64 for the products and sums, plus one add per output (512).
// Bytes: x (32x64 bf16, 4096), w (64x16 bf16, 2048), the bias (16 f32, 64)
// read once, y (32x16 bf16, 1024) written once: 7232; the f32 accumulator
// stays in registers. Unfused (fill, matmul, epilogue as three kernels): the
// accumulator written by the fill (2048), read and written by the matmul
// (4096 + 2048 + 2048 + 2048) and read by the epilogue (2048 + 64 + 1024):
// 15424 bytes.
// CHECK: 0 {{.*}}: 66048 flops, 7232 bytes, intensity 9.13, roofline 0.0015 us (memory-bound, tensor cores), 3 ops fused
// CHECK: 1 launches (3 unfused), 7232 bytes (15424 unfused, 2.13x less), 66048 flops, roofline 0.0015 us on H200
func.func @proj(%x: tensor<32x64xbf16>, %w: tensor<64x16xbf16>, %b: tensor<16xf32>) -> tensor<32x16xbf16> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<32x16xf32>) -> tensor<32x16xf32>
  %m = linalg.matmul ins(%x, %w : tensor<32x64xbf16>, tensor<64x16xbf16>) outs(%acc : tensor<32x16xf32>) -> tensor<32x16xf32>
  %ye = tensor.empty() : tensor<32x16xbf16>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<32x16xf32>, tensor<16xf32>) outs(%ye : tensor<32x16xbf16>) {
  ^bb0(%v: f32, %bb: f32, %o: bf16):
    %0 = arith.addf %v, %bb : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  }  -> tensor<32x16xbf16>
  return %y : tensor<32x16xbf16>
}
