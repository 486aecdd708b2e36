#!/usr/bin/env python3
"""A Llama-shaped decoder block as MLIR, and its float64 reference in numpy.

The block (one layer, no rotary embedding):
    h   = x + Wo . attention(rmsnorm(x, g1) . {Wq, Wk, Wv}), causal, softmax
    out = h + Wd . (silu(rmsnorm(h, g2) . Wg) * (rmsnorm(h, g2) . Wu))
written in one element type throughout (--dtype bf16|f16|f32|f64), the way a
naive export of a checkpoint in that type computes: contractions accumulate
in it (bf16 inits), norm statistics and softmax run in it, the causal mask is
finfo(dtype).min. Weights are seeded (numpy), rounded to bf16 so that every
dtype holds the same values, embedded as hex constants, and saved with the
input to an .npz that the float64 reference reads.

    gen-decoder.py -o block.mlir --npz block.npz [--dtype bf16] [--seq 16]
                   [--hidden 64] [--heads 4] [--ffn 176] [--seed 0]
    gen-decoder.py --reference block.npz -o ref.npy     # float64 reference
"""
import argparse

import ml_dtypes
import numpy as np

NP_TYPES = {"bf16": ml_dtypes.bfloat16, "f16": np.float16, "f32": np.float32, "f64": np.float64}
EPS = 1e-5


def hex_constant(values, mlir_type):
    """A dense<"0x..."> literal: little-endian bytes in row-major order."""
    return f'dense<"0x{values.tobytes().hex().upper()}"> : {mlir_type}'


class Writer:
    def __init__(self, t):
        self.t = t
        self.lines = []
        self.count = 0

    def fresh(self, hint="v"):
        self.count += 1
        return f"%{hint}{self.count}"

    def emit(self, line):
        self.lines.append("    " + line)

    def tensor(self, *shape):
        return f"tensor<{'x'.join(map(str, shape))}x{self.t}>"

    def empty(self, *shape):
        v = self.fresh("e")
        self.emit(f"{v} = tensor.empty() : {self.tensor(*shape)}")
        return v

    def filled(self, value, *shape):
        v = self.fresh("z")
        self.emit(f"{v} = linalg.fill ins({value} : {self.t}) outs({self.empty(*shape)} : "
                  f"{self.tensor(*shape)}) -> {self.tensor(*shape)}")
        return v

    def generic(self, ins, in_types, maps, out_shape, iters, body, init=None, name=None,
                result="%r"):
        """body: lines using %a0.. for inputs and %o for the init; yields `result`."""
        out_type = self.tensor(*out_shape)
        init = init or self.empty(*out_shape)
        v = self.fresh("g")
        loc = f' loc("{name}")' if name else ""
        args = ", ".join(f"%a{i}: {self.t}" for i in range(len(ins))) + f", %o: {self.t}"
        self.emit(f"{v} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = "
                  f"[{', '.join(repr(i).replace(chr(39), chr(34)) for i in iters)}]}} "
                  f"ins({', '.join(ins)} : {', '.join(in_types)}) outs({init} : {out_type}) {{")
        self.emit(f"^bb0({args}):")
        for line in body:
            self.emit("  " + line)
        self.emit(f"  linalg.yield {result} : {self.t}")
        self.emit(f"}} -> {out_type}{loc}")
        return v

    def matmul(self, a, b, m, k, n, name):
        z = self.filled("%zero", m, n)
        v = self.fresh("mm")
        self.emit(f"{v} = linalg.matmul ins({a}, {b} : {self.tensor(m, k)}, {self.tensor(k, n)}) "
                  f"outs({z} : {self.tensor(m, n)}) -> {self.tensor(m, n)} loc(\"{name}\")")
        return v

    def batch_matmul(self, a, b, bsz, m, k, n, name):
        z = self.filled("%zero", bsz, m, n)
        v = self.fresh("bmm")
        self.emit(f"{v} = linalg.batch_matmul ins({a}, {b} : {self.tensor(bsz, m, k)}, "
                  f"{self.tensor(bsz, k, n)}) outs({z} : {self.tensor(bsz, m, n)}) -> "
                  f"{self.tensor(bsz, m, n)} loc(\"{name}\")")
        return v


