"""Writes a two-layer MLP (x W1 + b1, ReLU, then W2 + b2) with random weights
N(0, 1/sqrt(K)) as MLIR, for the quantization tests: unlike splat weights,
these have real per-channel ranges and quantization errors. The ReLU makes
the second layer's input mean positive, which is what bias correction acts on.

  python quant_mlp.py OUT.mlir [--tokens 64] [--hidden 256] [--ffn 512] [--seed 0]
                      [--q4-1-blocks 32]

With --q4-1-blocks B the weights are first put on a GGUF Q4_1-style grid:
each block of B values along the reduction becomes q * d + m (q in 0..15,
d = (max - min) / 15 and m = min rounded to f16, the sum rounded once in
f32), as a model shipped in Q4_1 and dequantized to f32 arrives.
"""
import argparse

import numpy as np


def num(v):
    text = f"{v:.9g}"
    return text if any(c in text for c in ".en") else text + ".0"  # a float literal


def dense(a):
    rows = ", ".join("[" + ", ".join(num(v) for v in row) + "]" for row in a)
    return f"dense<[{rows}]>"


def vector(a):
    return "dense<[" + ", ".join(num(v) for v in a) + "]>"


def q4_1_grid(w, block):
    """w (K, N) snapped per block of `block` rows of each column."""
    k, n = w.shape
    x = w.reshape(k // block, block, n)
    lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
    d = ((hi - lo) / 15).astype(np.float16).astype(np.float32)
    m = lo.astype(np.float16).astype(np.float32)
    d[d == 0] = 1
    q = np.clip(np.rint((x - m) / d), 0, 15).astype(np.float32)
    return (q * d + m).astype(np.float32).reshape(k, n)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--ffn", type=int, default=512)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--q4-1-blocks", type=int, default=0)
    a = p.parse_args()
    r = np.random.default_rng(a.seed)
    t, h, f = a.tokens, a.hidden, a.ffn
    w1 = (r.standard_normal((h, f)) / np.sqrt(h)).astype(np.float32)
    b1 = (0.1 * r.standard_normal(f)).astype(np.float32)
    w2 = (r.standard_normal((f, h)) / np.sqrt(f)).astype(np.float32)
    b2 = (0.1 * r.standard_normal(h)).astype(np.float32)
    if a.q4_1_blocks:
        w1, w2 = q4_1_grid(w1, a.q4_1_blocks), q4_1_grid(w2, a.q4_1_blocks)
    text = f"""#row = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @mlp(%x: tensor<{t}x{h}xf32>) -> tensor<{t}x{h}xf32> {{
  %zero = arith.constant 0.0 : f32
  %w1 = arith.constant {dense(w1)} : tensor<{h}x{f}xf32>
  %b1 = arith.constant {vector(b1)} : tensor<{f}xf32>
  %w2 = arith.constant {dense(w2)} : tensor<{f}x{h}xf32>
  %b2 = arith.constant {vector(b2)} : tensor<{h}xf32>
  %e1 = tensor.empty() : tensor<{t}x{f}xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<{t}x{f}xf32>) -> tensor<{t}x{f}xf32>
  %m1 = linalg.matmul {{mp.name = "fc1"}} ins(%x, %w1 : tensor<{t}x{h}xf32>, tensor<{h}x{f}xf32>) outs(%z1 : tensor<{t}x{f}xf32>) -> tensor<{t}x{f}xf32>
  %a1 = linalg.generic {{indexing_maps = [#row, #col, #row], iterator_types = ["parallel", "parallel"]}}
      ins(%m1, %b1 : tensor<{t}x{f}xf32>, tensor<{f}xf32>) outs(%e1 : tensor<{t}x{f}xf32>) attrs = {{mp.name = "act1"}} {{
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %b : f32
    %y = arith.maximumf %s, %zero : f32
    linalg.yield %y : f32
  }} -> tensor<{t}x{f}xf32>
  %e2 = tensor.empty() : tensor<{t}x{h}xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<{t}x{h}xf32>) -> tensor<{t}x{h}xf32>
  %m2 = linalg.matmul {{mp.name = "fc2"}} ins(%a1, %w2 : tensor<{t}x{f}xf32>, tensor<{f}x{h}xf32>) outs(%z2 : tensor<{t}x{h}xf32>) -> tensor<{t}x{h}xf32>
  %y = linalg.generic {{indexing_maps = [#row, #col, #row], iterator_types = ["parallel", "parallel"]}}
      ins(%m2, %b2 : tensor<{t}x{h}xf32>, tensor<{h}xf32>) outs(%e2 : tensor<{t}x{h}xf32>) {{
  ^bb0(%v: f32, %b: f32, %o: f32):
    %s = arith.addf %v, %b : f32
    linalg.yield %s : f32
  }} -> tensor<{t}x{h}xf32>
  return %y : tensor<{t}x{h}xf32>
}}
"""
    open(a.out, "w").write(text)


if __name__ == "__main__":
    main()
