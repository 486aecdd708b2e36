"""Checks mp-run's results for Inputs/dequant_products.py bit for bit against
a sequential numpy model of the payload: each output element sums its terms
in reduction order, each term `a * w` rounded to f32 before the add (no
fused multiply-add), a rounded to bf16 (nearest even) first, w formed as the
payload forms it. Any other summation order or a fused multiply-add changes
the bits of these random inputs.

  python check_dequant_products.py CONSTANTS.npz X.npy NAME=RESULT_DIR ...

X must hold values whose truncation fits i8 (the @w8a8 activation is
fptosi(x)).
"""
import glob
import sys

import numpy as np


def bf16(x):
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32)


def sequential(a, w):
    """a (M, K) f32, w (K, N) f32: out[m, n] = (((0 + a0 w0) + a1 w1) + ...)."""
    out = np.zeros((a.shape[0], w.shape[1]), np.float32)
    for k in range(a.shape[1]):
        out = (out + (a[:, k:k + 1] * w[k:k + 1, :]).astype(np.float32)).astype(np.float32)
    return out


def main():
    c = np.load(sys.argv[1])
    x = np.load(sys.argv[2]).astype(np.float32)
    g = int(c["group"])
    f32 = np.float32
    a = bf16(x)
    s4 = np.repeat(c["s4"].astype(f32), g, axis=0)  # (K, N)
    m4 = np.repeat(c["m4"].astype(f32), g, axis=0)
    k, n = s4.shape
    expected = {
        "w4_sym": sequential(a, (c["q4"].reshape(k, n).astype(f32) * s4).astype(f32)),
        "w4_asym": sequential(a, ((c["u4"].reshape(k, n).astype(f32) * s4).astype(f32)
                                  + m4).astype(f32)),
        "w8": sequential(a, (c["q8"].astype(f32) * c["s8"].astype(f32)[None, :]).astype(f32)),
        "w8a8": np.trunc(x).astype(np.int64) @ c["w8"].astype(np.int64),
    }
    failed = False
    for spec in sys.argv[3:]:
        name, folder = spec.split("=", 1)
        got = np.load(glob.glob(folder + "/*.npy")[0])
        want = expected[name].astype(got.dtype)
        same = np.array_equal(got.view(np.uint8), want.view(np.uint8))
        print(f"{name} {folder.rsplit('/', 1)[-1]}: {'bit-identical' if same else 'DIFFERENT'}"
              f" ({int((got != want).sum())} of {got.size} differ)")
        failed |= not same
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
