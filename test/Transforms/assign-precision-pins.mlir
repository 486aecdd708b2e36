// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-assign-precision)" -verify-diagnostics -split-input-file


module {
  func.func @conflicting_pins(%a: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
    %0 = linalg.matmul ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
    %1 = mp.pin %0 {format = #mp.format<f32>} : tensor<4x4xf32>
    // expected-error @+1 {{conflicting pins on one value}}
    %2 = mp.pin %0 {format = #mp.format<f16>} : tensor<4x4xf32>
    return %1, %2 : tensor<4x4xf32>, tensor<4x4xf32>
  }
}

// -----

// A pin of a block argument cannot move a producer: warned, and ignored.
module {
  func.func @pin_argument(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
    // expected-warning @+1 {{pins a block argument; the pin has no effect on precision assignment}}
    %0 = mp.pin %a {format = #mp.format<f32>} : tensor<4x4xf32>
    return %0 : tensor<4x4xf32>
  }
}
