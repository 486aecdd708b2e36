// RUN: mp-opt %s -allow-unregistered-dialect -split-input-file --pass-pipeline="builtin.module(func.func(mp-fold-casts))" | FileCheck %s
// RUN: mp-opt %s -allow-unregistered-dialect -split-input-file --pass-pipeline="builtin.module(func.func(mp-fold-casts{allow-excess-precision}))" \
// RUN:   -verify-diagnostics | FileCheck %s --check-prefix=EXCESS

// CHECK-LABEL: func @exact_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<4xbf16>)
// CHECK-NEXT: return %[[X]]
func.func @exact_round_trip(%x: tensor<4xbf16>) -> tensor<4xbf16> {
  %0 = mp.cast %x : tensor<4xbf16> to tensor<4xf32>
  %1 = mp.cast %0 : tensor<4xf32> to tensor<4xbf16>
  return %1 : tensor<4xbf16>
}

// -----

// A narrowing round trip rounds: kept by default, removed (and reported)
// with allow-excess-precision.
// CHECK-LABEL: func @narrowing_round_trip
// CHECK: mp.cast %{{.*}} : tensor<4xf32> to tensor<4xf16>
// CHECK: mp.cast %{{.*}} : tensor<4xf16> to tensor<4xf32>
// EXCESS-LABEL: func @narrowing_round_trip
// EXCESS-SAME: (%[[X:.*]]: tensor<4xf32>)
// EXCESS-NEXT: return %[[X]]
func.func @narrowing_round_trip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xf16>
  // expected-remark @+1 {{removed narrowing round trip f32 -> f16 -> f32 (allow-excess-precision): the value keeps its wider precision}}
  %1 = mp.cast %0 : tensor<4xf16> to tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Casts of a loop-invariant value are hoisted out of the loop, and all users
// share one cast.
// CHECK-LABEL: func @hoist_and_share
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>
// CHECK: %[[C:.*]] = mp.cast %[[X]] : tensor<4xf32> to tensor<4xf16>
// CHECK-NOT: mp.cast
// CHECK: scf.for
// CHECK: "test.use"(%[[C]])
// CHECK: "test.use"(%[[C]])
// CHECK-NOT: mp.cast
func.func @hoist_and_share(%x: tensor<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %0 = mp.cast %x : tensor<4xf32> to tensor<4xf16>
    "test.use"(%0) : (tensor<4xf16>) -> ()
    %1 = mp.cast %x : tensor<4xf32> to tensor<4xf16>
    "test.use"(%1) : (tensor<4xf16>) -> ()
  }
  return
}

// -----

// Casts with different rounding are different values: both stay.
// CHECK-LABEL: func @no_share_different_rounding
// CHECK: mp.cast %{{.*}} : tensor<4xf32> to tensor<4xf16>
// CHECK: mp.cast %{{.*}} rounding(toward_zero) : tensor<4xf32> to tensor<4xf16>
func.func @no_share_different_rounding(%x: tensor<4xf32>) -> (tensor<4xf16>, tensor<4xf16>) {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xf16>
  %1 = mp.cast %x rounding(toward_zero) : tensor<4xf32> to tensor<4xf16>
  return %0, %1 : tensor<4xf16>, tensor<4xf16>
}
