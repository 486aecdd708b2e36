// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-insert-scaling{quantize=fp8},canonicalize)" | FileCheck %s --check-prefix=FP8
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-insert-scaling{quantize=w8a8 activation-granularity=per-tensor},canonicalize)" | FileCheck %s --check-prefix=W8A8
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-insert-scaling{quantize=w8a16},canonicalize)" | FileCheck %s --check-prefix=W8A16
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-insert-scaling{quantize=w4a16 group-size=32},canonicalize)" | FileCheck %s --check-prefix=W4A16
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=f32},mp-insert-scaling{quantize=fp8},canonicalize)" | FileCheck %s --check-prefix=F32

// Weights [[1, -2], [0.5, 4], [-1, 1], [0, -2]]: per output channel (column)
// amax 1 and 4, so scales amax/448 (fp8) or amax/127 (int8; f16 for w8a16).

// FP8-LABEL: func.func @linear
// FP8-DAG:   %[[WS:.*]] = arith.constant dense<[0.00223214296, 0.00892857183]> : tensor<2xf32>
// FP8-DAG:   %[[WQ:.*]] = arith.constant dense<{{\[\[}}4.480000e+02, -2.240000e+02], [2.240000e+02, 4.480000e+02], [-4.480000e+02, 1.120000e+02], [0.000000e+00, -2.240000e+02]]> : tensor<4x2xf8E4M3FN>
// FP8:       %[[AMAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg0 : tensor<3x4xf32>) {{.*}}mp.scaling = "fp8 activation scales"
// FP8:         math.absf
// FP8:         arith.maximumf
// FP8:       %[[S:.*]] = linalg.generic {{.*}} ins(%[[AMAX]] : tensor<3xf32>)
// FP8:         arith.divf
// FP8:       %[[Q:.*]] = linalg.generic {{.*}} ins(%arg0, %[[S]] : tensor<3x4xf32>, tensor<3xf32>)
// FP8:         arith.truncf {{.*}} : f32 to f8E4M3FN
// FP8:       %[[ACC:.*]] = linalg.generic {{.*}} ins(%[[Q]], %[[WQ]] : tensor<3x4xf8E4M3FN>, tensor<4x2xf8E4M3FN>) {{.*}}mp.scaling = "fp8: f8E4M3FN x f8E4M3FN, f32 accumulation; activation scales dynamic per token, weight scales per channel"
// FP8:         arith.extf {{.*}} : f8E4M3FN to f32
// FP8:       %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %[[S]], %[[WS]] : tensor<3x2xf32>, tensor<3xf32>, tensor<2xf32>)
// FP8:       return %[[OUT]]

// W8A8-LABEL: func.func @linear
// W8A8-DAG:   arith.constant dense<{{\[\[}}127, -64], [64, 127], [-127, 32], [0, -64]]> : tensor<4x2xi8>
// W8A8:       %[[AMAX:.*]] = mp.amax %arg0 {mp.scaling = "w8a8 activation scales"} : tensor<3x4xf32> -> tensor<f32>
// W8A8:       math.roundeven
// W8A8:       arith.fptosi {{.*}} : f32 to i8
// W8A8:       linalg.generic {{.*}} outs(%{{.*}} : tensor<3x2xi32>) {{.*}}i32 accumulation; activation scales dynamic per tensor
// W8A8:         arith.extsi
// W8A8:         arith.muli
// W8A8:         arith.addi
// W8A8:       arith.sitofp {{.*}} : i32 to f32

// W8A16-LABEL: func.func @linear
// W8A16-DAG:   %[[S:.*]] = arith.constant dense<[7.873530e-03, 3.149410e-02]> : tensor<2xf16>
// W8A16-DAG:   %[[Q:.*]] = arith.constant dense<{{\[\[}}127, -64], [64, 127], [-127, 32], [0, -64]]> : tensor<4x2xi8>
// W8A16:       %[[A:.*]] = mp.cast %arg0 : tensor<3x4xf32> to tensor<3x4xbf16>
// W8A16:       linalg.generic {{.*}} ins(%[[A]], %[[Q]], %[[S]] : tensor<3x4xbf16>, tensor<4x2xi8>, tensor<2xf16>) {{.*}}mp.scaling = "w8a16: i8 weights per channel (f16 scales), bf16 activations, f32 accumulation"
// W8A16:         arith.sitofp {{.*}} : i8 to f32
// W8A16:         arith.extf {{.*}} : f16 to f32
// W8A16-NOT:   linalg.matmul

// F32-LABEL: func.func @linear
// F32:       linalg.matmul
// F32-NOT:   mp.scaling
func.func @linear(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, -2.0], [0.5, 4.0], [-1.0, 1.0], [0.0, -2.0]]> : tensor<4x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %m = linalg.matmul ins(%x, %w : tensor<3x4xf32>, tensor<4x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %m : tensor<3x2xf32>
}

// -----

// int4 per group of 32 along K = 64: the reduction splits into (group, i),
// the activation is expanded to match, one f16 scale per (group, column).

// W4A16-LABEL: func.func @grouped
// W4A16-DAG:   %[[S:.*]] = arith.constant {{.*}} : tensor<2x8xf16>
// W4A16-DAG:   %[[Q:.*]] = arith.constant {{.*}} : tensor<2x32x8xi4>
// W4A16:       %[[A:.*]] = mp.cast %arg0 : tensor<4x64xf32> to tensor<4x64xbf16>
// W4A16:       %[[E:.*]] = tensor.expand_shape %[[A]] {{\[\[}}0], [1, 2]] output_shape [4, 2, 32]
// W4A16:       linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[E]], %[[Q]], %[[S]] : tensor<4x2x32xbf16>, tensor<2x32x8xi4>, tensor<2x8xf16>)
// W4A16-SAME:    mp.scaling = "w4a16: i4 weights per group of 32 (f16 scales), bf16 activations, f32 accumulation"
// W4A16:         arith.sitofp {{.*}} : i4 to f32
func.func @grouped(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.25> : tensor<64x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = linalg.matmul ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %m : tensor<4x8xf32>
}

// -----

// A non-zero accumulator (a bias folded into the init) is added back after
// the scales.

// FP8-LABEL: func.func @bias_init
// FP8:       %[[ACC:.*]] = linalg.generic {{.*}}f32 accumulation
// FP8:       linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %{{.*}}, %arg1 : tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2x2xf32>)
// FP8:         arith.mulf
// FP8:         arith.mulf
// FP8:         arith.addf
func.func @bias_init(%x: tensor<2x3xf32>, %b: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %m = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%b : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %m : tensor<2x2xf32>
}
