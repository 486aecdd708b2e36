#!/usr/bin/env python3
"""Accuracy of the quantization policies on a model, with outlier channels.

Generates inputs for every argument of the entry (N(0, 1), seeded), multiplies
a few channels (last dimension) of the first argument by --outlier-scale, as
real LLM activations have, then runs `mp-run --compare-f32` once per policy
and prints one row per policy: cosine, max relative error (with mp-run's
floor), new inf/NaN, and the weight bytes from the precision report.

  scripts/quant-accuracy.py MODEL.mlir --policy fp8 --policy "w8a8 activation-granularity=per-tensor"
  scripts/quant-accuracy.py MODEL.mlir --policy fp8 --min-cosine fp8=0.995

A policy is `NAME [OPTION=VALUE ...]`, passed to mp-mixed-precision. With
--calibration-seed S the script first runs `mp-run --calibrate` on other
inputs (seed S, the same outlier channels) and passes `calibration=FILE` to
every policy, so calibrated options (smooth-alpha, outlier-threshold,
bias-correction, activation-scales=static) are measured on held-out inputs. With
--min-cosine NAME=C (the policy's full text), the script exits 1 when that
policy's cosine of any output is below C; --worse A,B exits 1 unless policy A's
cosine is below policy B's (so "clearly worse" claims are checked too).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--policy", action="append", required=True,
                   help="NAME [OPTION=VALUE ...] for mp-mixed-precision (repeatable)")
    p.add_argument("--mp-run", default="mp-run")
    p.add_argument("--mp-opt", default="mp-opt")
    p.add_argument("--entry", default="")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--outliers", default="7,100,513,900",
                   help="channels of the first input to scale (modulo its last dimension)")
    p.add_argument("--outlier-scale", type=float, default=50.0)
    p.add_argument("--min-cosine", action="append", default=[],
                   help="POLICY=C: fail when POLICY's cosine is below C")
    p.add_argument("--worse", action="append", default=[],
                   help="A,B: fail unless policy A's cosine is below policy B's")
    p.add_argument("--calibration-seed", type=int,
                   help="calibrate on inputs from this seed and pass calibration= to every policy")
    p.add_argument("--gram", action="store_true",
                   help="with --calibration-seed: also record second moments (for gptq=true)")
    p.add_argument("--json", help="write the rows here")
    return p.parse_args(argv)


def entry_arguments(model, entry):
    """The tensor types of the entry's arguments, read from the IR text."""
    text = open(model).read()
    aliases = dict(re.findall(r"^(![\w.]+)\s*=\s*(tensor<[^>]*>)", text, re.M))
    pattern = r"func\.func\s+@(\w+)\s*\((.*?)\)\s*(->|\{)"
    for name, args, _ in re.findall(pattern, text, re.S):
        if entry and name != entry:
            continue
        if "private" in name:
            continue
        types = re.findall(r"%[\w.]+\s*:\s*(tensor<[^>]*>|![\w.]+)", args)
        return [aliases.get(t, t) for t in types]
    raise SystemExit(f"quant-accuracy: no function {entry or ''} in {model}")


def shape_of(tensor_type):
    dims = tensor_type[len("tensor<"):-1].split("x")[:-1]
    return [int(d) for d in dims]


def main(argv):
    args = parse_args(argv)
    work = tempfile.mkdtemp(prefix="quant-accuracy-")

    def make_inputs(seed, tag):
        rng = np.random.default_rng(seed)
        paths = []
        for i, t in enumerate(entry_arguments(args.model, args.entry)):
            x = rng.standard_normal(shape_of(t)).astype(np.float32)
            if i == 0 and args.outlier_scale != 1.0 and x.ndim > 0:
                channels = sorted({int(c) % x.shape[-1] for c in args.outliers.split(",") if c})
                x[..., channels] *= args.outlier_scale
            path = os.path.join(work, f"{tag}{i}.npy")
            np.save(path, x)
            paths += ["--input", path]
        return paths

    inputs = make_inputs(args.seed, "in")
    calibration = None
    if args.calibration_seed is not None:
        calibration = os.path.join(work, "calibration.json")
        cmd = [args.mp_run, args.model, *make_inputs(args.calibration_seed, "cal"),
               "--calibrate", calibration] + (["--calibrate-gram"] if args.gram else [])
        if args.entry:
            cmd += ["--entry", args.entry]
        subprocess.run(cmd, check=True, capture_output=True)

    rows = []
    for policy in args.policy:
        options = policy + (f" calibration={calibration}" if calibration else "")
        pipeline = f"builtin.module(mp-mixed-precision{{policy={options}}})"
        out = os.path.join(work, "run.json")
        cmd = [args.mp_run, args.model, *inputs, "--pipeline", pipeline, "--compare-f32", "--json", out]
        if args.entry:
            cmd += ["--entry", args.entry]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.stderr.write(run.stdout + run.stderr)
            raise SystemExit(f"quant-accuracy: mp-run failed for policy '{policy}'")
        report = os.path.join(work, "report.json")
        subprocess.run([args.mp_opt, args.model, "-o", os.devnull, "--pass-pipeline",
                        f"builtin.module(mp-mixed-precision{{policy={options} report={report}}})"],
                       check=True, capture_output=True)
        totals = json.load(open(report))["totals"]["constant_bytes"]
        scaled = len(json.load(open(report))["scaled_ops"])
        errors = [o["error"] for o in json.load(open(out))["outputs"]]
        row = {
            "policy": policy,
            "cosine": min(e["cosine_similarity"] for e in errors),
            "max_rel": max(e["max_rel_error"] for e in errors),
            "rel_floor": errors[0]["rel_error_floor"],
            "new_inf": sum(e["new_inf"] for e in errors),
            "new_nan": sum(e["new_nan"] for e in errors),
            "weight_bytes": totals["read_by_decided_ops"],
            "bytes_per_type": totals["per_type"],
            "scaled_ops": scaled,
        }
        rows.append(row)

    held_out = (f", calibrated on seed {args.calibration_seed}"
                if args.calibration_seed is not None else "")
    print(f"model {os.path.basename(args.model)}, outlier channels x{args.outlier_scale:g}, "
          f"seed {args.seed}{held_out}")
    print(f"{'policy':48} {'cosine':>9} {'max_rel':>9} {'inf/nan':>7} {'weight bytes':>12} scaled ops")
    for r in rows:
        print(f"{r['policy']:48} {r['cosine']:9.6f} {r['max_rel']:9.2e} "
              f"{r['new_inf'] + r['new_nan']:7d} {r['weight_bytes']:12d} {r['scaled_ops']}")
    if args.json:
        json.dump(rows, open(args.json, "w"), indent=2)

    status = 0
    by_policy = {r["policy"]: r for r in rows}
    for spec in args.min_cosine:
        name, _, bound = spec.rpartition("=")
        r = by_policy.get(name)
        if r is None:
            raise SystemExit(f"quant-accuracy: --min-cosine names unknown policy '{name}'")
        if not r["cosine"] >= float(bound) or r["new_inf"] or r["new_nan"]:
            print(f"FAIL: {name}: cosine {r['cosine']:.6f} < {bound} (or new inf/NaN)")
            status = 1
    for spec in args.worse:
        a, b = spec.split(",")
        if not by_policy[a]["cosine"] < by_policy[b]["cosine"]:
            print(f"FAIL: '{a}' (cosine {by_policy[a]['cosine']:.6f}) is not worse than "
                  f"'{b}' ({by_policy[b]['cosine']:.6f})")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
