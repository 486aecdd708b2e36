func.func @huge(%x: tensor<100000000x100000xf32>) -> tensor<100000000x100000xf32> {
  return %x : tensor<100000000x100000xf32>
}
