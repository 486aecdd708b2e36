// RUN: mp-opt %s -mp-lower-to-arith -split-input-file | FileCheck %s

// A tensor cast becomes an elementwise linalg.generic; f16 rounds in f32
// (roundeven of the scaled magnitude) and is then truncated exactly.
// CHECK-LABEL: func @cast_f16
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %{{.*}}
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x8xf16>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[X]] : tensor<?x8xf32>) outs(%[[E]] : tensor<?x8xf16>)
// CHECK: math.roundeven
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT: mp.cast
func.func @cast_f16(%x: tensor<?x8xf32>) -> tensor<?x8xf16> {
  %0 = mp.cast %x : tensor<?x8xf32> to tensor<?x8xf16>
  return %0 : tensor<?x8xf16>
}

// -----

// Toward zero uses math.trunc; saturation selects the largest finite value.
// CHECK-LABEL: func @cast_fp8_tz_sat
// CHECK: linalg.generic
// CHECK: arith.constant 4.480000e+02 : f32
// CHECK: math.trunc
// CHECK: arith.select
// CHECK: arith.bitcast %{{.*}} : i8 to f8E4M3FN
func.func @cast_fp8_tz_sat(%x: tensor<4xf32>) -> tensor<4xf8E4M3FN> {
  %0 = mp.cast %x rounding(toward_zero) saturate : tensor<4xf32> to tensor<4xf8E4M3FN>
  return %0 : tensor<4xf8E4M3FN>
}

// -----

// Scalars need no linalg; widening is a plain extf.
// CHECK-LABEL: func @scalar
// CHECK-SAME: (%[[X:.*]]: f16)
// CHECK: %[[W:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK: return %[[W]]
func.func @scalar(%x: f16) -> f32 {
  %0 = mp.cast %x : f16 to f32
  return %0 : f32
}

// -----

// bf16 nearest-even from f32 is arith.truncf (exactly expanded later by
// arith-expand{include-bf16}).
// CHECK-LABEL: func @bf16
// CHECK: linalg.generic
// CHECK-NOT: math.roundeven
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @bf16(%x: tensor<4xf32>) -> tensor<4xbf16> {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

// Per-group scales are read through a floordiv map on the group axis.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[GROUP:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 8)>
// CHECK-LABEL: func @quantize_group
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[GROUP]], #[[ID]]]
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.fptosi %{{.*}} : f32 to i4
func.func @quantize_group(%w: tensor<16x32xf32>, %s: tensor<16x4xf32>) -> tensor<16x32xi4> {
  %0 = mp.quantize %w, %s {format = #mp.format<i4, per_group(axis = 1, size = 8)>} : (tensor<16x32xf32>, tensor<16x4xf32>) -> tensor<16x32xi4>
  return %0 : tensor<16x32xi4>
}

// -----

// Per-channel scales and zero points on axis 0; dequantize subtracts the
// zero point and multiplies.
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @dequantize_channel
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #{{.*}}]
// CHECK: arith.sitofp
// CHECK: arith.subf
// CHECK: arith.mulf
func.func @dequantize_channel(%q: tensor<16x32xi8>, %s: tensor<16xf32>, %z: tensor<16xi32>) -> tensor<16x32xf32> {
  %0 = mp.dequantize %q, %s zero_point %z {format = #mp.format<i8, per_channel(axis = 0)>} : (tensor<16x32xi8>, tensor<16xf32>, tensor<16xi32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

// amax: zero-filled accumulator, full reduction of maximumf(acc, |x|).
// CHECK-LABEL: func @amax
// CHECK: %[[Z:.*]] = linalg.fill
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]
// CHECK-SAME: outs(%[[Z]] : tensor<f32>)
// CHECK: math.absf
// CHECK: arith.maximumf
func.func @amax(%x: tensor<4x8xbf16>) -> tensor<f32> {
  %0 = mp.amax %x : tensor<4x8xbf16> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// pin is the identity at run time.
// CHECK-LABEL: func @pin
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @pin(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mp.pin %x {format = #mp.format<f32>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// arith casts to and from fp8 in the input are emulated too.
// CHECK-LABEL: func @arith_fp8
// CHECK-NOT: arith.truncf %{{.*}} : f32 to f8E5M2
// CHECK: arith.bitcast %{{.*}} : i8 to f8E5M2
// CHECK-NOT: arith.extf %{{.*}} : f8E5M2 to f32
// CHECK: return
func.func @arith_fp8(%x: f32) -> f32 {
  %0 = arith.truncf %x : f32 to f8E5M2
  %1 = arith.extf %0 : f8E5M2 to f32
  return %1 : f32
}
