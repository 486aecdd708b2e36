// RUN: mp-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @identity
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: mp.cast
// CHECK: return %[[X]]
func.func @identity(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// f16 -> f32 -> f16 changes no value: folds to the input.
// CHECK-LABEL: func @exact_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<4xf16>)
// CHECK-NOT: mp.cast
// CHECK: return %[[X]]
func.func @exact_round_trip(%x: tensor<4xf16>) -> tensor<4xf16> {
  %0 = mp.cast %x : tensor<4xf16> to tensor<4xf32>
  %1 = mp.cast %0 : tensor<4xf32> to tensor<4xf16>
  return %1 : tensor<4xf16>
}

// -----

// f32 -> f16 -> f32 rounds: it must stay.
// CHECK-LABEL: func @lossy_round_trip
// CHECK: %[[N:.*]] = mp.cast %{{.*}} : tensor<4xf32> to tensor<4xf16>
// CHECK: %[[W:.*]] = mp.cast %[[N]] : tensor<4xf16> to tensor<4xf32>
// CHECK: return %[[W]]
func.func @lossy_round_trip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xf16>
  %1 = mp.cast %0 : tensor<4xf16> to tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// bf16 -> f32 -> f16: the first step is exact, so one cast bf16 -> f16 remains.
// CHECK-LABEL: func @merge_exact_chain
// CHECK-SAME: (%[[X:.*]]: tensor<4xbf16>)
// CHECK: %[[C:.*]] = mp.cast %[[X]] saturate : tensor<4xbf16> to tensor<4xf16>
// CHECK-NEXT: return %[[C]]
func.func @merge_exact_chain(%x: tensor<4xbf16>) -> tensor<4xf16> {
  %0 = mp.cast %x : tensor<4xbf16> to tensor<4xf32>
  %1 = mp.cast %0 saturate : tensor<4xf32> to tensor<4xf16>
  return %1 : tensor<4xf16>
}

// -----

// f32 -> bf16 -> f16 cannot merge: both steps round.
// CHECK-LABEL: func @no_merge_lossy_chain
// CHECK: mp.cast %{{.*}} : tensor<4xf32> to tensor<4xbf16>
// CHECK: mp.cast %{{.*}} : tensor<4xbf16> to tensor<4xf16>
func.func @no_merge_lossy_chain(%x: tensor<4xf32>) -> tensor<4xf16> {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xbf16>
  %1 = mp.cast %0 : tensor<4xbf16> to tensor<4xf16>
  return %1 : tensor<4xf16>
}

// -----

// Constants fold with the op's own rounding: 65520 overflows f16 to inf
// without saturation and clamps to 65504 with it; 1/3 rounds to nearest even.
// CHECK-LABEL: func @constants
// CHECK-DAG: arith.constant dense<[0x7C00, 6.550400e+04]> : tensor<2xf16>
// CHECK-DAG: arith.constant dense<6.550400e+04> : tensor<2xf16>
// CHECK-DAG: arith.constant dense<[3.332520e-01, 4.480000e+02]> : tensor<2xf16>
func.func @constants() -> (tensor<2xf16>, tensor<2xf16>, tensor<2xf16>) {
  %c = arith.constant dense<[65520.0, 65504.0]> : tensor<2xf32>
  %t = arith.constant dense<[0.333333333, 448.0]> : tensor<2xf32>
  %0 = mp.cast %c : tensor<2xf32> to tensor<2xf16>
  %1 = mp.cast %c saturate : tensor<2xf32> to tensor<2xf16>
  %2 = mp.cast %t : tensor<2xf32> to tensor<2xf16>
  return %0, %1, %2 : tensor<2xf16>, tensor<2xf16>, tensor<2xf16>
}

// -----

// fp8 constants: E4M3FN overflow without saturation is NaN, 464 ties to 448.
// CHECK-LABEL: func @fp8_constants
// CHECK: arith.constant dense<[4.480000e+02, 0x7F, 4.480000e+02]> : tensor<3xf8E4M3FN>
func.func @fp8_constants() -> tensor<3xf8E4M3FN> {
  %c = arith.constant dense<[464.0, 480.0, 448.0]> : tensor<3xf32>
  %0 = mp.cast %c : tensor<3xf32> to tensor<3xf8E4M3FN>
  return %0 : tensor<3xf8E4M3FN>
}
