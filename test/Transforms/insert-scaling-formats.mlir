// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16},mp-insert-scaling{remarks=true})" -verify-diagnostics | FileCheck %s

// Per-op quantization: a contraction whose decision names a quantized format
// (here the user's mp.format attribute; policy files and pins work alike) is
// quantized as that format says, whatever the policy. The scheme describes
// the weight: per_channel on an output dimension, per_group along the
// reduction (i4 only). Its follower takes the policy's elementwise format.

#row = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @per_op
func.func @per_op(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<64x8xf32>
  %w2 = arith.constant dense<0.25> : tensor<8x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x64xf8E5M2>, tensor<64x8xf8E5M2>)
  // CHECK-SAME: mp.scaling = "fp8: f8E5M2 x f8E5M2, f32 accumulation; activation scales dynamic per token, weight scales per channel"
  // expected-remark @below {{mp-insert-scaling: fp8: f8E5M2 x f8E5M2}}
  %m = linalg.matmul {mp.format = #mp.format<f8E5M2, per_channel(axis = 1), acc = f32>}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: linalg.generic {{.*}}mp.decision = #mp.decision<class = elementwise, format = <bf16>, compute = f32, rule = "follows-producers">
  %r = linalg.generic {indexing_maps = [#row, #row], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.maximumf %a, %z : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  // CHECK: linalg.generic {{.*}}tensor<2x32x8xi4>{{.*}}mp.scaling = "w4a16: i4 weights per group of 32 (f16 scales), bf16 activations, f32 accumulation"
  // expected-remark @below {{mp-insert-scaling: w4a16: i4 weights per group of 32}}
  %m2 = linalg.matmul {mp.format = #mp.format<i4, per_group(axis = 0, size = 32), acc = f32>}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  // A plain format leaves the contraction alone under a non-quantizing policy.
  // CHECK: linalg.matmul
  %m3 = linalg.matmul ins(%r, %w2 : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = arith.addf %m2, %m3 : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// A scheme the rewrite cannot honor is an error at the op (the decision asked
// for it, and nothing downstream could quantize it).
func.func @bad_axis(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<64x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  // expected-error @below {{mp-insert-scaling: cannot quantize as #mp.format<i8, per_channel(axis = 0), acc = i32>: per_channel(axis = 0) runs along the reduction; scales must vary over output channels}}
  %m = linalg.matmul {mp.format = #mp.format<i8, per_channel(axis = 0), acc = i32>}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %m : tensor<4x8xf32>
}

// -----

func.func @fp8_groups(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<64x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  // expected-error @below {{per_group scales are supported for weight-only i8/i4 weights (no quantized accumulator) along the reduction only}}
  %m = linalg.matmul {mp.format = #mp.format<f8E4M3FN, per_group(axis = 0, size = 32), acc = f32>}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %m : tensor<4x8xf32>
}

// -----

// i8 with an f32 accumulator is weight-only (w8a16); per_group works for it
// as for i4, and per_channel of an i8 op keeps one scale per output channel
// even when another op is grouped.
// CHECK-LABEL: func.func @int8_groups
func.func @int8_groups(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<64x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: linalg.generic {{.*}}tensor<4x16x8xi8>{{.*}}mp.scaling = "w8a16: i8 weights per group of 16 (f16 scales), bf16 activations, f32 accumulation"
  // expected-remark @below {{mp-insert-scaling: w8a16: i8 weights per group of 16}}
  %m = linalg.matmul {mp.format = #mp.format<i8, per_group(axis = 0, size = 16), acc = f32>}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: linalg.generic {{.*}}tensor<64x8xi8>{{.*}}mp.scaling = "w8a16: i8 weights per channel (f16 scales), bf16 activations, f32 accumulation"
  // expected-remark @below {{mp-insert-scaling: w8a16: i8 weights per channel}}
  %m2 = linalg.matmul {mp.format = #mp.format<i8, per_channel(axis = 1), acc = f32>}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = arith.addf %m, %m2 : tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}
