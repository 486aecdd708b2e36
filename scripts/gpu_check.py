#!/usr/bin/env python3
"""The prepared GPU check (issue: CUDA runtime and artifacts).

  gpu_check.py prepare BUNDLE [--cases a,b] [--chip sm_90a]   (here, no GPU)
  gpu_check.py run BUNDLE [--out results.json] [--driver PATH]  (on the GPU)

prepare compiles every case with mp-compile, computes its CPU reference with
mp-run (exact rounding, the same mixed-precision IR), and copies what the GPU
machine needs into BUNDLE: mp-artifact-run and the two runtime libraries (no
MLIR), the artifacts (kernels, weights, libmodel.so), the references in the
outputs' storage types, and cases.json. Inputs are not shipped: both sides
regenerate them from the case's seed (make_input), bit for bit.

run executes every case with mp-artifact-run (checked against its reference,
timed with CUDA events), times the same GEMM shapes with cuBLAS through
PyTorch and the memory-bound kernels against a device-to-device copy of the
same bytes, records the clocks, and writes one JSON file. Where PyTorch or
nvidia-smi is missing it says so in the JSON and goes on.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ----------------------------------------------------------------------------
# Cases


def gemm_mlir(m, n, k):
    return f"""func.func @gemm(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32> {{
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) outs(%f : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %r : tensor<{m}x{n}xf32>
}}
"""


def gelu_mlir(m, n):
    t = f"tensor<{m}x{n}xf32>"
    return f"""#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @gelu(%x: {t}) -> {t} {{
  %half = arith.constant 0.5 : f32
  %one = arith.constant 1.0 : f32
  %c = arith.constant 0.797884583 : f32
  %k = arith.constant 0.044715 : f32
  %e = tensor.empty() : {t}
  %r = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}} ins(%x : {t}) outs(%e : {t}) {{
  ^bb0(%v: f32, %o: f32):
    %v2 = arith.mulf %v, %v : f32
    %v3 = arith.mulf %v2, %v : f32
    %a = arith.mulf %v3, %k : f32
    %b = arith.addf %v, %a : f32
    %s = arith.mulf %b, %c : f32
    %th = math.tanh %s : f32
    %p = arith.addf %th, %one : f32
    %q = arith.mulf %p, %v : f32
    %y = arith.mulf %q, %half : f32
    linalg.yield %y : f32
  }} -> {t}
  return %r : {t}
}}
"""


def softmax_mlir(m, n):
    t, r = f"tensor<{m}x{n}xf32>", f"tensor<{m}xf32>"
    return f"""#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @softmax(%x: {t}) -> {t} {{
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : {r}
  %m0 = linalg.fill ins(%ninf : f32) outs(%e1 : {r}) -> {r}
  %mx = linalg.generic {{indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}} ins(%x : {t}) outs(%m0 : {r}) {{
  ^bb0(%v: f32, %acc: f32):
    %y = arith.maximumf %acc, %v : f32
    linalg.yield %y : f32
  }} -> {r}
  %e2 = tensor.empty() : {t}
  %ex = linalg.generic {{indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}} ins(%x, %mx : {t}, {r}) outs(%e2 : {t}) {{
  ^bb0(%v: f32, %mm: f32, %o: f32):
    %d = arith.subf %v, %mm : f32
    %y = math.exp %d : f32
    linalg.yield %y : f32
  }} -> {t}
  %s0 = linalg.fill ins(%zero : f32) outs(%e1 : {r}) -> {r}
  %sum = linalg.generic {{indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}} ins(%ex : {t}) outs(%s0 : {r}) {{
  ^bb0(%v: f32, %acc: f32):
    %y = arith.addf %acc, %v : f32
    linalg.yield %y : f32
  }} -> {r}
  %e3 = tensor.empty() : {t}
  %out = linalg.generic {{indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}} ins(%ex, %sum : {t}, {r}) outs(%e3 : {t}) {{
  ^bb0(%v: f32, %s: f32, %o: f32):
    %y = arith.divf %v, %s : f32
    linalg.yield %y : f32
  }} -> {t}
  return %out : {t}
}}
"""


CASES = {
    # name: (kind, mlir text or generator command, policy, details)
    "block_bf16": ("model", "example", "bf16", {}),
    "block_f16": ("model", "example", "f16", {}),
    "encoder_layer_bf16": ("model", "encoder", "bf16", {}),
    "gemm_1024x1024x1024_bf16": ("gemm", gemm_mlir(1024, 1024, 1024), "bf16",
                                 {"m": 1024, "n": 1024, "k": 1024}),
    "gemm_512x3072x768_bf16": ("gemm", gemm_mlir(512, 3072, 768), "bf16",
                               {"m": 512, "n": 3072, "k": 768}),
    # Error compensation on the GPU: an f32 GEMM from 3 bf16 parts (6 tensor-core
    # products) and compensated row sums; "policy" here is a precision pipeline.
    "gemm_split3_256x256x256": ("gemm", gemm_mlir(256, 256, 256),
                                "builtin.module(func.func(mp-split-precision-contractions{parts=3}))",
                                {"m": 256, "n": 256, "k": 256, "products": 6}),
    "row_sums_compensated_64x65536": ("memory", "sums", "builtin.module(func.func(mp-compensate-reductions))", {}),
    "gelu_1024x4096_bf16": ("memory", gelu_mlir(1024, 4096), "bf16", {}),
    "softmax_1024x1024_bf16": ("memory", softmax_mlir(1024, 1024), "bf16", {}),
}


def to_bf16_bits(x):
    """f32 -> bf16 bit patterns, round to nearest even (NaN kept quiet)."""
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    rounded[nan] = 0x7FC0
    return rounded


def make_input(case, index, dtype, shape):
    """The case's input `index`, N(0, 1) from a seed, in storage type `dtype`."""
    rng = np.random.default_rng(1000 + 17 * index + sum(map(ord, case)))
    x = rng.standard_normal(shape).astype(np.float32)
    if dtype == "f32":
        return x
    if dtype == "f16":
        return x.astype(np.float16)
    if dtype == "bf16":
        return to_bf16_bits(x)
    if dtype == "f64":
        return x.astype(np.float64)
    raise SystemExit(f"case {case}: no generator for inputs of type {dtype}")


