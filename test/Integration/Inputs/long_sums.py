"""Writes the long-sum test input, or compares mp-run's outputs (naive and
compensated) with float64 sums and prints the error ratio per output.

  long_sums.py input X.npy
  long_sums.py compare X.npy NAIVE_DIR COMPENSATED_DIR
"""
import sys

import numpy as np

if sys.argv[1] == "input":
    rng = np.random.default_rng(7)
    # Positive values spanning three decades: the running sum grows to ~1e4,
    # so each naive addition loses the low bits of the small terms.
    x = (rng.uniform(0.0, 1.0, (4, 65536)) * 10.0 ** rng.integers(-2, 1, (4, 65536))).astype(np.float32)
    np.save(sys.argv[2], x)
    sys.exit(0)

x = np.load(sys.argv[2]).astype(np.float64)
exact = [x.sum(axis=1), (x * x).sum(axis=1)]  # float64: ~1e-16 relative, the reference
worst = float("inf")
for i, ref in enumerate(exact):
    naive = np.load(f"{sys.argv[3]}/sums.{i}.npy").astype(np.float64)
    comp = np.load(f"{sys.argv[4]}/sums.{i}.npy").astype(np.float64)
    en = np.max(np.abs(naive - ref) / np.abs(ref))
    ec = np.max(np.abs(comp - ref) / np.abs(ref))
    # The compensated error is about one rounding of the f32 result (the
    # float64 reference itself is rounded once to f32 for the comparison).
    bound = 2.0 ** -23
    ratio = en / max(ec, 1e-300)
    print(f"output {i}: naive max rel {en:.3e}, compensated max rel {ec:.3e}, ratio {ratio:.1f}, "
          f"compensated within one f32 ulp: {ec <= bound}")
    worst = min(worst, ratio)
print(f"smallest ratio {worst:.1f}: {'ok' if worst >= 10 else 'FAIL'}")
sys.exit(0 if worst >= 10 else 1)
