// RUN: mp-opt %s -mp-print-ranges -split-input-file -verify-diagnostics

// Remarks: "arg N: range [lo, hi]" per float function argument (at the
// function), "result N: range [lo, hi]" per float result (at the op),
// "unbounded" when nothing bounds a value.

// Constants: scalars, splats and dense tensors (min and max over elements).
func.func @constants() -> (f32, tensor<4xf32>, tensor<3xf32>) {
  // expected-remark @below {{result 0: range [2.5, 2.5]}}
  %c = arith.constant 2.5 : f32
  // expected-remark @below {{result 0: range [-1, -1]}}
  %s = arith.constant dense<-1.0> : tensor<4xf32>
  // expected-remark @below {{result 0: range [-3, 7]}}
  %d = arith.constant dense<[1.0, -3.0, 7.0]> : tensor<3xf32>
  return %c, %s, %d : f32, tensor<4xf32>, tensor<3xf32>
}

// -----

// Annotated arguments are bounded, an unannotated one is not.
// expected-remark @below {{arg 0: range [-4, 4]}}
// expected-remark @below {{arg 1: unbounded}}
func.func @arguments(%x: f32 {mp.range = [-4.0, 4.0]}, %y: f32) -> f32 {
  // expected-remark @below {{result 0: unbounded}}
  %0 = arith.addf %x, %y : f32
  return %0 : f32
}

// -----

#id = affine_map<(d0) -> (d0)>

