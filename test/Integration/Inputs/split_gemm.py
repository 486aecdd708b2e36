"""Inputs for the split-precision GEMM test, and its error table against a
float64 reference.

  split_gemm.py inputs DIR
  split_gemm.py compare DIR f32 bf16 p2 p3 p3gpu
"""
import sys

import numpy as np

d = sys.argv[2]
if sys.argv[1] == "inputs":
    rng = np.random.default_rng(3)
    np.save(f"{d}/a.npy", rng.standard_normal((64, 256)).astype(np.float32))
    np.save(f"{d}/b.npy", rng.standard_normal((256, 64)).astype(np.float32))
    sys.exit(0)

ref = np.load(f"{d}/a.npy").astype(np.float64) @ np.load(f"{d}/b.npy").astype(np.float64)
err = {}
for v in sys.argv[3:]:
    c = np.load(f"{d}/{v}/gemm.0.npy").astype(np.float64)
    err[v] = np.linalg.norm(c - ref) / np.linalg.norm(ref)  # normwise relative
    print(f"{v}: normwise relative error {err[v]:.3e}")
# bf16x6 (3 parts) is as accurate as the f32 GEMM (within 1.5x), bf16x3 (2
# parts) at least 100x better than plain bf16, and plain bf16 clearly worse.
checks = {
    "p3 within 1.5x of f32": err["p3"] <= 1.5 * err["f32"],
    "p2 100x better than bf16": err["p2"] * 100 <= err["bf16"],
    "bf16 worse than 1e-3": err["bf16"] >= 1e-3,
    "gpu mapping identical": err["p3gpu"] == err["p3"],
}
for name, ok in checks.items():
    print(f"{name}: {ok}")
print(f"ratio p3/f32 {err['p3'] / err['f32']:.2f}, bf16/p2 {err['bf16'] / err['p2']:.0f}")
sys.exit(0 if all(checks.values()) else 1)
