#!/usr/bin/env python3
"""Writes a BERT-style transformer encoder as f32 MLIR (func/linalg/tensor/arith/math).

Each layer: Q/K/V projections with bias, multi-head attention (batch_matmul,
scale, softmax written as max/exp/sum/divide generics), output projection,
residual, layer norm (mean, variance, rsqrt), GELU (tanh form) MLP, residual,
layer norm. Weights are constants: `random` (seeded, N(0, 0.02) like BERT's
initializer, stored as dense hex), or `splat` (one value each, small files for
BERT-base-sized graphs).

  gen-encoder.py --layers 12 --hidden 768 --heads 12 --seq 128 --ffn 3072 --weights splat
"""
import argparse
import math
import sys

import numpy as np


class Emitter:
    def __init__(self, rng, weights):
        self.lines = []
        self.n = 0
        self.rng = rng
        self.weights = weights

    def fresh(self, prefix="v"):
        self.n += 1
        return f"%{prefix}{self.n}"

    def emit(self, text):
        self.lines.append("    " + text)

    def const(self, shape, std, mean=0.0, name=None):
        t = f"tensor<{'x'.join(map(str, shape))}xf32>"
        v = self.fresh("w")
        if self.weights == "random":
            data = (self.rng.standard_normal(shape) * std + mean).astype(np.float32)
            lit = f'dense<"0x{data.tobytes().hex().upper()}">'
        else:
            lit = f"dense<{mean + std * self.rng.standard_normal():.6e}>"
        attr = f' {{mp.name = "{name}"}}' if name else ""
        self.emit(f"{v} = arith.constant{attr} {lit} : {t}")
        return v

    def empty(self, shape):
        v = self.fresh("e")
        self.emit(f"{v} = tensor.empty() : {ty(shape)}")
        return v

    def zeros(self, shape):
        e = self.empty(shape)
        v = self.fresh("z")
        self.emit(f"{v} = linalg.fill ins(%zero : f32) outs({e} : {ty(shape)}) -> {ty(shape)}")
        return v

    def generic(self, ins, out_shape, maps, iters, body, init=None, name=None):
        """ins: list of (value, shape); body: lines using %a0.. and %acc, returns yield value."""
        out = init if init is not None else self.empty(out_shape)
        v = self.fresh()
        map_str = ", ".join(maps)
        it = ", ".join(f'"{i}"' for i in iters)
        ins_vals = ", ".join(x for x, _ in ins)
        ins_types = ", ".join(ty(s) for _, s in ins)
        args = ", ".join(f"%a{i}: f32" for i in range(len(ins))) + ", %acc: f32"
        attr = f' attrs = {{mp.name = "{name}"}}' if name else ""
        self.emit(f"{v} = linalg.generic {{indexing_maps = [{map_str}], iterator_types = [{it}]}} "
                  f"ins({ins_vals} : {ins_types}) outs({out} : {ty(out_shape)}){attr} {{")
        self.emit(f"^bb0({args}):")
        result = body(self)
        self.emit(f"  linalg.yield {result} : f32")
        self.emit(f"}} -> {ty(out_shape)}")
        return v


def ty(shape):
    return f"tensor<{'x'.join(map(str, shape))}xf32>"


def amap(nd, dims):
    ds = ", ".join(f"d{i}" for i in range(nd))
    return f"affine_map<({ds}) -> ({', '.join(dims)})>"


def linear(e, x, s, din, dout, name):
    w = e.const([din, dout], 0.02, name=f"{name}.weight")
    b = e.const([dout], 0.02, name=f"{name}.bias")
    z = e.zeros([s, dout])
    mm = e.fresh()
    e.emit(f"{mm} = linalg.matmul ins({x}, {w} : {ty([s, din])}, {ty([din, dout])}) "
           f"outs({z} : {ty([s, dout])}) -> {ty([s, dout])}")

    def body(em):
        r = em.fresh("s")
        em.emit(f"  {r} = arith.addf %a0, %a1 : f32")
        return r
    return e.generic([(mm, [s, dout]), (b, [dout])], [s, dout],
                     [amap(2, ["d0", "d1"]), amap(2, ["d1"]), amap(2, ["d0", "d1"])],
                     ["parallel", "parallel"], body)


