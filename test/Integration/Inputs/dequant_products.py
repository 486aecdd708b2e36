"""Writes the product forms mp-insert-scaling emits, with random constants and
f32/i32 results returned as they are (no final rounding to hide a changed
summation order), for comparing the CPU path's vectorized and scalar loops:
@w4_sym (i4 codes per group, f16 scales), @w4_asym (unsigned i4 codes, f16
scales and offsets), @w8 (i8 per channel), @w8a8 (i8 x i8 into i32).

  python dequant_products.py OUT.mlir [--m 6] [--k 64] [--n 48] [--group 32] [--seed 0]

Also writes the constants to OUT.npz for check_dequant_products.py.
"""
import argparse

import numpy as np


def literal(a, fmt):
    if a.ndim == 1:
        return "[" + ", ".join(fmt(v) for v in a) + "]"
    return "[" + ", ".join(literal(x, fmt) for x in a) + "]"


def floats(a):
    return literal(a, lambda v: f"{float(v):.9e}")


def ints(a):
    return literal(a, lambda v: str(int(v)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--m", type=int, default=6)
    p.add_argument("--k", type=int, default=64)
    p.add_argument("--n", type=int, default=48)
    p.add_argument("--group", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    r = np.random.default_rng(a.seed)
    m, k, n, g = a.m, a.k, a.n, a.group
    groups = k // g
    q4 = r.integers(-7, 8, (groups, g, n))
    u4 = r.integers(0, 16, (groups, g, n))
    u4_signless = np.where(u4 > 7, u4 - 16, u4)  # the i4 bit pattern, printed signed
    s4 = (r.uniform(0.01, 0.1, (groups, n))).astype(np.float16)
    m4 = (r.uniform(-0.5, 0.5, (groups, n))).astype(np.float16)
    q8 = r.integers(-127, 128, (k, n))
    s8 = (r.uniform(0.001, 0.01, n)).astype(np.float16)
    w8 = r.integers(-127, 128, (k, n))
    # The bf16 activation and the zero f32 accumulator every weight-only
    # function starts with (grouped: the activation split in (groups, g)).
    prologue = f"""  %xb = arith.truncf %x : tensor<{m}x{k}xf32> to tensor<{m}x{k}xbf16>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
"""
    grouped_prologue = prologue.replace("\n  %zero", f"""
  %xe = tensor.expand_shape %xb [[0], [1, 2]] output_shape [{m}, {groups}, {g}] : tensor<{m}x{k}xbf16> into tensor<{m}x{groups}x{g}xbf16>
  %zero""", 1)
    text = f"""#act3 = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#w3 = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
#s3 = affine_map<(d0, d1, d2, d3) -> (d2, d1)>
#o3 = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
#act2 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w2 = affine_map<(d0, d1, d2) -> (d2, d1)>
#s2 = affine_map<(d0, d1, d2) -> (d1)>
#o2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @w4_sym(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
  %q = arith.constant dense<{ints(q4)}> : tensor<{groups}x{g}x{n}xi4>
  %s = arith.constant dense<{floats(s4)}> : tensor<{groups}x{n}xf16>
{grouped_prologue}  %y = linalg.generic {{indexing_maps = [#act3, #w3, #s3, #o3], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}}
      ins(%xe, %q, %s : tensor<{m}x{groups}x{g}xbf16>, tensor<{groups}x{g}x{n}xi4>, tensor<{groups}x{n}xf16>) outs(%init : tensor<{m}x{n}xf32>) {{
  ^bb0(%a: bf16, %c: i4, %sc: f16, %o: f32):
    %af = arith.extf %a : bf16 to f32
    %cf = arith.sitofp %c : i4 to f32
    %sf = arith.extf %sc : f16 to f32
    %w = arith.mulf %cf, %sf : f32
    %p = arith.mulf %af, %w : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  }} -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}
func.func @w4_asym(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
  %q = arith.constant dense<{ints(u4_signless)}> : tensor<{groups}x{g}x{n}xi4>
  %s = arith.constant dense<{floats(s4)}> : tensor<{groups}x{n}xf16>
  %off = arith.constant dense<{floats(m4)}> : tensor<{groups}x{n}xf16>
{grouped_prologue}  %y = linalg.generic {{indexing_maps = [#act3, #w3, #s3, #s3, #o3], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}}
      ins(%xe, %q, %s, %off : tensor<{m}x{groups}x{g}xbf16>, tensor<{groups}x{g}x{n}xi4>, tensor<{groups}x{n}xf16>, tensor<{groups}x{n}xf16>) outs(%init : tensor<{m}x{n}xf32>) {{
  ^bb0(%a: bf16, %c: i4, %sc: f16, %mo: f16, %o: f32):
    %af = arith.extf %a : bf16 to f32
    %cf = arith.uitofp %c : i4 to f32
    %sf = arith.extf %sc : f16 to f32
    %ws = arith.mulf %cf, %sf : f32
    %mf = arith.extf %mo : f16 to f32
    %w = arith.addf %ws, %mf : f32
    %p = arith.mulf %af, %w : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  }} -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}
func.func @w8(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xf32> {{
  %q = arith.constant dense<{ints(q8)}> : tensor<{k}x{n}xi8>
  %s = arith.constant dense<{floats(s8)}> : tensor<{n}xf16>
{prologue}  %y = linalg.generic {{indexing_maps = [#act2, #w2, #s2, #o2], iterator_types = ["parallel", "parallel", "reduction"]}}
      ins(%xb, %q, %s : tensor<{m}x{k}xbf16>, tensor<{k}x{n}xi8>, tensor<{n}xf16>) outs(%init : tensor<{m}x{n}xf32>) {{
  ^bb0(%a: bf16, %c: i8, %sc: f16, %o: f32):
    %af = arith.extf %a : bf16 to f32
    %cf = arith.sitofp %c : i8 to f32
    %sf = arith.extf %sc : f16 to f32
    %w = arith.mulf %cf, %sf : f32
    %p = arith.mulf %af, %w : f32
    %r = arith.addf %o, %p : f32
    linalg.yield %r : f32
  }} -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}
func.func @w8a8(%x: tensor<{m}x{k}xf32>) -> tensor<{m}x{n}xi32> {{
  %w = arith.constant dense<{ints(w8)}> : tensor<{k}x{n}xi8>
  %xq = arith.fptosi %x : tensor<{m}x{k}xf32> to tensor<{m}x{k}xi8>
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{m}x{n}xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %y = linalg.generic {{indexing_maps = [#act2, #w2, #o2], iterator_types = ["parallel", "parallel", "reduction"]}}
      ins(%xq, %w : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%init : tensor<{m}x{n}xi32>) {{
  ^bb0(%a: i8, %b: i8, %o: i32):
    %ai = arith.extsi %a : i8 to i32
    %bi = arith.extsi %b : i8 to i32
    %p = arith.muli %ai, %bi : i32
    %r = arith.addi %o, %p : i32
    linalg.yield %r : i32
  }} -> tensor<{m}x{n}xi32>
  return %y : tensor<{m}x{n}xi32>
}}
"""
    open(a.out, "w").write(text)
    np.savez(a.out + ".npz", q4=q4, u4=u4, s4=s4, m4=m4, q8=q8, s8=s8, w8=w8, group=g)


if __name__ == "__main__":
    main()
