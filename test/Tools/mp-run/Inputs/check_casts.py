"""Compares mp-run's outputs of casts.mlir with ml_dtypes casts."""
import sys
import warnings

import ml_dtypes
import numpy as np

warnings.simplefilter("ignore", RuntimeWarning)
d = sys.argv[1]
x = np.load(f"{d}/x.npy")
e4m3_max = float(ml_dtypes.finfo(ml_dtypes.float8_e4m3fn).max)
refs = [
    ("bf16", x.astype(ml_dtypes.bfloat16)),
    ("f16", x.astype(np.float16)),
    ("f8E4M3FN saturating", np.clip(x, -e4m3_max, e4m3_max).astype(ml_dtypes.float8_e4m3fn)),
    ("f8E5M2", x.astype(ml_dtypes.float8_e5m2)),
]
for i, (name, ref) in enumerate(refs):
    got = np.load(f"{d}/out/casts.{i}.npy")
    want = ref.astype(np.float32)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    print(name, "ok" if same.all() else f"MISMATCH at {np.flatnonzero(~same)[:5]}")
bits = np.load(f"{d}/b.npy")
got = np.load(f"{d}/out/casts.4.npy")
want = bits.view(ml_dtypes.bfloat16).astype(np.float32)
same = (got == want) | (np.isnan(got) & np.isnan(want))
print("bf16 bits", "ok" if same.all() and np.signbit(got[7]) else "MISMATCH")
