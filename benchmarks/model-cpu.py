#!/usr/bin/env python3
"""CPU speed of mp-run on an imported real model against PyTorch, in one run.

For the import in --work (scripts/model-accuracy.py or import-model.py made
it): PyTorch f32 forward, 1 thread, median of --repeat runs after a warm-up;
mp-run with the IR as imported (f32) and under each --policies, with
`--timing --repeat N` (median of warm runs: the JIT compiles eagerly, so no
timed run includes code generation), plus each command's wall time
(parse + lowering + JIT + runs), each with one thread and with all cores
(mp-run --parallel-loops), and PyTorch with one thread and with all cores.
Prints a table with the ratios; asserts
nothing (a benchmark, not a test).

  .venv-models/bin/python benchmarks/model-cpu.py minilm --work build/models/minilm-s64-b32
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))


def torch_ms(model, work, repeat, layers, threads=1):
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    meta = json.load(open(os.path.join(work, "meta.json")))
    ins = [torch.from_numpy(np.load(os.path.join(work, f"in.{i}.npy")))
           for i in range(len(meta["inputs"]))]
    if model == "minilm":
        from mp_models import minilm
        m, _ = minilm.load(layers)
        m.per_layer = "layer0" in meta["outputs"]
    else:
        from mp_models import smollm2
        base, _ = smollm2.load(layers)
        base.per_layer = "layer0" in meta["outputs"]
        m = smollm2.NLL(base)
    times = []
    with torch.no_grad():
        m(*ins)
        for _ in range(repeat):
            t0 = time.perf_counter()
            m(*ins)
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2] * 1e3


def mp_run(args, meta, policy, threads):
    cmd = [os.path.join(args.bin, "mp-run"), os.path.join(args.work, "model.mlir"),
           "--timing", "--repeat", str(args.repeat), "--json", os.path.join(args.work, "bench.json"),
           f"--parallel-loops={'true' if threads else 'false'}"]
    for i in range(len(meta["inputs"])):
        cmd += ["--input", os.path.join(args.work, f"in.{i}.npy")]
    if policy != "none":
        cmd += ["--pipeline", f"builtin.module(mp-mixed-precision{{policy={policy}}})"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    report = json.load(open(os.path.join(args.work, "bench.json")))
    t = report["timing"]["candidate"]
    return {"wall_s": wall, "run_ms": t["run_s"] * 1e3, "lowering_s": t["lowering_s"],
            "jit_s": t["jit_s"], "parse_s": report["timing"]["parse_s"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", choices=["minilm", "smollm2"])
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--policies", default="none,bf16")
    ap.add_argument("--json")
    args = ap.parse_args()
    meta = json.load(open(os.path.join(args.work, "meta.json")))
    pt = torch_ms(args.model, args.work, args.repeat, meta.get("layers_requested"))
    cores = os.cpu_count()
    pt_all = torch_ms(args.model, args.work, args.repeat, meta.get("layers_requested"), cores)
    rows = [{"name": "PyTorch f32 (1 thread)", "run_ms": pt},
            {"name": f"PyTorch f32 ({cores} threads)", "run_ms": pt_all}]
    for p in args.policies.split(","):
        for threads in (False, True):
            r = mp_run(args, meta, p, threads)
            r["name"] = ("mp-run " + ("f32 (as imported)" if p == "none" else p)
                         + (f", {cores} threads" if threads else ", 1 thread"))
            rows.append(r)
    print(f"{args.model}: batch {meta['batch']}, sequence {meta['seq']}; median of "
          f"{args.repeat} warm runs\n")
    print(f"| variant | run ms | run / PyTorch f32 1 thread | run / PyTorch f32 {cores} threads "
          "| command wall s | parse s | lowering s | JIT s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['run_ms']:.1f} | {r['run_ms'] / pt:.2f} | {r['run_ms'] / pt_all:.2f} | "
              + " | ".join(f"{r[k]:.1f}" if k in r else "" for k in
                           ("wall_s", "parse_s", "lowering_s", "jit_s")) + " |")
    if args.json:
        json.dump(rows, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
