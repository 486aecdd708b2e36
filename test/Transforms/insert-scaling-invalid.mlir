// Option errors name the option and the accepted values.
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{quantize=int3})" 2>&1 | FileCheck %s --check-prefix=MODE
// MODE: error: mp-insert-scaling: unknown quantize mode 'int3'; expected none, fp8, w8a8, w8a16 or w4a16
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{quantize=fp8 fp8-format=e3m4})" 2>&1 | FileCheck %s --check-prefix=FP8
// FP8: error: mp-insert-scaling: unknown fp8-format 'e3m4'; expected e4m3 or e5m2
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{quantize=w8a8 activation-scales=static})" 2>&1 | FileCheck %s --check-prefix=STATIC
// STATIC: error: mp-insert-scaling: activation-scales=static needs a calibration file (calibration=...)
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{quantize=w4a16 group-size=0})" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: error: mp-insert-scaling: group-size must be positive, not 0
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{quantize=w8a8 weight-granularity=per-row})" 2>&1 | FileCheck %s --check-prefix=WEIGHT
// WEIGHT: error: mp-insert-scaling: unknown weight-granularity 'per-row'; expected per-channel, per-tensor or per-group
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{quantize=fp8 weight-granularity=per-group})" 2>&1 | FileCheck %s --check-prefix=PERGROUP
// PERGROUP: error: mp-insert-scaling: weight-granularity=per-group applies to the weight-only modes w8a16 and w4a16
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{quantize=w8a8 asymmetric=true})" 2>&1 | FileCheck %s --check-prefix=ASYM
// ASYM: error: mp-insert-scaling: asymmetric applies to the weight-only modes w8a16 and w4a16 (fp8 and w8a8 products need symmetric operands)
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{quantize=w8a8 smooth-alpha=0.5})" 2>&1 | FileCheck %s --check-prefix=SMOOTH
// SMOOTH: error: mp-insert-scaling: smooth-alpha, outlier-threshold, bias-correction and gptq need a calibration
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-insert-scaling{calibration=%t.missing.json})" 2>&1 | FileCheck %s --check-prefix=CAL
// CAL: error: mp-insert-scaling: calibration file '{{.*}}missing.json'

// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-insert-scaling{quantize=w8a16 remarks=true})" -verify-diagnostics

// Weight-only quantization needs a constant weight; activation x activation
// products stay bf16, with the reason.
func.func @no_weight(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  // expected-remark @below {{mp-insert-scaling: w8a16 not applied: no operand is a constant weight (weight-only quantization)}}
  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %m : tensor<4x4xf32>
}

// -----

// A weight with an infinity is not quantized.
func.func @inf_weight(%a: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1.0, 0x7F800000], [2.0, 3.0]]> : tensor<2x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  // expected-remark @below {{mp-insert-scaling: w8a16 not applied: the weight has a non-finite value}}
  %m = linalg.matmul ins(%a, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%f : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %m : tensor<4x2xf32>
}
