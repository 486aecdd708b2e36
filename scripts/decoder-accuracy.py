#!/usr/bin/env python3
"""Accuracy of a native-bf16 Llama-shaped decoder block against float64.

Generates the block with scripts/gen-decoder.py (bf16 throughout, as a bf16
checkpoint arrives: bf16 accumulation, bf16 norms and softmax), runs it with
mp-run on the CPU (exact bf16 rounding)
  (a) as it arrived,
  (b) through mp-mixed-precision{policy=bf16},
  (c) through mp-mixed-precision{policy=f32},
and compares each output with the float64 reference computed by numpy from
the same (bf16-valued) weights and input. Prints and writes (--json) max abs
error and relative RMS error (||out - ref|| / ||ref||).

Checks: (b) and (c) have no inf/NaN; (b)'s relative RMS error is at most half
of (a)'s (the pipeline accumulates in f32 and computes norms and softmax in
f32; the outputs of all three are stored in bf16, whose rounding alone gives
a relative RMS error of about 1e-3); (c) is at least as accurate as (b).
Exits 1 when a check fails.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mp-run", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--json")
    parser.add_argument("--seed", type=int, default=0)
    args, generator_args = parser.parse_known_args()
    tmp = tempfile.mkdtemp()
    block, npz = os.path.join(tmp, "block.mlir"), os.path.join(tmp, "block.npz")
    subprocess.run([args.python, args.generator, "-o", block, "--npz", npz, "--dtype", "bf16",
                    "--seed", str(args.seed)] + generator_args, check=True)
    ref_path = os.path.join(tmp, "ref.npy")
    subprocess.run([args.python, args.generator, "--reference", npz, "-o", ref_path], check=True)
    ref = np.load(ref_path)
    x_path = os.path.join(tmp, "x.npy")
    np.save(x_path, np.load(npz)["x"].astype(np.float32))  # bf16 values, exact in f32

    runs = {"as_arrived": None,
            "policy_bf16": "mp-mixed-precision{policy=bf16}",
            "policy_f32": "mp-mixed-precision{policy=f32}"}
    results = {}
    for name, pipeline in runs.items():
        out_dir = os.path.join(tmp, name)
        cmd = [args.mp_run, block, "--input", x_path, "--output-dir", out_dir]
        if pipeline:
            cmd += ["--pipeline", pipeline]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"FAILED  {name}: mp-run exited {proc.returncode}\n{proc.stderr[-2000:]}")
            return 1
        out = np.load(os.path.join(out_dir, "decoder.0.npy")).astype(np.float64)
        err = out - ref
        finite = bool(np.isfinite(out).all())
        results[name] = {
            "pipeline": pipeline or "",
            "finite": finite,
            "max_abs_error": float(np.abs(err).max()) if finite else float("inf"),
            "rel_rms_error": float(np.sqrt((err ** 2).mean() / (ref ** 2).mean())) if finite else float("inf"),
        }
        r = results[name]
        print(f"{name:12s} max_abs {r['max_abs_error']:.4e}  rel_rms {r['rel_rms_error']:.4e}  "
              f"finite {finite}  ({pipeline or 'no pipeline'})")
    a, b, c = results["as_arrived"], results["policy_bf16"], results["policy_f32"]
    ratio = a["rel_rms_error"] / b["rel_rms_error"] if b["rel_rms_error"] else float("inf")
    print(f"bf16 policy / as arrived: relative RMS error {ratio:.2f}x lower")
    checks = [
        (b["finite"] and c["finite"], "policy runs have no inf/NaN"),
        (b["rel_rms_error"] <= 0.5 * a["rel_rms_error"],
         "policy=bf16 error at most half of the as-arrived error"),
        (c["rel_rms_error"] <= b["rel_rms_error"], "policy=f32 at least as accurate as policy=bf16"),
    ]
    failed = 0
    for ok, text in checks:
        print(("ok      " if ok else "FAILED  ") + text)
        failed += not ok
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"runs": results, "improvement": ratio}, f, indent=2, sort_keys=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
