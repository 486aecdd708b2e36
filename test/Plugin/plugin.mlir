// The stock mlir-opt loads mp as plugins: the dialect parses, and the passes
// and pipelines run through --pass-pipeline.
// RUN: %mlir_opt %s --load-dialect-plugin=%mp_lib/MPDialectPlugin.so \
// RUN:   --load-pass-plugin=%mp_lib/MPPassPlugin.so \
// RUN:   --pass-pipeline="builtin.module(func.func(mp-fold-casts),mp-lower-to-arith)" \
// RUN:   | FileCheck %s
// RUN: %mlir_opt %s --load-dialect-plugin=%mp_lib/MPDialectPlugin.so \
// RUN:   --load-pass-plugin=%mp_lib/MPPassPlugin.so | FileCheck %s --check-prefix=PARSE
// RUN: %mlir_opt %s --load-dialect-plugin=%mp_lib/MPDialectPlugin.so \
// RUN:   --load-pass-plugin=%mp_lib/MPPassPlugin.so \
// RUN:   --pass-pipeline="builtin.module(mp-cpu-lowering)" | FileCheck %s --check-prefix=LLVM

// PARSE-LABEL: func @round_trip
// PARSE: mp.cast %{{.*}} : tensor<4xf32> to tensor<4xf16>
// PARSE: mp.cast %{{.*}} : tensor<4xf16> to tensor<4xf32>
// PARSE: mp.cast %{{.*}} : tensor<4xf32> to tensor<4xf16>

// mp-fold-casts removed the exact round trip f16 -> f32 -> f16 and
// mp-lower-to-arith lowered the remaining cast.
// CHECK-LABEL: func @round_trip
// CHECK-NOT: mp.
// CHECK: linalg.generic
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT: mp.

// LLVM-LABEL: llvm.func @round_trip
func.func @round_trip(%x: tensor<4xf32>) -> tensor<4xf16> {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xf16>
  %1 = mp.cast %0 : tensor<4xf16> to tensor<4xf32>
  %2 = mp.cast %1 : tensor<4xf32> to tensor<4xf16>
  return %2 : tensor<4xf16>
}
