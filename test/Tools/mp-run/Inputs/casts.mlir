// f32 -> bf16, f16, f8E4M3FN (saturating), f8E5M2, and bf16 input passed through.
func.func @casts(%x: tensor<65536xf32>, %b: tensor<8xbf16>) -> (tensor<65536xbf16>, tensor<65536xf16>, tensor<65536xf8E4M3FN>, tensor<65536xf8E5M2>, tensor<8xbf16>) {
  %0 = mp.cast %x : tensor<65536xf32> to tensor<65536xbf16>
  %1 = mp.cast %x : tensor<65536xf32> to tensor<65536xf16>
  %2 = mp.cast %x saturate : tensor<65536xf32> to tensor<65536xf8E4M3FN>
  %3 = mp.cast %x : tensor<65536xf32> to tensor<65536xf8E5M2>
  return %0, %1, %2, %3, %b : tensor<65536xbf16>, tensor<65536xf16>, tensor<65536xf8E4M3FN>, tensor<65536xf8E5M2>, tensor<8xbf16>
}
