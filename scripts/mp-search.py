#!/usr/bin/env python3
"""Error-budget precision search: what `policy=auto` means in mp.

Finds a cheap assignment of formats to the contractions of a model whose error
on calibration inputs stays within a budget, with forward runs only (mp-run on
the CPU, exact rounding), and writes it as a policy file for
`mp-mixed-precision{policy-file=...}`:

  scripts/mp-search.py MODEL.mlir --error-budget 1e-3 \\
      --calibration a.npy --calibration b.npy --held-out c.npy \\
      --candidates bf16,fp8,w8a8,w8a16,w4a16 -o plan.json --report search.json

One --calibration / --held-out per input set; a model with several arguments
takes comma-separated files per set (x.npy,mask.npy). The steps:

1. The f32 model's outputs on every input set (the reference).
2. Sensitivity: for every contraction and candidate format, the model with only
   that contraction in that format (everything else as the base policy, with
   contractions f32) is run on the calibration sets; its error is the op's
   sensitivity to that format.
3. Cost: estimated time of each contraction on an H200 in each format: the
   larger of FLOPs against the format's peak (67 TFLOP/s f32, 989 bf16/f16 and
   weight-only, 1979 fp8/int8) and bytes (weights, activations, output and, for
   quantized activations, their amax and quantization passes) against 4.8 TB/s.
4. Search: every (contraction, cheaper format) move is ranked by cost saved per
   unit of sensitivity; plans are the prefixes of that order (each op at its
   cheapest format so far); bisection finds the longest prefix whose measured
   error on the calibration sets is within the budget (errors are nearly
   monotone in the prefix length; the chosen plan is always measured).
5. The plan's error on the held-out sets, its estimated cost against all-f32
   and all-bf16 contractions, and every measurement go into the report.

Error metric (--metric): `cosine` (default), 1 - cosine similarity with the
f32 outputs, or `rel`, the normwise relative error ||y - y_f32|| / ||y_f32||;
the maximum over outputs and sets. New inf/NaN make the error infinite. (bf16
alone costs a normwise relative error of a few 1e-3 on typical layers, so a
`rel` budget of 1e-3 keeps f32 almost everywhere.)

Runs go --jobs at a time (default: the number of cores).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

PEAK = {"f32": 67e12, "bf16": 989e12, "f16": 989e12, "w8a16": 989e12, "w4a16": 989e12,
        "fp8": 1979e12, "w8a8": 1979e12}
WEIGHT_BITS = {"f32": 32, "bf16": 16, "f16": 16, "fp8": 8, "w8a8": 8, "w8a16": 8, "w4a16": 4}
ACT_BITS = {"f32": 32, "bf16": 16, "f16": 16, "fp8": 8, "w8a8": 8, "w8a16": 16, "w4a16": 16}
BANDWIDTH = 4.8e12


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--error-budget", type=float, required=True)
    p.add_argument("--metric", choices=["rel", "cosine"], default="cosine")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--calibration", action="append", required=True,
                   help="an input set (comma-separated .npy per argument); repeatable")
    p.add_argument("--held-out", action="append", default=[], help="an input set; repeatable")
    p.add_argument("--candidates", default="bf16,fp8,w8a8,w8a16,w4a16")
    p.add_argument("--base-policy", default="bf16",
                   help="policy of everything but the contractions (default bf16)")
    p.add_argument("--group-size", type=int, default=128)
    p.add_argument("--entry", default="")
    p.add_argument("-o", "--output", required=True, help="the policy file to write")
    p.add_argument("--report", help="write every measurement here (JSON)")
    p.add_argument("--mp-run", default="mp-run")
    p.add_argument("--mp-opt", default="mp-opt")
    return p.parse_args(argv)


class Runner:
    def __init__(self, args, work):
        self.args, self.work, self.runs = args, work, 0

    def run(self, inputs, policy_file=None):
        """Outputs of the model on one input set (list of arrays), or None when
        the pipeline or the run fails."""
        out = tempfile.mkdtemp(dir=self.work)
        cmd = [self.args.mp_run, self.args.model, "--output-dir", out]
        for path in inputs.split(","):
            cmd += ["--input", path]
        if self.args.entry:
            cmd += ["--entry", self.args.entry]
        if policy_file:
            cmd += ["--pipeline",
                    f"builtin.module(mp-mixed-precision{{policy-file={policy_file}}})"]
        self.runs += 1
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            # A candidate the compiler refuses is skipped; say why.
            tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
            sys.stderr.write(f"mp-search: run failed ({policy_file or 'f32'}): "
                             + " | ".join(tail) + "\n")
            return None
        files = sorted(f for f in os.listdir(out) if f.endswith(".npy"))
        return [np.load(os.path.join(out, f)).astype(np.float64) for f in files]


def error(metric, outputs, reference):
    if outputs is None or len(outputs) != len(reference):
        return float("inf")
    worst = 0.0
    for y, r in zip(outputs, reference):
        if np.any(~np.isfinite(y) & np.isfinite(r)):
            return float("inf")
        y, r = y.ravel(), r.ravel()
        if metric == "rel":
            denom = np.linalg.norm(r)
            e = np.linalg.norm(y - r) / denom if denom > 0 else np.linalg.norm(y - r)
        else:
            denom = np.linalg.norm(y) * np.linalg.norm(r)
            e = 1.0 - float(np.dot(y, r) / denom) if denom > 0 else 0.0
        worst = max(worst, float(e))
    return worst


def format_for(candidate, op, group):
    """The #mp.format a policy file names for `candidate` on contraction `op`,
    or None where it does not apply."""
    weight = op.get("weight_elements", 0) > 0
    out_axis, red_axis = op.get("weight_output_axis"), op.get("weight_reduction_axis")
    channel = f"per_channel(axis = {out_axis})" if out_axis is not None else "per_tensor"
    if candidate in ("f32", "bf16", "f16"):
        return candidate
    if candidate == "fp8":
        return f"#mp.format<f8E4M3FN, {channel}, acc = f32>"
    if candidate == "w8a8":
        return f"#mp.format<i8, {channel}, acc = i32>"
    if not weight:
        return None  # weight-only formats need a constant weight
    if candidate == "w8a16":
        return f"#mp.format<i8, {channel}, acc = f32>"
    if candidate == "w4a16":
        if red_axis is None:
            return None
        return f"#mp.format<i4, per_group(axis = {red_axis}, size = {group}), acc = f32>"
    raise SystemExit(f"mp-search: unknown candidate '{candidate}'")


def cost(candidate, op):
    """Estimated seconds on an H200."""
    macs, w = op["macs"], op.get("weight_elements", 0)
    a, o = op.get("activation_elements", 0), op.get("output_elements", 0)
    bytes_ = (w * WEIGHT_BITS[candidate] + a * ACT_BITS[candidate] + o * 32) / 8
    if candidate in ("fp8", "w8a8"):
        bytes_ += a * (16 + 16 + 8) / 8  # amax read, quantize read + write
    return max(2 * macs / PEAK[candidate], bytes_ / BANDWIDTH)


def main(argv):
    args = parse_args(argv)
    start = time.time()
    work = tempfile.mkdtemp(prefix="mp-search-")
    runner = Runner(args, work)
    candidates = [c.strip() for c in args.candidates.split(",") if c.strip()]
    for c in candidates:
        if c not in PEAK:
            raise SystemExit(f"mp-search: unknown candidate '{c}'; expected {', '.join(PEAK)}")

    # The contractions, with their shape facts (the precision report).
    report_path = os.path.join(work, "ops.json")
    subprocess.run([args.mp_opt, args.model, "-o", os.devnull, "--pass-pipeline",
                    f"builtin.module(mp-mixed-precision{{policy=f32 report={report_path}}})"],
                   check=True, capture_output=True)
    ops = [o for o in json.load(open(report_path))["ops"]
           if o["class"] == "contraction" and "macs" in o]
    names = [o["loc"] for o in ops]
    if len(set(names)) != len(names):
        raise SystemExit("mp-search: contractions without distinct stable names (give them mp.name)")

    def write_plan(assignment, path):
        overrides = [{"name": name, "format": fmt} for name, fmt in assignment.items()]
        json.dump({"policy": args.base_policy, "overrides": overrides}, open(path, "w"), indent=1)

    def measure(assignment, sets, references):
        fd, path = tempfile.mkstemp(suffix=".json", dir=work)
        os.close(fd)
        write_plan(assignment, path)
        return max(error(args.metric, runner.run(s, path), r) for s, r in zip(sets, references))

    reference_cal = [runner.run(s) for s in args.calibration]
    reference_held = [runner.run(s) for s in args.held_out]
    if any(r is None for r in reference_cal + reference_held):
        raise SystemExit("mp-search: the f32 model does not run on the given inputs")

    all_f32 = {o["loc"]: "f32" for o in ops}
    base_error = measure(all_f32, args.calibration, reference_cal)
    measurements = {"base_policy_error": base_error}
    if base_error > args.error_budget:
        print(f"mp-search: the base policy '{args.base_policy}' alone has error {base_error:.3e} "
              f"> budget {args.error_budget:.3e}; keeping every contraction f32")

    # Sensitivity of every (op, candidate), --jobs runs at a time.
    trials = []
    for o in ops:
        for c in candidates:
            fmt = format_for(c, o, args.group_size)
            if fmt is None:
                continue
            assignment = dict(all_f32)
            assignment[o["loc"]] = fmt
            trials.append(((o["loc"], c), assignment))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        errors = list(pool.map(lambda t: measure(t[1], args.calibration, reference_cal), trials))
    sensitivity = {key: e for (key, _), e in zip(trials, errors)}

    # Moves ranked by cost saved per unit of (sensitivity above the base).
    moves = []
    for o in ops:
        for c in candidates:
            s = sensitivity.get((o["loc"], c))
            if s is None or s > args.error_budget or base_error > args.error_budget:
                continue
            saved = cost("f32", o) - cost(c, o)
            if saved <= 0:
                continue
            moves.append((saved / max(s - base_error, 1e-12), o["loc"], c))
    moves.sort(key=lambda m: -m[0])
    op_by_name = {o["loc"]: o for o in ops}

    def plan_of(prefix):
        chosen = {o["loc"]: "f32" for o in ops}
        for _, name, c in moves[:prefix]:
            if cost(c, op_by_name[name]) < cost(chosen[name], op_by_name[name]):
                chosen[name] = c
        return chosen

    def formats(chosen):
        return {n: format_for(c, op_by_name[n], args.group_size) for n, c in chosen.items()}

    # Bisection on the prefix length: the longest prefix within the budget.
    lo, hi = 0, len(moves)
    errors_seen = {0: base_error}
    while lo < hi:
        mid = (lo + hi + 1) // 2
        e = measure(formats(plan_of(mid)), args.calibration, reference_cal)
        errors_seen[mid] = e
        if e <= args.error_budget:
            lo = mid
        else:
            hi = mid - 1
    chosen = plan_of(lo)
    final_cal = errors_seen.get(lo)
    if final_cal is None:
        final_cal = measure(formats(chosen), args.calibration, reference_cal)
    final_held = (measure(formats(chosen), args.held_out, reference_held)
                  if args.held_out else None)
    write_plan(formats(chosen), args.output)

    total = lambda pick: sum(cost(pick(o), o) for o in ops)
    macs_total = sum(o["macs"] for o in ops)
    low_macs = sum(o["macs"] for o in ops if chosen[o["loc"]] != "f32")
    summary = {
        "model": args.model, "metric": args.metric, "error_budget": args.error_budget,
        "base_policy": args.base_policy, "candidates": candidates,
        "error_calibration": final_cal, "error_held_out": final_held,
        "estimated_seconds": {"plan": total(lambda o: chosen[o["loc"]]),
                              "all_f32": total(lambda o: "f32"),
                              "all_bf16": total(lambda o: "bf16")},
        "low_precision_mac_fraction": low_macs / macs_total if macs_total else 0.0,
        "runs": runner.runs, "search_seconds": time.time() - start,
        "ops": [{"name": o["loc"], "op": o["op"], "macs": o["macs"],
                 "chosen": chosen[o["loc"]],
                 "format": format_for(chosen[o["loc"]], o, args.group_size),
                 "sensitivity": {c: sensitivity[(o["loc"], c)] for c in candidates
                                 if (o["loc"], c) in sensitivity},
                 "estimated_seconds": {c: cost(c, o) for c in ["f32"] + candidates
                                       if format_for(c, o, args.group_size)}}
                for o in ops],
        "bisection": {str(k): v for k, v in sorted(errors_seen.items())},
        "moves": [{"name": n, "format": c, "rank": r} for r, n, c in moves],
        **measurements,
    }
    if args.report:
        json.dump(summary, open(args.report, "w"), indent=1)

    est = summary["estimated_seconds"]
    print(f"mp-search: {len(ops)} contractions, budget {args.error_budget:g} ({args.metric}), "
          f"{runner.runs} runs, {summary['search_seconds']:.1f} s")
    for o in summary["ops"]:
        sens = " ".join(f"{c}={v:.2e}" for c, v in o["sensitivity"].items())
        print(f"  {o['name']:24} {o['chosen']:6} sensitivity {sens}")
    held = f"{final_held:.3e}" if final_held is not None else "n/a"
    print(f"error: calibration {final_cal:.3e}, held-out {held}")
    print(f"low-precision MACs: {100 * summary['low_precision_mac_fraction']:.1f}%")
    print(f"estimated H200 time of the contractions: plan {est['plan'] * 1e6:.2f} us, "
          f"all-f32 {est['all_f32'] * 1e6:.2f} us, all-bf16 {est['all_bf16'] * 1e6:.2f} us")
    print(f"policy file: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
