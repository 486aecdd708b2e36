// A bf16 round trip: the reference rounds x to bf16; removing the round trip
// (mp-fold-casts{allow-excess-precision}) gives a candidate equal to x, whose
// error against the reference is known exactly.
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xbf16>
  %1 = mp.cast %0 : tensor<4xbf16> to tensor<4xf32>
  return %1 : tensor<4xf32>
}

func.func @two(%a: tensor<2x3xf32>, %b: tensor<3xi32>) -> tensor<2x3xf32> {
  %0 = arith.addf %a, %a {mp.name = "doubled"} : tensor<2x3xf32>
  %1 = arith.mulf %0, %a : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

func.func @traps(%x: tensor<4xf32>) -> tensor<4xf32> {
  %false = arith.constant false
  cf.assert %false, "deliberate failure"
  return %x : tensor<4xf32>
}

func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}

func.func @complex(%x: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  return %x : tensor<4xcomplex<f32>>
}

func.func @unlowerable(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mp.cast %x : tensor<4xf32> to tensor<4xf8E4M3FNUZ>
  %1 = mp.cast %0 : tensor<4xf8E4M3FNUZ> to tensor<4xf32>
  return %1 : tensor<4xf32>
}
