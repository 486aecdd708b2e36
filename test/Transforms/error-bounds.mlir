// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-error-bounds)" -verify-diagnostics -o /dev/null

// x in [-1, 1] rounded to bf16 (2^-8), x * x in f32, stored bf16 (2^-8):
// 2 * 2^-8 + 2^-16 + 2^-24 + 2^-8 = 1.173e-2.
#id = affine_map<(d0, d1) -> (d0, d1)>
// expected-remark @below {{result 0: error bound |err| <= 1.173e-02 (|x| <= 1.000e+00)}}
func.func @square(%x: tensor<4x8xf32> {mp.range = [-1.0, 1.0]}) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  // expected-remark @below {{error bound: |err| <= 1.173e-02 (|x| <= 1.000e+00, relative 1.173e-02)}}
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %sq : tensor<4x8xf32>
}

// -----

// Unannotated input: nothing to bound with.
#id = affine_map<(d0, d1) -> (d0, d1)>
// expected-remark @below {{result 0: no error bound}}
func.func @unknown(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  // expected-remark @below {{error bound: no bound (its inputs are unbounded (annotate them with mp.range))}}
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %sq : tensor<4x8xf32>
}

// -----

// A division by an interval containing 0 cannot be bounded.
#id = affine_map<(d0, d1) -> (d0, d1)>
// expected-remark @below {{result 0: no error bound}}
func.func @divide(%x: tensor<4x8xf32> {mp.range = [-1.0, 1.0]}) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  // expected-remark @below {{error bound: no bound (division by a value that may be 0)}}
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.constant 1.0 : f32
    %m = arith.divf %c, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %q : tensor<4x8xf32>
}