// x * x + 1 with x in [-2, 3]: the product's corners give [-6, 9] (interval
// arithmetic does not know both factors are one value). The tensor.empty
// init is never read: it does not widen the result.
// expected-remark @below {{arg 0: range [-2, 3]}}
func.func @elementwise(%x: tensor<8xf32> {mp.range = [-2.0, 3.0]}) -> tensor<8xf32> {
  // expected-remark @below {{result 0: range [1, 1]}}
  %one = arith.constant 1.0 : f32
  // expected-remark @below {{result 0: unbounded}}
  %e = tensor.empty() : tensor<8xf32>
  // expected-remark @below {{result 0: range [-5, 10]}}
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %sq = arith.mulf %in, %in : f32
    %r = arith.addf %sq, %one : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// A matmul over K = 64: init + 64 * ([-2, 2] * [-3, 3]).
// expected-remark @below {{arg 0: range [-2, 2]}}
// expected-remark @below {{arg 1: range [-3, 3]}}
func.func @matmul(%a: tensor<4x64xf32> {mp.range = [-2.0, 2.0]},
                  %b: tensor<64x8xf32> {mp.range = [-3.0, 3.0]}) -> tensor<4x8xf32> {
  // expected-remark @below {{result 0: range [0, 0]}}
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{result 0: unbounded}}
  %e = tensor.empty() : tensor<4x8xf32>
  // expected-remark @below {{result 0: range [0, 0]}}
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  // expected-remark @below {{result 0: range [-384, 384]}}
  %0 = linalg.matmul ins(%a, %b : tensor<4x64xf32>, tensor<64x8xf32>)
                     outs(%init : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

#x = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A row sum of 128 terms (init + 128 * [-1, 2]) and a row max (the max of
// the init, -inf, and the terms).
// expected-remark @below {{arg 0: range [-1, 2]}}
func.func @reductions(%x: tensor<4x128xf32> {mp.range = [-1.0, 2.0]})
    -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-remark @below {{result 0: range [0, 0]}}
  %zero = arith.constant 0.0 : f32
  // expected-remark @below {{result 0: range [-inf, -inf]}}
  %ninf = arith.constant 0xFF800000 : f32
  // expected-remark @below {{result 0: unbounded}}
  %e = tensor.empty() : tensor<4xf32>
  // expected-remark @below {{result 0: range [0, 0]}}
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  // expected-remark @below {{result 0: range [-128, 256]}}
  %sum = linalg.generic {indexing_maps = [#x, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x128xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  // expected-remark @below {{result 0: range [-inf, -inf]}}
  %m = linalg.fill ins(%ninf : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  // expected-remark @below {{result 0: range [-1, 2]}}
  %max = linalg.generic {indexing_maps = [#x, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x128xf32>) outs(%m : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.maximumf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %sum, %max : tensor<4xf32>, tensor<4xf32>
}

// -----

// exp is monotone: [e^-1, e^2]; softmax is in [0, 1].
// expected-remark @below {{arg 0: range [-1, 2]}}
func.func @exp_softmax(%x: tensor<4x16xf32> {mp.range = [-1.0, 2.0]})
    -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  // expected-remark @below {{result 0: unbounded}}
  %e = tensor.empty() : tensor<4x16xf32>
  // expected-remark @below {{result 0: range [0.367879, 7.38906]}}
  %0 = linalg.exp ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  // expected-remark @below {{result 0: range [0, 1]}}
  %1 = linalg.softmax dimension(1) ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Rounding to f16: an end beyond 65504 becomes infinite.
// expected-remark @below {{arg 0: range [-100, 100000]}}
func.func @truncf(%x: f32 {mp.range = [-100.0, 100000.0]}) -> f16 {
  // expected-remark @below {{result 0: range [-100, inf]}}
  %0 = arith.truncf %x : f32 to f16
  return %0 : f16
}

// -----

// Division by an interval containing zero is unbounded; by one that does
// not, bounded.
// expected-remark @below {{arg 0: range [-1, 1]}}
// expected-remark @below {{arg 1: range [2, 4]}}
func.func @division(%x: f32 {mp.range = [-1.0, 1.0]}, %y: f32 {mp.range = [2.0, 4.0]})
    -> (f32, f32) {
  // expected-remark @below {{result 0: unbounded}}
  %0 = arith.divf %y, %x : f32
  // expected-remark @below {{result 0: range [-0.5, 0.5]}}
  %1 = arith.divf %x, %y : f32
  return %0, %1 : f32, f32
}

// -----

// Data movement keeps the range.
// expected-remark @below {{arg 0: range [-5, 1]}}
func.func @data_movement(%x: tensor<4x8xf32> {mp.range = [-5.0, 1.0]})
    -> (tensor<8x4xf32>, tensor<32xf32>, tensor<2x2x8xf32>) {
  // expected-remark @below {{result 0: unbounded}}
  %e = tensor.empty() : tensor<8x4xf32>
  // expected-remark @below {{result 0: range [-5, 1]}}
  %t = linalg.transpose ins(%x : tensor<4x8xf32>) outs(%e : tensor<8x4xf32>) permutation = [1, 0]
  // expected-remark @below {{result 0: range [-5, 1]}}
  %c = tensor.collapse_shape %x [[0, 1]] : tensor<4x8xf32> into tensor<32xf32>
  // expected-remark @below {{result 0: range [-5, 1]}}
  %r = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 2, 8]
      : tensor<4x8xf32> into tensor<2x2x8xf32>
  return %t, %c, %r : tensor<8x4xf32>, tensor<32xf32>, tensor<2x2x8xf32>
}

// -----

// An op annotation narrows what propagation gives.
// expected-remark @below {{arg 0: range [-10, 10]}}
func.func @op_annotation(%x: f32 {mp.range = [-10.0, 10.0]}) -> f32 {
  // expected-remark @below {{result 0: range [-1, 100]}}
  %0 = arith.mulf %x, %x {mp.range = [-1.0, 1000.0]} : f32
  return %0 : f32
}

// -----

// The largest finite value stands for infinity (a mask written as
// finfo.min): it is not a magnitude.
func.func @mask_sentinel() -> tensor<3xf32> {
  // expected-remark @below {{result 0: range [-inf, 0]}}
  %m = arith.constant dense<[0.0, -3.40282347E+38, 0.0]> : tensor<3xf32>
  return %m : tensor<3xf32>
}
