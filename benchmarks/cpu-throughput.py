#!/usr/bin/env python3
"""CPU speed of mp-run on the f32 corpus graphs and a BERT-base-shaped encoder.

For each graph: compile time (lowering + JIT), run time (median of --repeat
runs), contraction GFLOP/s, and the ratio to numpy's f32 matmul on this
machine (median of 7 runs of a 256x1024 @ 1024x1024 product). A benchmark,
not a test: it asserts nothing and prints a table (and JSON with --json).

  benchmarks/cpu-throughput.py --mp-run build/bin/mp-run --corpus ../shared/corpus
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def numpy_matmul_gflops():
    a = np.random.rand(256, 1024).astype(np.float32)
    b = np.random.rand(1024, 1024).astype(np.float32)
    times = []
    for _ in range(7):
        start = time.perf_counter()
        np.matmul(a, b)
        times.append(time.perf_counter() - start)
    return 2 * 256 * 1024 * 1024 / sorted(times)[3] / 1e9


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mp-run", default="mp-run")
    p.add_argument("--corpus", required=True)
    p.add_argument("--generator", default=os.path.join(os.path.dirname(__file__), "..", "scripts", "gen-encoder.py"))
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--bert-layers", type=int, default=12)
    p.add_argument("--json")
    a = p.parse_args()
    tmp = tempfile.mkdtemp()
    bert = os.path.join(tmp, "bert.mlir")
    subprocess.run([sys.executable, a.generator, "--layers", str(a.bert_layers), "--hidden", "768",
                    "--heads", "12", "--seq", "128", "--ffn", "3072", "--weights", "splat",
                    "-o", bert], check=True)
    models = os.path.join(a.corpus, "models", "tpp-mlir")
    graphs = [
        ("multi-head attention (tpp-mlir)", os.path.join(models, "multi-head-attention.upgraded.mlir"), a.repeat),
        ("MLP 3 layers 256x1024 (tpp-mlir)", os.path.join(models, "mlp-3layers.mlir"), a.repeat),
        ("MLP torch-dynamo 3x1024 (tpp-mlir)", os.path.join(models, "torch-dynamo-mlp-fp32-3x1024.mlir"), a.repeat),
        (f"BERT-base encoder, {a.bert_layers} layers, seq 128", bert, 3),
    ]
    reference = numpy_matmul_gflops()
    rows = []
    print(f"numpy f32 matmul 256x1024x1024: {reference:.1f} GFLOP/s (median of 7)")
    print(f"{'graph':40s} {'compile s':>9s} {'run s':>9s} {'GFLOP':>8s} {'GFLOP/s':>8s} {'vs numpy':>8s}")
    for name, path, repeat in graphs:
        out = os.path.join(tmp, "r.json")
        proc = subprocess.run([a.mp_run, path, "--timing", "--repeat", str(repeat), "--json", out],
                              capture_output=True, text=True)
        if proc.returncode:
            print(f"{name:40s} failed: {proc.stderr[-300:]}")
            continue
        t = json.load(open(out))["timing"]
        c = t["candidate"]
        gflop = t.get("contraction_flops", 0) / 1e9
        rate = t.get("candidate_gflops", 0)
        row = {"graph": name, "compile_s": c["lowering_s"] + c["jit_s"], "run_s": c["run_s"],
               "gflop": gflop, "gflops": rate, "ratio_to_numpy": rate / reference}
        rows.append(row)
        print(f"{name:40s} {row['compile_s']:9.3f} {row['run_s']:9.3f} {gflop:8.2f} {rate:8.2f} "
              f"{row['ratio_to_numpy']:8.3f}")
    if a.json:
        json.dump({"numpy_matmul_gflops": reference, "graphs": rows}, open(a.json, "w"), indent=2)


if __name__ == "__main__":
    main()
