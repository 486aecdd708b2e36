// An entry called by a driver function, as in corpus tests that print.
func.func @main() {
  %x = arith.constant dense<1.0> : tensor<4xf32>
  %y = call @f(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return
}
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %0 = linalg.add {mp.name = "twice"} ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
