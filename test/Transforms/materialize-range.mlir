// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=f16},mp-materialize,mp-verify-decisions)" \
// RUN:   -verify-diagnostics | FileCheck %s

// A weight above 65504 does not fit f16: by policy the op stays f32 (remark),
// and the decision says so.
// CHECK-LABEL: func @too_big_by_policy
// CHECK: %[[W:.*]] = arith.constant dense<[7.000000e+04, 1.000000e+00]> : tensor<2xf32>
// CHECK: linalg.matvec {mp.decision = #mp.decision<class = contraction, format = <f32>, compute = f32, rule = "class-default:contraction,range-check:operand #1(max=7.000e+04)">}
// CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<3x2xf32>, tensor<2xf32>)
func.func @too_big_by_policy(%m: tensor<3x2xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  %w = arith.constant dense<[70000.0, 1.0]> : tensor<2xf32>
  // expected-remark @+1 {{kept in f32: operand #1 holds |x| = 7.000000e+04, beyond the largest finite 'f16' value 6.550400e+04 (range check)}}
  %0 = linalg.matvec ins(%m, %w : tensor<3x2xf32>, tensor<2xf32>) outs(%init : tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Forced by the user, it is an error rather than silent infinities.
func.func @too_big_forced(%m: tensor<3x2xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  %w = arith.constant dense<[70000.0, 1.0]> : tensor<2xf32>
  // expected-error @+1 {{operand #1 does not fit 'f16': max |x| = 7.000000e+04 exceeds its largest finite value 6.550400e+04, and the format was forced by the user}}
  %0 = linalg.matvec {mp.format = #mp.format<f16, acc = f32>} ins(%m, %w : tensor<3x2xf32>, tensor<2xf32>) outs(%init : tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @scaled(%m: tensor<3x2xf32>, %v: tensor<2xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{format #mp.format<i8, per_tensor> needs scaling, which mp-materialize does not insert yet}}
  %0 = linalg.matvec {mp.format = #mp.format<i8, per_tensor>} ins(%m, %v : tensor<3x2xf32>, tensor<2xf32>) outs(%init : tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// The attention mask (1 - m) * -3.4028235e38: the constant stands in for -inf,
// so under f16 it is clamped to -65504 (remark) instead of becoming -inf, and
// 0 * -inf can no longer make a NaN.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @mask_in_payload
// CHECK: linalg.generic
// CHECK-SAME: rule = "follows-producers,clamps-mask-constant"
// CHECK-DAG: arith.constant -6.550400e+04 : f32
// CHECK-DAG: arith.constant 1.000000e+00 : f32
// CHECK-NOT: 3.40282347E+38
// CHECK: linalg.yield %{{.*}} : f16
func.func @mask_in_payload(%m: tensor<2x4xf32>, %x: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %lin = linalg.matmul ins(%m, %x : tensor<2x4xf32>, tensor<4x4xf32>) outs(%m : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %neg = arith.constant -3.40282347E+38 : f32
  // expected-remark @+1 {{payload constant holds 3.402823e+38, the extreme of a wider type standing in for infinity (a mask); it is clamped to +-6.550400e+04, the largest finite 'f16' value}}
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%lin : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %keep = arith.subf %one, %in : f32
    %bias = arith.mulf %keep, %neg : f32
    linalg.yield %bias : f32
  } -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A splat mask tensor is converted at compile time with the same clamp.
// CHECK-LABEL: func @mask_tensor
// CHECK: arith.constant dense<-6.550400e+04> : tensor<2x4xf16>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @mask_tensor(%s: tensor<2x4xf32>, %x: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %lin = linalg.matmul ins(%s, %x : tensor<2x4xf32>, tensor<4x4xf32>) outs(%s : tensor<2x4xf32>) -> tensor<2x4xf32>
  %mask = arith.constant dense<-3.40282347E+38> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  // expected-remark @+1 {{operand #1 holds 3.402823e+38, the extreme of a wider type standing in for infinity (a mask)}}
  %0 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%lin, %mask : tensor<2x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %sum = arith.addf %a, %b : f32
    linalg.yield %sum : f32
  } -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// A payload constant beyond f16 that is not an infinity stand-in keeps the op
// in f32.
#id3 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @large_scale
// CHECK: linalg.generic
// CHECK-SAME: format = <f32>, compute = f32, rule = "follows-producers,range-check:payload constant(max=1.000e+05)"
func.func @large_scale(%s: tensor<2x4xf32>, %x: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %lin = linalg.matmul ins(%s, %x : tensor<2x4xf32>, tensor<4x4xf32>) outs(%s : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  // expected-remark @+1 {{kept in f32: payload constant holds |x| = 1.000000e+05, beyond the largest finite 'f16' value 6.550400e+04 (range check)}}
  %0 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel"]}
      ins(%lin : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%a: f32, %out: f32):
    %c = arith.constant 1.0e+05 : f32
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// An embedding table read with tensor.extract, each value only stored: the
// table is converted at compile time (one rounding per value either way).
#emb_in = affine_map<(d0, d1) -> (d0)>
#emb_out = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @embedding
// CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<3x2xf16>
// CHECK: linalg.generic
// CHECK: tensor.extract %[[T]][%{{.*}}, %{{.*}}] : tensor<3x2xf16>
// CHECK-NEXT: linalg.yield %{{.*}} : f16
func.func @embedding(%ids: tensor<4xi64>, %s: tensor<4x2xf32>, %w: tensor<2x2xf32>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]> : tensor<3x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %lin = linalg.matmul ins(%s, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%s : tensor<4x2xf32>) -> tensor<4x2xf32>
  %0 = linalg.generic {indexing_maps = [#emb_in, #emb_out, #emb_out], iterator_types = ["parallel", "parallel"]}
      ins(%ids, %lin : tensor<4xi64>, tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%id: i64, %unused: f32, %out: f32):
    %row = arith.index_cast %id : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<3x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// An embedding lookup as torch-mlir writes it: integer ids in, values gathered
// from a constant table, no float operand. Its user stores f16, so the gather
// follows its consumer and the table is converted at compile time.
#ids = affine_map<(d0, d1) -> (d0)>
#out = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @embedding_lookup
// CHECK: %[[T:.*]] = arith.constant dense<{{.*}}> : tensor<3x2xf16>
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<4xi64>) outs(%{{.*}} : tensor<4x2xf16>)
// CHECK-SAME: class = data_movement, format = <f16>, compute = f32, rule = "follows-consumers"
// CHECK: tensor.extract %[[T]]
// CHECK: linalg.generic {{.*}} ins(%[[G]], %{{.*}} : tensor<4x2xf16>, tensor<4x2xf16>)
func.func @embedding_lookup(%ids: tensor<4xi64>, %pos: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]> : tensor<3x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %g = linalg.generic {indexing_maps = [#ids, #out], iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<4xi64>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%id: i64, %out: f32):
    %row = arith.index_cast %id : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<3x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  %sum = linalg.generic {indexing_maps = [#out, #out, #out], iterator_types = ["parallel", "parallel"]}
      ins(%g, %pos : tensor<4x2xf32>, tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %sum : tensor<4x2xf32>
}

// -----

// A gathered table with values beyond f16 keeps its op (and the table) in f32,
// with a remark, like any other constant the op reads.
#ids2 = affine_map<(d0, d1) -> (d0)>
#out2 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @embedding_too_wide
// CHECK: linalg.generic
// CHECK-SAME: format = <f32>, compute = f32, rule = "follows-producers,range-check:gathered table(max=1.000e+05)"
// CHECK: tensor.extract %{{.*}} : tensor<2x2xf32>
func.func @embedding_too_wide(%ids: tensor<4xi64>, %s: tensor<4x2xf32>, %w: tensor<2x2xf32>) -> tensor<4x2xf32> {
  %table = arith.constant dense<[[1.0e5, 0.2], [0.3, 0.4]]> : tensor<2x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %lin = linalg.matmul ins(%s, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%s : tensor<4x2xf32>) -> tensor<4x2xf32>
  // expected-remark @+1 {{kept in f32: gathered table holds |x| = 1.000000e+05, beyond the largest finite 'f16' value 6.550400e+04 (range check)}}
  %0 = linalg.generic {indexing_maps = [#ids2, #out2, #out2], iterator_types = ["parallel", "parallel"]}
      ins(%ids, %lin : tensor<4xi64>, tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%id: i64, %unused: f32, %out: f32):
    %row = arith.index_cast %id : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<2x2xf32>
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
