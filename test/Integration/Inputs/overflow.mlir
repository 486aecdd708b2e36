// x @ W with W = 30000 (fits f16) and x = 1: every output is 120000, beyond
// f16's 65504. The next op halves it back into range.
func.func @f(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %c0 = arith.constant 0.0 : f32
  %w = arith.constant dense<30000.0> : tensor<4x4xf32>
  %e = tensor.empty() : tensor<4x4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %0 = linalg.matmul {mp.name = "big"} ins(%x, %w : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  %half = arith.constant dense<0.25> : tensor<4x4xf32>
  %1 = arith.mulf %0, %half : tensor<4x4xf32>
  return %1 : tensor<4x4xf32>
}