def reference_in_storage(ref_f32, dtype):
    """mp-run writes float outputs as f32 (exactly): store them in the output's
    own type (bf16 as u2 bit patterns, exact since the values are bf16)."""
    if dtype == "bf16":
        return (ref_f32.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    if dtype == "f16":
        return ref_f32.astype(np.float16)
    return ref_f32


# ----------------------------------------------------------------------------
# prepare


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def prepare(args):
    build = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
    bindir, libdir = os.path.join(build, "bin"), os.path.join(build, "lib")
    bundle = os.path.abspath(args.bundle)
    if os.path.exists(bundle):
        shutil.rmtree(bundle)
    os.makedirs(os.path.join(bundle, "bin"))
    os.makedirs(os.path.join(bundle, "lib"))
    shutil.copy2(os.path.join(bindir, "mp-artifact-run"), os.path.join(bundle, "bin"))
    for lib in ("libmpRuntimeCuda.so", "libmpRuntimeHost.so"):
        shutil.copy2(os.path.join(libdir, lib), os.path.join(bundle, "lib"))
    names = args.cases.split(",") if args.cases else list(CASES)
    work = tempfile.mkdtemp(prefix="gpu-check-")
    cases = []
    for name in names:
        if name not in CASES:
            raise SystemExit(f"unknown case '{name}' (known: {', '.join(CASES)})")
        kind, source, policy, details = CASES[name]
        start = time.time()
        model = os.path.join(work, name + ".mlir")
        if source == "example":
            shutil.copy2(os.path.join(ROOT, "examples", "transformer-block.mlir"), model)
        elif source == "sums":
            shutil.copy2(os.path.join(ROOT, "test", "Integration", "Inputs", "long_sums.mlir"), model)
            text = open(model).read().replace("4x65536", "64x65536").replace("tensor<4xf32>", "tensor<64xf32>")
            open(model, "w").write(text)
        elif source == "encoder":
            run([sys.executable, os.path.join(HERE, "gen-encoder.py"), "--layers", "1",
                 "--hidden", "768", "--heads", "12", "--seq", "128", "--ffn", "3072",
                 "--weights", "random", "-o", model])
        else:
            open(model, "w").write(source)
        art = os.path.join(bundle, "cases", name)
        precision = ["--pipeline", policy] if policy.startswith("builtin.module") else ["--policy", policy]
        out = run([os.path.join(bindir, "mp-compile"), model, "-o", art, "--chip", args.chip] + precision)
        manifest = json.load(open(os.path.join(art, "manifest.json")))
        # Inputs (regenerated on the GPU machine) and the CPU reference.
        inputs = []
        for i, t in enumerate(manifest["inputs"]):
            path = os.path.join(work, f"{name}.in{i}.npy")
            np.save(path, make_input(name, i, t["dtype"], tuple(t["shape"])))
            inputs += ["--input", path]
        refdir = os.path.join(work, name + ".ref")
        run([os.path.join(bindir, "mp-run"), os.path.join(art, "mixed.mlir"), "--output-dir",
             refdir] + inputs)
        entry = manifest["entry"]
        refs = []
        for i, t in enumerate(manifest["outputs"]):
            ref = np.load(os.path.join(refdir, f"{entry}.{i}.npy"))
            dst = os.path.join(art, f"reference{i}.npy")
            np.save(dst, reference_in_storage(ref, t["dtype"]))
            refs.append(os.path.basename(dst))
        # What the GPU machine does not need.
        for extra in ("mixed.mlir", "report.json", "include"):
            p = os.path.join(art, extra)
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
        in_bytes = sum(t["bytes"] for t in manifest["inputs"])
        out_bytes = sum(t["bytes"] for t in manifest["outputs"])
        cases.append({"name": name, "kind": kind, "policy": policy, "details": details,
                      "inputs": manifest["inputs"], "outputs": manifest["outputs"],
                      "references": refs, "launches": len(manifest["kernels"]["launches"]),
                      "io_bytes": in_bytes + out_bytes,
                      "weight_bytes": manifest["weights"]["bytes"],
                      "compile": out.strip()})
        print(f"gpu-check prepare: {name}: {len(manifest['kernels']['launches'])} launches, "
              f"{time.time() - start:.1f}s")
    json.dump({"chip": args.chip, "cases": cases}, open(os.path.join(bundle, "cases.json"), "w"),
              indent=1)
    shutil.rmtree(work)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(bundle) for f in fs)
    print(f"gpu-check prepare: {len(cases)} cases in {bundle}, {size / 2**20:.1f} MiB")
    if size > 60 * 2**20:
        raise SystemExit("the bundle is over 60 MiB: it would not travel to the GPU machine")


