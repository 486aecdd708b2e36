// RUN: mp-opt %s -mp-lower-to-arith -split-input-file -verify-diagnostics

func.func @fnuz(%x: tensor<4xf32>) -> tensor<4xf8E4M3FNUZ> {
  // expected-error @+1 {{'mp.cast' op cannot be lowered exactly on the CPU: element type 'f8E4M3FNUZ' is not one of f64, f32, f16, bf16, f8E4M3FN, f8E5M2}}
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xf8E4M3FNUZ>
  return %0 : tensor<4xf8E4M3FNUZ>
}