def make_weights(seq, hidden, heads, ffn, seed):
    rng = np.random.default_rng(seed)
    bf = lambda a: a.astype(ml_dtypes.bfloat16).astype(np.float64)
    w = {
        "x": bf(rng.standard_normal((seq, hidden))),
        "g1": bf(1 + 0.1 * rng.standard_normal(hidden)),
        "g2": bf(1 + 0.1 * rng.standard_normal(hidden)),
    }
    for name, shape in [("wq", (hidden, hidden)), ("wk", (hidden, hidden)),
                        ("wv", (hidden, hidden)), ("wo", (hidden, hidden)),
                        ("wg", (hidden, ffn)), ("wu", (hidden, ffn)), ("wd", (ffn, hidden))]:
        w[name] = bf(rng.standard_normal(shape) / np.sqrt(shape[0]))
    return w


def rmsnorm_ir(wr, x, g, seq, hidden, name):
    sq = wr.generic([x], [wr.tensor(seq, hidden)], ["#sh", "#s"], (seq,),
                    ["parallel", "reduction"],
                    ["%m = arith.mulf %a0, %a0 : T", "%r = arith.addf %o, %m : T"],
                    init=wr.filled("%zero", seq), name=name + ".sumsq")
    return wr.generic([x, sq, g], [wr.tensor(seq, hidden), wr.tensor(seq), wr.tensor(hidden)],
                      ["#sh", "#s", "#h", "#sh"], (seq, hidden), ["parallel", "parallel"],
                      ["%mean = arith.divf %a1, %hidden : T", "%e = arith.addf %mean, %eps : T",
                       "%rs = math.rsqrt %e : T", "%t = arith.mulf %a0, %rs : T",
                       "%r = arith.mulf %t, %a2 : T"], name=name)