# ----------------------------------------------------------------------------
# run (on the GPU machine)


def clocks():
    if not shutil.which("nvidia-smi"):
        return {"note": "nvidia-smi not found"}
    q = "name,driver_version,clocks.sm,clocks.mem,clocks.max.sm,clocks.max.mem,temperature.gpu,power.draw"
    r = subprocess.run(["nvidia-smi", f"--query-gpu={q}", "--format=csv,noheader"],
                       capture_output=True, text=True)
    return {"query": q, "values": r.stdout.strip(), "rc": r.returncode}


def torch_baselines(cases):
    """cuBLAS through PyTorch for the GEMMs, a device-to-device copy of the
    same bytes for the memory-bound kernels; medians of CUDA-event timings."""
    try:
        import torch
    except Exception as e:  # noqa: BLE001 - any import failure means no baseline
        return {"note": f"PyTorch not available: {e}"}
    if not torch.cuda.is_available():
        return {"note": "PyTorch sees no CUDA device"}

    def median_ms(fn, repeat=20):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(repeat):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        return sorted(times)[len(times) // 2]

    out = {"torch": torch.__version__, "device": torch.cuda.get_device_name()}
    for c in cases:
        if c["kind"] == "gemm":
            m, n, k = c["details"]["m"], c["details"]["n"], c["details"]["k"]
            a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
            b = torch.randn(k, n, device="cuda", dtype=torch.bfloat16)
            ms = median_ms(lambda: torch.matmul(a, b))
            out[c["name"]] = {"cublas_bf16_ms": ms, "cublas_tflops": 2 * m * n * k / ms * 1e-9}
        elif c["kind"] == "memory":
            n = c["io_bytes"] // 2
            src = torch.empty(n // 4 + 1, device="cuda", dtype=torch.float32)
            dst = torch.empty_like(src)
            ms = median_ms(lambda: dst.copy_(src))
            out[c["name"]] = {"d2d_copy_ms": ms, "d2d_copy_gbs": 2 * src.numel() * 4 / ms * 1e-6}
    return out


def run_bundle(args):
    bundle = os.path.abspath(args.bundle)
    spec = json.load(open(os.path.join(bundle, "cases.json")))
    runner = os.path.join(bundle, "bin", "mp-artifact-run")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.path.join(bundle, "lib") + ":" + env.get("LD_LIBRARY_PATH", "")
    if args.driver:
        env["MP_CUDA_DRIVER"] = args.driver
    work = tempfile.mkdtemp(prefix="gpu-check-run-")
    results = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "chip": spec["chip"],
               "clocks_before": clocks(), "cases": []}
    started = time.time()
    for c in spec["cases"]:
        art = os.path.join(bundle, "cases", c["name"])
        cmd = [runner, art, "--repeat", str(args.repeat), "--json",
               os.path.join(work, c["name"] + ".json")]
        for i, t in enumerate(c["inputs"]):
            path = os.path.join(work, f"{c['name']}.in{i}.npy")
            np.save(path, make_input(c["name"], i, t["dtype"], tuple(t["shape"])))
            cmd += ["--input", path]
        for r in c["references"]:
            cmd += ["--reference", os.path.join(art, r)]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        entry = {"name": c["name"], "kind": c["kind"], "rc": r.returncode,
                 "stdout": r.stdout.strip(), "stderr": r.stderr.strip(),
                 "launches": c["launches"], "io_bytes": c["io_bytes"]}
        report = os.path.join(work, c["name"] + ".json")
        if os.path.exists(report):
            entry["result"] = json.load(open(report))
            ms = entry["result"]["gpu_ms_median"]
            if c["kind"] == "gemm":
                d = c["details"]
                entry["tflops"] = 2 * d["m"] * d["n"] * d["k"] / ms * 1e-9  # of the f32 GEMM
            else:
                entry["gbs"] = c["io_bytes"] / ms * 1e-6
        results["cases"].append(entry)
        print(f"gpu-check: {c['name']}: rc {r.returncode} {r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr.strip()}")
    results["baselines"] = torch_baselines(spec["cases"])
    results["clocks_after"] = clocks()
    results["seconds"] = time.time() - started
    results["passed"] = sum(1 for e in results["cases"] if e["rc"] == 0)
    results["failed"] = len(results["cases"]) - results["passed"]
    json.dump(results, open(args.out, "w"), indent=1)
    shutil.rmtree(work)
    print(f"gpu-check: {results['passed']} passed, {results['failed']} failed, "
          f"{results['seconds']:.1f}s; results in {args.out}")
    return 0 if results["failed"] == 0 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    pp = sub.add_parser("prepare")
    pp.add_argument("bundle")
    pp.add_argument("--cases", default="")
    pp.add_argument("--chip", default="sm_90a")
    pr = sub.add_parser("run")
    pr.add_argument("bundle")
    pr.add_argument("--out", default="gpu-check.json")
    pr.add_argument("--driver", default="")
    pr.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()
    if args.command == "prepare":
        prepare(args)
        return 0
    return run_bundle(args)


if __name__ == "__main__":
    sys.exit(main())