def layer_norm(e, x, s, h, name):
    gamma = e.const([h], 0.02, mean=1.0, name=f"{name}.gamma")
    beta = e.const([h], 0.02, name=f"{name}.beta")
    row = amap(2, ["d0"])
    full = amap(2, ["d0", "d1"])

    def add_acc(em):
        r = em.fresh("s")
        em.emit(f"  {r} = arith.addf %acc, %a0 : f32")
        return r
    total = e.generic([(x, [s, h])], [s], [full, row], ["parallel", "reduction"], add_acc,
                      init=e.zeros([s]))

    def center_sq(em):
        m = em.fresh("s")
        em.emit(f"  {m} = arith.mulf %a1, %inv_h : f32")
        d = em.fresh("s")
        em.emit(f"  {d} = arith.subf %a0, {m} : f32")
        q = em.fresh("s")
        em.emit(f"  {q} = arith.mulf {d}, {d} : f32")
        r = em.fresh("s")
        em.emit(f"  {r} = arith.addf %acc, {q} : f32")
        return r
    var = e.generic([(x, [s, h]), (total, [s])], [s], [full, row, row], ["parallel", "reduction"],
                    center_sq, init=e.zeros([s]))

    def normalize(em):
        m = em.fresh("s")
        em.emit(f"  {m} = arith.mulf %a1, %inv_h : f32")
        vv = em.fresh("s")
        em.emit(f"  {vv} = arith.mulf %a2, %inv_h : f32")
        ve = em.fresh("s")
        em.emit(f"  {ve} = arith.addf {vv}, %eps : f32")
        rs = em.fresh("s")
        em.emit(f"  {rs} = math.rsqrt {ve} : f32")
        d = em.fresh("s")
        em.emit(f"  {d} = arith.subf %a0, {m} : f32")
        n = em.fresh("s")
        em.emit(f"  {n} = arith.mulf {d}, {rs} : f32")
        g = em.fresh("s")
        em.emit(f"  {g} = arith.mulf {n}, %a3 : f32")
        r = em.fresh("s")
        em.emit(f"  {r} = arith.addf {g}, %a4 : f32")
        return r
    col = amap(2, ["d1"])
    return e.generic([(x, [s, h]), (total, [s]), (var, [s]), (gamma, [h]), (beta, [h])], [s, h],
                     [full, row, row, col, col, full], ["parallel", "parallel"], normalize,
                     name=f"{name}")


def attention(e, x, s, h, heads, name):
    dh = h // heads
    q = linear(e, x, s, h, h, f"{name}.query")
    k = linear(e, x, s, h, h, f"{name}.key")
    v = linear(e, x, s, h, h, f"{name}.value")

    def split(t, perm, out_shape):
        r = e.fresh()
        e.emit(f"{r} = tensor.expand_shape {t} [[0], [1, 2]] output_shape [{s}, {heads}, {dh}] "
               f": {ty([s, h])} into {ty([s, heads, dh])}")
        init = e.empty(out_shape)
        p = e.fresh()
        e.emit(f"{p} = linalg.transpose ins({r} : {ty([s, heads, dh])}) outs({init} : {ty(out_shape)}) "
               f"permutation = [{', '.join(map(str, perm))}]")
        return p
    qh = split(q, [1, 0, 2], [heads, s, dh])
    kt = split(k, [1, 2, 0], [heads, dh, s])
    vh = split(v, [1, 0, 2], [heads, s, dh])
    z = e.zeros([heads, s, s])
    scores = e.fresh()
    e.emit(f"{scores} = linalg.batch_matmul ins({qh}, {kt} : {ty([heads, s, dh])}, {ty([heads, dh, s])}) "
           f"outs({z} : {ty([heads, s, s])}) -> {ty([heads, s, s])}")
    f3 = amap(3, ["d0", "d1", "d2"])
    r3 = amap(3, ["d0", "d1"])

    def scale(em):
        r = em.fresh("s")
        em.emit(f"  {r} = arith.mulf %a0, %scale : f32")
        return r
    scaled = e.generic([(scores, [heads, s, s])], [heads, s, s], [f3, f3], ["parallel"] * 3, scale)
    minf = e.empty([heads, s])
    mx0 = e.fresh()
    e.emit(f"{mx0} = linalg.fill ins(%ninf : f32) outs({minf} : {ty([heads, s])}) -> {ty([heads, s])}")

    def rmax(em):
        r = em.fresh("s")
        em.emit(f"  {r} = arith.maximumf %acc, %a0 : f32")
        return r
    mx = e.generic([(scaled, [heads, s, s])], [heads, s], [f3, r3], ["parallel", "parallel", "reduction"],
                   rmax, init=mx0)

    def sub_exp(em):
        d = em.fresh("s")
        em.emit(f"  {d} = arith.subf %a0, %a1 : f32")
        r = em.fresh("s")
        em.emit(f"  {r} = math.exp {d} : f32")
        return r
    ex = e.generic([(scaled, [heads, s, s]), (mx, [heads, s])], [heads, s, s], [f3, r3, f3],
                   ["parallel"] * 3, sub_exp)

    def rsum(em):
        r = em.fresh("s")
        em.emit(f"  {r} = arith.addf %acc, %a0 : f32")
        return r
    sm = e.generic([(ex, [heads, s, s])], [heads, s], [f3, r3], ["parallel", "parallel", "reduction"],
                   rsum, init=e.zeros([heads, s]))

    def div(em):
        r = em.fresh("s")
        em.emit(f"  {r} = arith.divf %a0, %a1 : f32")
        return r
    probs = e.generic([(ex, [heads, s, s]), (sm, [heads, s])], [heads, s, s], [f3, r3, f3],
                      ["parallel"] * 3, div, name=f"{name}.softmax")
    z2 = e.zeros([heads, s, dh])
    ctx = e.fresh()
    e.emit(f"{ctx} = linalg.batch_matmul ins({probs}, {vh} : {ty([heads, s, s])}, {ty([heads, s, dh])}) "
           f"outs({z2} : {ty([heads, s, dh])}) -> {ty([heads, s, dh])}")
    init = e.empty([s, heads, dh])
    ctxt = e.fresh()
    e.emit(f"{ctxt} = linalg.transpose ins({ctx} : {ty([heads, s, dh])}) outs({init} : {ty([s, heads, dh])}) "
           f"permutation = [1, 0, 2]")
    merged = e.fresh()
    e.emit(f"{merged} = tensor.collapse_shape {ctxt} [[0], [1, 2]] : {ty([s, heads, dh])} into {ty([s, h])}")
    return linear(e, merged, s, h, h, f"{name}.output")


