// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-fold-constant-transposes))" | FileCheck %s

// Transposes and permuting generics of constants become constants (any
// byte-sized element type); the weight keeps its mp.name.
// CHECK-LABEL: func.func @f
// CHECK: %[[W:.*]] = arith.constant {mp.name = "w"} dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK: %[[I:.*]] = arith.constant dense<{{\[\[\[}}1, 3], [5, 7], [9, 11]], {{\[\[}}2, 4], [6, 8], [10, 12]]]> : tensor<2x3x2xi8>
// CHECK: %[[G:.*]] = arith.constant {mp.name = "w2"} dense<{{\[}}[7.000000e+00, 1.000000e+01], [8.000000e+00, 1.100000e+01], [9.000000e+00, 1.200000e+01]]> : tensor<3x2xf32>
// CHECK-NOT: linalg.
// CHECK: return %[[W]], %[[I]], %[[G]]
func.func @f() -> (tensor<3x2xf32>, tensor<2x3x2xi8>, tensor<3x2xf32>) {
  %c = arith.constant {mp.name = "w"} dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%c : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  %i = arith.constant dense<[[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]]> : tensor<3x2x2xi8>
  %e2 = tensor.empty() : tensor<2x3x2xi8>
  %t2 = linalg.transpose ins(%i : tensor<3x2x2xi8>) outs(%e2 : tensor<2x3x2xi8>) permutation = [2, 0, 1]
  %c2 = arith.constant {mp.name = "w2"} dense<[[7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]> : tensor<2x3xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%c2 : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<3x2xf32>
  return %t, %t2, %g : tensor<3x2xf32>, tensor<2x3x2xi8>, tensor<3x2xf32>
}

// A transpose of a computed value, and a generic that computes, stay.
// CHECK-LABEL: func.func @not_constant
// CHECK: linalg.transpose
// CHECK: linalg.generic
func.func @not_constant(%x: tensor<2x3xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %c = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%x : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  %g = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%c : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<3x2xf32>
  return %t, %g : tensor<3x2xf32>, tensor<3x2xf32>
}

// A constant with another reader (tied weights) is not copied.
// CHECK-LABEL: func.func @tied
// CHECK: %[[E:.*]] = arith.constant dense<{{.*}}> : tensor<2x3xf32>
// CHECK: linalg.transpose ins(%[[E]]
// CHECK: return %[[E]]
func.func @tied() -> (tensor<2x3xf32>, tensor<3x2xf32>) {
  %c = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%c : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  return %c, %t : tensor<2x3xf32>, tensor<3x2xf32>
}
