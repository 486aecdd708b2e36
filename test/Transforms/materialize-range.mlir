// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=f16},mp-materialize)" \
// RUN:   -verify-diagnostics | FileCheck %s

// A weight above 65504 does not fit f16: by policy it stays f32 (remark).
// CHECK-LABEL: func @too_big_by_policy
// CHECK: %[[W:.*]] = arith.constant dense<[7.000000e+04, 1.000000e+00]> : tensor<2xf32>
// CHECK: linalg.matvec {mp.class = "contraction", mp.format = #mp.format<f16, acc = f32>, mp.rule = "class-default:contraction,range-check:operand#1-kept-f32"}
// CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<3x2xf16>, tensor<2xf32>)
func.func @too_big_by_policy(%m: tensor<3x2xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  %w = arith.constant dense<[70000.0, 1.0]> : tensor<2xf32>
  // expected-remark @+1 {{kept weight operand #1 in 'f32': max |w| = 7.000000e+04 exceeds the largest finite 'f16' value 6.550400e+04 (range check)}}
  %0 = linalg.matvec ins(%m, %w : tensor<3x2xf32>, tensor<2xf32>) outs(%init : tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Forced by the user, it is an error rather than silent infinities.
func.func @too_big_forced(%m: tensor<3x2xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  %w = arith.constant dense<[70000.0, 1.0]> : tensor<2xf32>
  // expected-error @+1 {{weight operand #1 does not fit 'f16': max |w| = 7.000000e+04 exceeds its largest finite value 6.550400e+04, and the format was forced by the user}}
  %0 = linalg.matvec {mp.format = #mp.format<f16, acc = f32>} ins(%m, %w : tensor<3x2xf32>, tensor<2xf32>) outs(%init : tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @scaled(%m: tensor<3x2xf32>, %v: tensor<2xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{format #mp.format<i8, per_tensor> needs scaling, which mp-materialize does not insert yet}}
  %0 = linalg.matvec {mp.format = #mp.format<i8, per_tensor>} ins(%m, %v : tensor<3x2xf32>, tensor<2xf32>) outs(%init : tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
