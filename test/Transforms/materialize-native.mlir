// Models that arrive in bf16 or f64: the decision's compute type holds in the
// rewritten payloads, whatever types the model came in.
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-materialize,mp-verify-decisions)" \
// RUN:   | FileCheck %s
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=f32},mp-materialize,mp-verify-decisions)" \
// RUN:   | FileCheck %s --check-prefix=F32
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16 narrow-f64},mp-materialize,mp-verify-decisions)" \
// RUN:   -verify-diagnostics -o /dev/null

#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>

// A bf16 contraction written with a bf16 accumulator: products of the bf16
// inputs are formed exactly in f32 and accumulated in f32; the init is f32.
// CHECK-LABEL: func @bf16_contraction
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x8xbf16>, tensor<8x2xbf16>) outs(%{{.*}} : tensor<4x2xf32>)
// CHECK-SAME: compute = f32, rule = "class-default:contraction"
// CHECK: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %[[O:.*]]: f32):
// CHECK-DAG: %[[XW:.*]] = mp.cast %[[X]] : bf16 to f32
// CHECK-DAG: %[[YW:.*]] = mp.cast %[[Y]] : bf16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[XW]], %[[YW]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[O]], %[[P]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: } -> tensor<4x2xf32>
// The result leaves in its storage type, rounded once.
// CHECK: %[[OUT:.*]] = mp.cast %[[ACC]] : tensor<4x2xf32> to tensor<4x2xbf16>
// CHECK: return %[[OUT]] : tensor<4x2xbf16>
// Under f32 the bf16 inputs are widened exactly and everything is f32.
// F32-LABEL: func @bf16_contraction
// F32: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x2xf32>)
// F32: arith.mulf %{{.*}}, %{{.*}} : f32
// F32-NEXT: arith.addf %{{.*}}, %{{.*}} : f32
func.func @bf16_contraction(%a: tensor<4x8xbf16>, %b: tensor<8x2xbf16>) -> tensor<4x2xbf16> {
  %zero = arith.constant 0.0 : bf16
  %e = tensor.empty() : tensor<4x2xbf16>
  %init = linalg.fill ins(%zero : bf16) outs(%e : tensor<4x2xbf16>) -> tensor<4x2xbf16>
  %0 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x8xbf16>, tensor<8x2xbf16>) outs(%init : tensor<4x2xbf16>) {
  ^bb0(%x: bf16, %y: bf16, %acc: bf16):
    %m = arith.mulf %x, %y : bf16
    %s = arith.addf %acc, %m : bf16
    linalg.yield %s : bf16
  } -> tensor<4x2xbf16>
  return %0 : tensor<4x2xbf16>
}

// -----

// A sensitive op of a bf16 model computes in f32: storage f32, math in f32.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @bf16_exp
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x4xf32>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK-SAME: class = sensitive, format = <f32>, compute = f32
// CHECK: math.exp %{{.*}} : f32
// CHECK-NOT: bf16
// CHECK: linalg.yield %{{.*}} : f32
func.func @bf16_exp(%a: tensor<2x4xbf16>) -> tensor<2x4xbf16> {
  %e = tensor.empty() : tensor<2x4xbf16>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<2x4xbf16>) outs(%e : tensor<2x4xbf16>) {
  ^bb0(%x: bf16, %o: bf16):
    %y = math.exp %x : bf16
    linalg.yield %y : bf16
  } -> tensor<2x4xbf16>
  return %0 : tensor<2x4xbf16>
}

// -----

// Explicit roundings the model wrote are kept (they are its semantics).
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @model_rounding
// CHECK: linalg.generic
// CHECK: %[[T:.*]] = mp.cast %{{.*}} : f32 to f16
// CHECK: mp.cast %[[T]] : f16 to f32
func.func @model_rounding(%a: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x4xf32> {
  %lin = linalg.matmul ins(%a, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%a : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %0 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%lin : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = arith.truncf %x : f32 to f16
    %w2 = arith.extf %t : f16 to f32
    %y = arith.addf %w2, %x : f32
    linalg.yield %y : f32
  } -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// f64 is never narrowed by default: the op keeps f64 (rule keep-f64) and the
// function is unchanged; with narrow-f64 each narrowing is a remark.
#row = affine_map<(d0, d1) -> (d0)>
#id3 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @f64_stats
// CHECK-SAME: (%{{.*}}: tensor<2x4xf64>) -> tensor<2xf64>
// CHECK: linalg.generic
// CHECK-SAME: format = <f64>, compute = f64, rule = "class-default:sensitive,keep-f64"
// CHECK: arith.addf %{{.*}}, %{{.*}} : f64
// CHECK-NOT: mp.cast
// F32-LABEL: func @f64_stats
// F32-SAME: (%{{.*}}: tensor<2x4xf64>) -> tensor<2xf64>
// F32-NOT: mp.cast
// F32: return
func.func @f64_stats(%a: tensor<2x4xf64>) -> tensor<2xf64> {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<2xf64>
  %init = linalg.fill ins(%zero : f64) outs(%e : tensor<2xf64>) -> tensor<2xf64>
  // expected-remark @+1 {{narrows 'f64' to 'f32' (narrow-f64 is set)}}
  %0 = linalg.generic {indexing_maps = [#id3, #row], iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<2x4xf64>) outs(%init : tensor<2xf64>) {
  ^bb0(%x: f64, %acc: f64):
    %s = arith.addf %acc, %x : f64
    linalg.yield %s : f64
  } -> tensor<2xf64>
  return %0 : tensor<2xf64>
}
