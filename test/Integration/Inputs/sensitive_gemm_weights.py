"""Writes sensitive_gemm with its second operand as a constant weight (the
b.npy of split_gemm.py inputs), for the compile-time split test.

  sensitive_gemm_weights.py DIR  -> DIR/gemm_weights.mlir
"""
import sys

import numpy as np

d = sys.argv[1]
b = np.load(f"{d}/b.npy")
hexdata = "0x" + b.astype("<f4").tobytes().hex().upper()
open(f"{d}/gemm_weights.mlir", "w").write(f"""func.func @gemm(%a: tensor<64x256xf32>) -> tensor<64x64xf32> {{
  %b = arith.constant dense<"{hexdata}"> : tensor<256x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %r = linalg.matmul {{mp.name = "proj"}} ins(%a, %b : tensor<64x256xf32>, tensor<256x64xf32>) outs(%f : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}}
""")