def generate(args):
    t, seq, hidden, heads, ffn = args.dtype, args.seq, args.hidden, args.heads, args.ffn
    d = hidden // heads
    w = make_weights(seq, hidden, heads, ffn, args.seed)
    npt = NP_TYPES[t]
    wr = Writer(t)
    out = []
    out.append(f"// Llama-shaped decoder block in {t} (scripts/gen-decoder.py --dtype {t} --seq {seq} "
               f"--hidden {hidden} --heads {heads} --ffn {ffn} --seed {args.seed})")
    for alias, m in [("#sh", "(d0, d1) -> (d0, d1)"), ("#s", "(d0, d1) -> (d0)"),
                     ("#h", "(d0, d1) -> (d1)"), ("#id3", "(d0, d1, d2) -> (d0, d1, d2)"),
                     ("#swap01", "(d0, d1, d2) -> (d1, d0, d2)"),
                     ("#kt", "(d0, d1, d2) -> (d2, d0, d1)"), ("#hs", "(d0, d1, d2) -> (d0, d1)"),
                     ("#mask", "(d0, d1, d2) -> (d1, d2)")]:
        out.append(f"{alias} = affine_map<{m}>")
    out.append(f"func.func @decoder(%x: {wr.tensor(seq, hidden)}) -> {wr.tensor(seq, hidden)} {{")
    wr.emit(f"%zero = arith.constant 0.0 : {t}")
    wr.emit(f"%one = arith.constant 1.0 : {t}")
    wr.emit(f"%hidden = arith.constant {float(hidden)} : {t}")
    wr.emit(f"%eps = arith.constant {EPS:.8e} : {t}")
    wr.emit(f"%scale = arith.constant {1 / np.sqrt(d):.8e} : {t}")
    lowest = float(ml_dtypes.finfo(npt).min)
    wr.emit(f"%neginf = arith.constant 0x{np.array(-np.inf, npt).tobytes()[::-1].hex().upper()} : {t}")
    mask = np.where(np.tril(np.ones((seq, seq))) > 0, 0.0, lowest).astype(npt)
    wr.emit(f"%mask = arith.constant {hex_constant(mask, wr.tensor(seq, seq))}")
    for name in ["g1", "g2", "wq", "wk", "wv", "wo", "wg", "wu", "wd"]:
        wr.emit(f"%{name} = arith.constant {hex_constant(w[name].astype(npt), wr.tensor(*w[name].shape))}")

    y = rmsnorm_ir(wr, "%x", "%g1", seq, hidden, "attn_norm")
    q = wr.matmul(y, "%wq", seq, hidden, hidden, "q_proj")
    k = wr.matmul(y, "%wk", seq, hidden, hidden, "k_proj")
    v = wr.matmul(y, "%wv", seq, hidden, hidden, "v_proj")

    def heads_first(value, name):
        e = wr.fresh("x")
        wr.emit(f"{e} = tensor.expand_shape {value} [[0], [1, 2]] output_shape [{seq}, {heads}, {d}] "
                f": {wr.tensor(seq, hidden)} into {wr.tensor(seq, heads, d)}")
        return wr.generic([e], [wr.tensor(seq, heads, d)], ["#swap01", "#id3"], (heads, seq, d),
                          ["parallel"] * 3, [], name=name, result="%a0")

    qh = heads_first(q, "q_heads")
    vh = heads_first(v, "v_heads")
    ke = wr.fresh("x")
    wr.emit(f"{ke} = tensor.expand_shape {k} [[0], [1, 2]] output_shape [{seq}, {heads}, {d}] "
            f": {wr.tensor(seq, hidden)} into {wr.tensor(seq, heads, d)}")
    kt = wr.generic([ke], [wr.tensor(seq, heads, d)], ["#kt", "#id3"], (heads, d, seq),
                    ["parallel"] * 3, [], name="k_transposed", result="%a0")
    scores = wr.batch_matmul(qh, kt, heads, seq, d, seq, "scores")
    masked = wr.generic([scores, "%mask"], [wr.tensor(heads, seq, seq), wr.tensor(seq, seq)],
                        ["#id3", "#mask", "#id3"], (heads, seq, seq), ["parallel"] * 3,
                        ["%s = arith.mulf %a0, %scale : T", "%r = arith.addf %s, %a1 : T"],
                        name="scores_masked")
    mx = wr.generic([masked], [wr.tensor(heads, seq, seq)], ["#id3", "#hs"], (heads, seq),
                    ["parallel", "parallel", "reduction"], ["%r = arith.maximumf %o, %a0 : T"],
                    init=wr.filled("%neginf", heads, seq), name="softmax_max")
    ex = wr.generic([masked, mx], [wr.tensor(heads, seq, seq), wr.tensor(heads, seq)],
                    ["#id3", "#hs", "#id3"], (heads, seq, seq), ["parallel"] * 3,
                    ["%s = arith.subf %a0, %a1 : T", "%r = math.exp %s : T"], name="softmax_exp")
    sm = wr.generic([ex], [wr.tensor(heads, seq, seq)], ["#id3", "#hs"], (heads, seq),
                    ["parallel", "parallel", "reduction"], ["%r = arith.addf %o, %a0 : T"],
                    init=wr.filled("%zero", heads, seq), name="softmax_sum")
    p = wr.generic([ex, sm], [wr.tensor(heads, seq, seq), wr.tensor(heads, seq)],
                   ["#id3", "#hs", "#id3"], (heads, seq, seq), ["parallel"] * 3,
                   ["%r = arith.divf %a0, %a1 : T"], name="softmax")
    ctx = wr.batch_matmul(p, vh, heads, seq, seq, d, "context")
    back = wr.generic([ctx], [wr.tensor(heads, seq, d)], ["#swap01", "#id3"], (seq, heads, d),
                      ["parallel"] * 3, [], name="context_tokens", result="%a0")
    flat = wr.fresh("c")
    wr.emit(f"{flat} = tensor.collapse_shape {back} [[0], [1, 2]] : {wr.tensor(seq, heads, d)} "
            f"into {wr.tensor(seq, hidden)}")
    o = wr.matmul(flat, "%wo", seq, hidden, hidden, "o_proj")
    h = wr.generic(["%x", o], [wr.tensor(seq, hidden)] * 2, ["#sh", "#sh", "#sh"], (seq, hidden),
                   ["parallel", "parallel"], ["%r = arith.addf %a0, %a1 : T"], name="attn_residual")
    y2 = rmsnorm_ir(wr, h, "%g2", seq, hidden, "mlp_norm")
    gate = wr.matmul(y2, "%wg", seq, hidden, ffn, "gate_proj")
    up = wr.matmul(y2, "%wu", seq, hidden, ffn, "up_proj")
    act = wr.generic([gate, up], [wr.tensor(seq, ffn)] * 2, ["#sh", "#sh", "#sh"], (seq, ffn),
                     ["parallel", "parallel"],
                     ["%n = arith.negf %a0 : T", "%e = math.exp %n : T", "%den = arith.addf %one, %e : T",
                      "%sig = arith.divf %a0, %den : T", "%r = arith.mulf %sig, %a1 : T"], name="silu_gate")
    down = wr.matmul(act, "%wd", seq, ffn, hidden, "down_proj")
    res = wr.generic([h, down], [wr.tensor(seq, hidden)] * 2, ["#sh", "#sh", "#sh"], (seq, hidden),
                     ["parallel", "parallel"], ["%r = arith.addf %a0, %a1 : T"], name="mlp_residual")
    wr.emit(f"return {res} : {wr.tensor(seq, hidden)}")
    out.extend(line.replace(": T", f": {t}") for line in wr.lines)
    out.append("}")
    with open(args.output, "w") as f:
        f.write("\n".join(out) + "\n")
    if args.npz:
        np.savez(args.npz, heads=heads, **w)


