// x in [-1, 1]: y = (x * x) . W, W = 0.125, K = 256 (mp-error-bounds tests).
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @eb(%x: tensor<16x256xf32> {mp.range = [-1.0, 1.0]}) -> tensor<16x64xf32> {
  %w = arith.constant dense<0.125> : tensor<256x64xf32>
  %e = tensor.empty() : tensor<16x256xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x256xf32>) outs(%e : tensor<16x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<16x256xf32>
  %z = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<16x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e2 : tensor<16x64xf32>) -> tensor<16x64xf32>
  %m = linalg.matmul ins(%sq, %w : tensor<16x256xf32>, tensor<256x64xf32>) outs(%f : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %m : tensor<16x64xf32>
}
