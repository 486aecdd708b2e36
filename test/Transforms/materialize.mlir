// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-materialize)" \
// RUN:   -verify-diagnostics | FileCheck %s
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-materialize{keep-io-types})" \
// RUN:   -verify-diagnostics | FileCheck %s --check-prefix=KEEP

#id = affine_map<(d0, d1) -> (d0, d1)>

// A contraction takes bf16 inputs and an f32 accumulator; the weight is
// converted at compile time; the elementwise consumer is its epilogue: it
// reads the f32 accumulator as it is (no rounding in between) and rounds once
// at its yield; the argument used only as bf16 becomes bf16 (without
// keep-io-types).
// CHECK-LABEL: func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xbf16>, %[[INIT:.*]]: tensor<4x2xf32>) -> tensor<4x2xbf16>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<8x2xbf16>
// CHECK: %[[MM:.*]] = linalg.matmul {{.*}} ins(%[[X]], %[[W]] : tensor<4x8xbf16>, tensor<8x2xbf16>) outs(%[[INIT]] : tensor<4x2xf32>)
// CHECK-NOT: mp.cast %[[MM]]
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x2xbf16>
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[MM]] : tensor<4x2xf32>) outs(%[[E]] : tensor<4x2xbf16>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: bf16):
// CHECK: %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK: %[[NARROW:.*]] = mp.cast %[[NEG]] : f32 to bf16
// CHECK: linalg.yield %[[NARROW]] : bf16
// CHECK: return %[[G]] : tensor<4x2xbf16>

// With keep-io-types the signature stays f32: casts at the boundary.
// KEEP-LABEL: func @mlp
// KEEP-SAME: (%[[X:.*]]: tensor<4x8xf32>, %{{.*}}: tensor<4x2xf32>) -> tensor<4x2xf32>
// KEEP: mp.cast %[[X]] : tensor<4x8xf32> to tensor<4x8xbf16>
// KEEP: %[[OUT:.*]] = mp.cast %{{.*}} : tensor<4x2xbf16> to tensor<4x2xf32>
// KEEP: return %[[OUT]] : tensor<4x2xf32>
func.func @mlp(%x: tensor<4x8xf32>, %init: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [0.5, 0.25], [1.5, 2.5], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]]> : tensor<8x2xf32>
  %0 = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x2xf32>) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x2xf32>
  return %1 : tensor<4x2xf32>
}

// -----

// dense_resource weights are converted at compile time too.
// CHECK-LABEL: func @resource
// CHECK: %[[W:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xbf16>
// CHECK: linalg.matvec {{.*}} ins(%{{.*}}, %[[W]] : tensor<2x4xbf16>, tensor<4xbf16>)
func.func @resource(%m: tensor<2x4xf32>, %init: tensor<2xf32>) -> tensor<2xf32> {
  %w = arith.constant dense_resource<weights> : tensor<4xf32>
  %0 = linalg.matvec ins(%m, %w : tensor<2x4xf32>, tensor<4xf32>) outs(%init : tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// A sensitive op keeps f32: it reads the matmul's f32 accumulator as it is,
// without a round trip through bf16 (only bf16 consumers round it).
// CHECK-LABEL: func @sensitive_after_matmul
// CHECK: %[[MM:.*]] = linalg.matmul {{.*}} -> tensor<4x4xf32>
// CHECK-NOT: mp.cast %[[MM]]
// CHECK: linalg.softmax {{.*}} ins(%[[MM]] : tensor<4x4xf32>)
func.func @sensitive_after_matmul(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = linalg.matmul ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %1 = linalg.softmax dimension(1) ins(%0 : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %1 : tensor<4x4xf32>
}

// -----

// A contraction result with two readers is stored in bf16: each elementwise
// reader widens it exactly and rounds once.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @two_readers
// CHECK: %[[MM:.*]] = linalg.matmul
// CHECK: %[[R:.*]] = mp.cast %[[MM]] : tensor<4x2xf32> to tensor<4x2xbf16>
// CHECK: linalg.generic {{.*}} ins(%[[R]] : tensor<4x2xbf16>)
// CHECK: ^bb0(%[[IN:.*]]: bf16, %{{.*}}: bf16):
// CHECK: mp.cast %[[IN]] : bf16 to f32
func.func @two_readers(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>, %init: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %0 = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x2xf32>) outs(%init : tensor<4x2xf32>) -> tensor<4x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %1 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<4x2xf32>
  %2 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%0 : tensor<4x2xf32>) outs(%e : tensor<4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.mulf %in, %in : f32
    linalg.yield %n : f32
  } -> tensor<4x2xf32>
  return %1, %2 : tensor<4x2xf32>, tensor<4x2xf32>
}