def residual(e, a, b, shape):
    full = amap(2, ["d0", "d1"])

    def add(em):
        r = em.fresh("s")
        em.emit(f"  {r} = arith.addf %a0, %a1 : f32")
        return r
    return e.generic([(a, shape), (b, shape)], shape, [full, full, full], ["parallel", "parallel"], add)


def gelu(e, x, shape):
    full = amap(2, ["d0", "d1"])

    def body(em):
        c = [em.fresh("s") for _ in range(8)]
        em.emit(f"  {c[0]} = arith.mulf %a0, %a0 : f32")
        em.emit(f"  {c[1]} = arith.mulf {c[0]}, %a0 : f32")
        em.emit(f"  {c[2]} = arith.mulf {c[1]}, %gelu_c : f32")
        em.emit(f"  {c[3]} = arith.addf %a0, {c[2]} : f32")
        em.emit(f"  {c[4]} = arith.mulf {c[3]}, %sqrt_2_pi : f32")
        em.emit(f"  {c[5]} = math.tanh {c[4]} : f32")
        em.emit(f"  {c[6]} = arith.addf {c[5]}, %one : f32")
        em.emit(f"  {c[7]} = arith.mulf {c[6]}, %a0 : f32")
        r = em.fresh("s")
        em.emit(f"  {r} = arith.mulf {c[7]}, %half : f32")
        return r
    return e.generic([(x, shape)], shape, [full, full], ["parallel", "parallel"], body)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seq", type=int, default=16)
    p.add_argument("--ffn", type=int, default=256)
    p.add_argument("--weights", choices=["random", "splat"], default="random")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default="encoder")
    p.add_argument("-o", "--output", default="-")
    a = p.parse_args()
    if a.hidden % a.heads:
        sys.exit("hidden must be a multiple of heads")
    e = Emitter(np.random.default_rng(a.seed), a.weights)
    s, h = a.seq, a.hidden
    consts = {"zero": 0.0, "ninf": "0xFF800000", "one": 1.0, "half": 0.5,
              "eps": 1e-12, "inv_h": 1.0 / h, "scale": 1.0 / math.sqrt(h // a.heads),
              "gelu_c": 0.044715, "sqrt_2_pi": math.sqrt(2.0 / math.pi)}
    for k, v in consts.items():
        lit = v if isinstance(v, str) else f"{v:.9e}"
        e.emit(f"%{k} = arith.constant {lit} : f32")
    x = "%input"
    for layer in range(a.layers):
        name = f"layer{layer}"
        attn = attention(e, x, s, h, a.heads, f"{name}.attention")
        x1 = layer_norm(e, residual(e, x, attn, [s, h]), s, h, f"{name}.attention.norm")
        up = gelu(e, linear(e, x1, s, h, a.ffn, f"{name}.ffn.up"), [s, a.ffn])
        down = linear(e, up, s, a.ffn, h, f"{name}.ffn.down")
        x = layer_norm(e, residual(e, x1, down, [s, h]), s, h, f"{name}.ffn.norm")
    header = (f"// Generated by scripts/gen-encoder.py --layers {a.layers} --hidden {h} --heads {a.heads} "
              f"--seq {s} --ffn {a.ffn} --weights {a.weights} --seed {a.seed}\n"
              f"func.func @{a.name}(%input: {ty([s, h])}) -> {ty([s, h])} {{\n")
    text = header + "\n".join(e.lines) + f"\n    return {x} : {ty([s, h])}\n}}\n"
    if a.output == "-":
        sys.stdout.write(text)
    else:
        with open(a.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
