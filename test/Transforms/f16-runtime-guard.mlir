// RUN: mp-opt %s -split-input-file --mp-f16-runtime-guard="remarks=true" -verify-diagnostics | FileCheck %s

// An f16 result computed in f32 and read by a generic that widens it: after
// it, the largest magnitude of the f16 result ignoring NaNs; on +inf the op runs again in f32 (no decision),
// the scale s = 2^(e+1) comes from that maximum over 65504, the op runs once
// more into f16 with its f32 value times 1/s, and the counter goes up. The
// reader takes the checked value and multiplies it back by s.
// CHECK: memref.global @mp_f16_guard_rescales : memref<i64> = dense<0>
// CHECK-LABEL: func.func @chain
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<8x16xf16>) outs(%{{.*}} : tensor<8x16xf16>) {{.*}}mp.scaling = "f16 run-time guard"
// CHECK: %[[M:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]} ins(%[[Y]] : tensor<8x16xf16>) outs(%{{.*}} : tensor<f32>)
// CHECK:   math.absf
// CHECK:   arith.maxnumf
// CHECK: %[[MV:.*]] = tensor.extract %[[M]][]
// CHECK: %[[OVER:.*]] = arith.cmpf oeq, %[[MV]], %{{.*}} : f32
// CHECK: %[[IF:.*]]:2 = scf.if %[[OVER]] -> (f32, tensor<8x16xf16>)
// CHECK:   %[[WIDE:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x16xf32>) {
// CHECK-NOT: mp.decision
// CHECK:     linalg.yield %{{.*}} : f32
// CHECK:   linalg.generic {{.*}} ins(%[[WIDE]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:   arith.bitcast %{{.*}} : f32 to i32
// CHECK:   %[[S:.*]] = arith.select
// CHECK:   %[[INV:.*]] = arith.divf %{{.*}}, %[[S]]
// CHECK:   linalg.generic {{.*}}mp.scaling = "f16 run-time guard: scaled recompute"
// CHECK:     arith.mulf %{{.*}}, %[[INV]]
// CHECK:     mp.cast %{{.*}} : f32 to f16
// CHECK:   memref.get_global @mp_f16_guard_rescales
// CHECK:   arith.addi
// CHECK:   memref.store
// CHECK:   scf.yield %[[S]], %{{.*}} : f32, tensor<8x16xf16>
// CHECK: } else {
// CHECK:   scf.yield %{{.*}}, %[[Y]] : f32, tensor<8x16xf16>
// CHECK: linalg.generic {{.*}} ins(%[[IF]]#1 : tensor<8x16xf16>)
// CHECK:   %[[W:.*]] = mp.cast %{{.*}} : f16 to f32
// CHECK:   %[[U:.*]] = arith.mulf %[[W]], %[[IF]]#0 : f32
// CHECK:   arith.addf %[[U]], %[[U]] : f32
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @chain(%x: tensor<8x16xf16>) -> tensor<8x16xf32> {
  %e16 = tensor.empty() : tensor<8x16xf16>
  %e32 = tensor.empty() : tensor<8x16xf32>
  // expected-remark @below {{mp-f16-runtime-guard: f16 result checked for overflow at run time; recomputed scaled by a power of two when it overflows (1 reader(s) undo the scale)}}
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf16>) outs(%e16 : tensor<8x16xf16>) {
  ^bb0(%a: f16, %o: f16):
    %w = mp.cast %a : f16 to f32
    %m = arith.mulf %w, %w : f32
    %n = mp.cast %m : f32 to f16
    linalg.yield %n : f16
  } -> tensor<8x16xf16>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sq : tensor<8x16xf16>) outs(%e32 : tensor<8x16xf32>) {
  ^bb0(%a: f16, %o: f32):
    %w = mp.cast %a : f16 to f32
    %s = arith.addf %w, %w : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// A value returned by the function cannot be scaled back: not guarded.
// CHECK-LABEL: func.func @returned
// CHECK-NOT: scf.if
// CHECK-NOT: mp.amax
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @returned(%x: tensor<8x16xf16>) -> tensor<8x16xf16> {
  %e16 = tensor.empty() : tensor<8x16xf16>
  // expected-remark @below {{mp-f16-runtime-guard: not guarded: a reader of this f16 value cannot undo a scale (not an elementwise generic)}}
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf16>) outs(%e16 : tensor<8x16xf16>) {
  ^bb0(%a: f16, %o: f16):
    %w = mp.cast %a : f16 to f32
    %m = arith.mulf %w, %w : f32
    %n = mp.cast %m : f32 to f16
    linalg.yield %n : f16
  } -> tensor<8x16xf16>
  return %sq : tensor<8x16xf16>
}