def reference(npz):
    """The block in float64, from the weights and input of the .npz."""
    w = np.load(npz)
    x, heads = w["x"], int(w["heads"])
    seq, hidden = x.shape
    d = hidden // heads

    def rmsnorm(v, g):
        return v / np.sqrt((v * v).mean(axis=1, keepdims=True) + EPS) * g

    y = rmsnorm(x, w["g1"])
    q, k, v = (y @ w[n] for n in ("wq", "wk", "wv"))
    split = lambda a: a.reshape(seq, heads, d).transpose(1, 0, 2)
    scores = split(q) @ split(k).transpose(0, 2, 1) / np.sqrt(d)
    scores = np.where(np.tril(np.ones((seq, seq))) > 0, scores, -np.inf)
    p = np.exp(scores - scores.max(axis=2, keepdims=True))
    p /= p.sum(axis=2, keepdims=True)
    ctx = (p @ split(v)).transpose(1, 0, 2).reshape(seq, hidden)
    h = x + ctx @ w["wo"]
    y2 = rmsnorm(h, w["g2"])
    gate, up = y2 @ w["wg"], y2 @ w["wu"]
    return h + (gate / (1 + np.exp(-gate)) * up) @ w["wd"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--npz")
    parser.add_argument("--reference", metavar="NPZ", help="write the float64 reference of NPZ")
    parser.add_argument("--dtype", default="bf16", choices=sorted(NP_TYPES))
    parser.add_argument("--seq", type=int, default=16)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--ffn", type=int, default=176)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.reference:
        np.save(args.output, reference(args.reference))
    else:
        generate(args)


if __name__ == "__main__":
    main()
