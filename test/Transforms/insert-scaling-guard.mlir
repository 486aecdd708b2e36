// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=f16},mp-insert-scaling{remarks=true})" -verify-diagnostics | FileCheck %s

// x in [-300, 300]: x * x reaches 90000 > 65504. Stored scaled by 2^-1 (folded
// into the producer's payload before the rounding to f16), undone by the
// consumer after its exact widening.

#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @scaled
func.func @scaled(%x: tensor<4x8xf32> {mp.range = [-300.0, 300.0]}) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  // CHECK: %[[SQ:.*]] = linalg.generic {{.*}}mp.scaling = "f16-guard 2^-1"
  // CHECK:   %[[M:.*]] = arith.mulf %in, %in
  // CHECK:   %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
  // CHECK:   %[[S:.*]] = arith.mulf %[[M]], %[[HALF]] : f32
  // CHECK:   linalg.yield %[[S]]
  // expected-remark @below {{f16 guard: |x| <= 90000.000000 exceeds 65504; stored scaled by 2^-1, undone in 1 consumer(s)}}
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  // CHECK: linalg.generic {{.*}} ins(%[[SQ]] : tensor<4x8xf32>) {{.*}}mp.scaling = "f16-guard undoes 2^-1"
  // CHECK:   %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
  // CHECK:   %[[U:.*]] = arith.mulf %in, %[[TWO]] : f32
  // CHECK:   arith.mulf %[[U]]
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sq : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.constant 1.0e-3 : f32
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Returned directly: nothing can undo a scale, so the op stays f32, and so
// does its follower.

#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @widened
func.func @widened(%x: tensor<4x8xf32> {mp.range = [-1000.0, 1000.0]}) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  // CHECK: linalg.generic
  // CHECK-SAME: format = <f32>, compute = f32, rule = "class-default:elementwise,keeps-f32:range(|x| <= 1000000.000000)"
  // expected-remark @below {{f16 guard keeps this op in f32 (keeps-f32:range(|x| <= 1000000.000000))}}
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  // CHECK: linalg.generic
  // CHECK-SAME: format = <f32>, compute = f32, rule = "follows-producers,keeps-f32:range-of-input"
  // expected-remark @below {{f16 guard keeps this op in f32 (keeps-f32:range-of-input)}}
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sq : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.constant 1.0e-3 : f32
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %sq, %y : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Unannotated input: the range is unknown, nothing is claimed.

#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @unbounded(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  // expected-remark @below {{f16 guard: the range of this f16 value is unbounded}}
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %sq : tensor<4x8xf32>
}
