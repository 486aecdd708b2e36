// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-mixed-precision{policy=w4a16 group-size=32})" | FileCheck %s

// The reduction size 48 is not a multiple of the group size 32: the weights
// are quantized in groups of 24, its largest divisor below 32 (two groups per
// output channel: a 2x4 scale tensor).
// CHECK-LABEL: func.func @linear
// CHECK: arith.constant {{.*}} : tensor<2x4xf16>
// CHECK: linalg.generic {{.*}}mp.scaling = "w4a16: i4 weights per group of 24 (f16 scales), bf16 activations, f32 accumulation"
func.func @linear(%x: tensor<3x48xf32>) -> tensor<3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<48x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x4xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x48xf32>, tensor<48x4xf32>) outs(%c : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
