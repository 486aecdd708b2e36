// RUN: mp-opt %s | FileCheck %s
// Round trip through the custom form, and through the generic form:
// RUN: mp-opt %s | mp-opt | FileCheck %s
// RUN: mp-opt %s --mlir-print-op-generic | mp-opt | FileCheck %s

// CHECK-LABEL: func @casts
func.func @casts(%x: tensor<4x8xf32>, %s: f32) -> (tensor<4x8xf16>, tensor<4x8xbf16>, tensor<4x8xf8E4M3FN>, tensor<4x8xf8E5M2>, f16) {
  // CHECK: mp.cast %{{.*}} : tensor<4x8xf32> to tensor<4x8xf16>
  %0 = mp.cast %x : tensor<4x8xf32> to tensor<4x8xf16>
  // CHECK: mp.cast %{{.*}} rounding(toward_zero) : tensor<4x8xf32> to tensor<4x8xbf16>
  %1 = mp.cast %x rounding(toward_zero) : tensor<4x8xf32> to tensor<4x8xbf16>
  // CHECK: mp.cast %{{.*}} saturate : tensor<4x8xf32> to tensor<4x8xf8E4M3FN>
  %2 = mp.cast %x saturate : tensor<4x8xf32> to tensor<4x8xf8E4M3FN>
  // CHECK: mp.cast %{{.*}} rounding(toward_zero) saturate : tensor<4x8xf32> to tensor<4x8xf8E5M2>
  %3 = mp.cast %x rounding(toward_zero) saturate : tensor<4x8xf32> to tensor<4x8xf8E5M2>
  // CHECK: mp.cast %{{.*}} : f32 to f16
  %4 = mp.cast %s : f32 to f16
  return %0, %1, %2, %3, %4 : tensor<4x8xf16>, tensor<4x8xbf16>, tensor<4x8xf8E4M3FN>, tensor<4x8xf8E5M2>, f16
}

// CHECK-LABEL: func @quantize
func.func @quantize(%w: tensor<64x32xf32>, %pc: tensor<64xf32>, %pt: tensor<f32>,
                    %pg: tensor<64x4xf32>, %zp: tensor<64xi32>) -> (tensor<64x32xi8>, tensor<64x32xf8E4M3FN>, tensor<64x32xi4>, tensor<64x32xf32>) {
  // CHECK: mp.quantize %{{.*}}, %{{.*}} zero_point %{{.*}} {format = #mp.format<i8, per_channel(axis = 0)>} : (tensor<64x32xf32>, tensor<64xf32>, tensor<64xi32>) -> tensor<64x32xi8>
  %0 = mp.quantize %w, %pc zero_point %zp {format = #mp.format<i8, per_channel(axis = 0)>} : (tensor<64x32xf32>, tensor<64xf32>, tensor<64xi32>) -> tensor<64x32xi8>
  // CHECK: mp.quantize %{{.*}}, %{{.*}} {format = #mp.format<f8E4M3FN, per_tensor, dynamic, acc = f32>}
  %1 = mp.quantize %w, %pt {format = #mp.format<f8E4M3FN, per_tensor, dynamic, acc = f32>} : (tensor<64x32xf32>, tensor<f32>) -> tensor<64x32xf8E4M3FN>
  // CHECK: mp.quantize %{{.*}}, %{{.*}} {format = #mp.format<i4, per_group(axis = 1, size = 8), acc = f32>}
  %2 = mp.quantize %w, %pg {format = #mp.format<i4, per_group(axis = 1, size = 8), acc = f32>} : (tensor<64x32xf32>, tensor<64x4xf32>) -> tensor<64x32xi4>
  // CHECK: mp.dequantize %{{.*}}, %{{.*}} {format = #mp.format<i4, per_group(axis = 1, size = 8)>} : (tensor<64x32xi4>, tensor<64x4xf32>) -> tensor<64x32xf32>
  %3 = mp.dequantize %2, %pg {format = #mp.format<i4, per_group(axis = 1, size = 8)>} : (tensor<64x32xi4>, tensor<64x4xf32>) -> tensor<64x32xf32>
  return %0, %1, %2, %3 : tensor<64x32xi8>, tensor<64x32xf8E4M3FN>, tensor<64x32xi4>, tensor<64x32xf32>
}

// CHECK-LABEL: func @pin_and_amax
// CHECK-SAME: mp.policy = #mp.policy<name = "bf16"
func.func @pin_and_amax(%x: tensor<?x8xbf16>) -> (tensor<?x8xbf16>, tensor<f32>) attributes {
    mp.policy = #mp.policy<name = "bf16", contraction = <bf16, acc = f32>, elementwise = <bf16>, sensitive = <f32>, overrides = {"softmax*" = #mp.format<f32>}>} {
  // CHECK: mp.pin %{{.*}} {format = #mp.format<f32>} : tensor<?x8xbf16>
  %0 = mp.pin %x {format = #mp.format<f32>} : tensor<?x8xbf16>
  // CHECK: mp.amax %{{.*}} : tensor<?x8xbf16> -> tensor<f32>
  %1 = mp.amax %x : tensor<?x8xbf16> -> tensor<f32>
  return %0, %1 : tensor<?x8xbf16>, tensor<f32>
}

// CHECK-LABEL: func @formats
// CHECK-SAME: a = #mp.format<tf32, acc = f32>
// CHECK-SAME: b = #mp.format<i8, per_tensor, acc = i32>
func.func @formats() attributes {a = #mp.format<tf32, acc = f32>, b = #mp.format<i8, per_tensor, static, acc = i32>} {
  return
}

// Decisions round-trip with every field; `forced` is printed only when set.
// CHECK-LABEL: func @decisions
// CHECK: linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>, compute = f32, rule = "class-default:contraction">}
// CHECK: mp.decision = #mp.decision<class = data_movement, format = <f64>, compute = f64, rule = "follows-producers,keep-f64">
// CHECK: mp.decision = #mp.decision<class = elementwise, format = <f16>, compute = f32, rule = "user-attribute", forced = true>
// CHECK-SAME: mp.format = #mp.format<f16>
// CHECK-SAME: mp.name = "mlp.act"
func.func @decisions(%a: tensor<4x4xbf16>, %d: tensor<4xf64>, %x: tensor<4xf32>, %acc: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<2x2xf64>, tensor<4xf32>) {
  %0 = linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>, compute = f32, rule = "class-default:contraction">}
      ins(%a, %a : tensor<4x4xbf16>, tensor<4x4xbf16>) outs(%acc : tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = tensor.expand_shape %d [[0, 1]] output_shape [2, 2] {mp.decision = #mp.decision<class = data_movement, format = <f64>, compute = f64, rule = "follows-producers,keep-f64", forced = false>} : tensor<4xf64> into tensor<2x2xf64>
  %2 = arith.negf %x {mp.decision = #mp.decision<class = elementwise, format = <f16>, compute = f32, rule = "user-attribute", forced = true>, mp.format = #mp.format<f16>, mp.name = "mlp.act"} : tensor<4xf32>
  return %0, %1, %2 : tensor<4x4xf32>, tensor<2x2xf64>, tensor<4xf32>
}
