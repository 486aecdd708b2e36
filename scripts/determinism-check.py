#!/usr/bin/env python3
"""Byte-identical output, run to run and with or without threads.

Runs every pipeline mp ships (mp-mixed-precision under each policy, and
mp-cpu-lowering{vectorize} or mp-lower-to-ptx after it) on every corpus model that mp-opt parses,
three times: twice with MLIR's thread pool, once with --mlir-disable-threading.
Any difference between the outputs is a failure (the first differing line is
printed). With --mp-compile, also compiles the shipped example and every
corpus model that mp-compile accepts into an artifact twice, into the same
directory, and compares every file byte for byte (kernels, cubins, weights,
model.c, libmodel.so, manifest). Exits 1 on any failure.
"""
import argparse
import hashlib
import pathlib
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mp-opt", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--policies", default="bf16,f16,f32")
    parser.add_argument("--mp-compile", default="")
    parser.add_argument("--example", default="")
    args = parser.parse_args()
    models = sorted((pathlib.Path(args.corpus) / "models").rglob("*.mlir"))
    pipelines = []
    for policy in args.policies.split(","):
        pipelines.append(f"mp-mixed-precision{{policy={policy}}}")
        pipelines.append(f"mp-mixed-precision{{policy={policy}}},mp-cpu-lowering{{vectorize}}")
        pipelines.append(f"mp-mixed-precision{{policy={policy}}},mp-lower-to-ptx")
    failures = checked = 0
    for path in models:
        if subprocess.run([args.mp_opt, str(path), "-o", "/dev/null"],
                          capture_output=True).returncode != 0:
            continue
        for pipeline in pipelines:
            outputs = []
            for extra in ([], [], ["--mlir-disable-threading"]):
                proc = subprocess.run([args.mp_opt, str(path), f"--pass-pipeline=builtin.module({pipeline})"]
                                      + extra, capture_output=True)
                outputs.append(proc.stdout if proc.returncode == 0 else b"error: " + proc.stderr)
            checked += 1
            digests = {hashlib.sha256(o).hexdigest()[:12] for o in outputs}
            if len(digests) != 1:
                failures += 1
                a, b = outputs[0].splitlines(), next(o for o in outputs if o != outputs[0]).splitlines()
                line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                print(f"FAILED  {path.relative_to(args.corpus)} [{pipeline}]: {len(digests)} different "
                      f"outputs; first difference at line {line + 1}")
    print(f"determinism: {checked} model/pipeline pairs, 3 runs each (one without threads), "
          f"{failures} nondeterministic")
    if args.mp_compile:
        failures += check_artifacts(args, models)
    return 1 if failures else 0


def artifact_digests(directory):
    return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(pathlib.Path(directory).rglob("*")) if p.is_file()}


def check_artifacts(args, models):
    """mp-compile twice into the same directory: every file must be identical."""
    import shutil
    import tempfile
    work = pathlib.Path(tempfile.mkdtemp(prefix="determinism-artifacts-"))
    inputs = ([pathlib.Path(args.example)] if args.example else []) + models
    failures = compared = 0
    for path in inputs:
        runs = []
        for _ in range(2):
            out = work / "a"
            shutil.rmtree(out, ignore_errors=True)
            proc = subprocess.run([args.mp_compile, str(path), "-o", str(out), "--chip", "sm_90a"],
                                  capture_output=True)
            if proc.returncode != 0:
                break
            runs.append(artifact_digests(out))
        if len(runs) != 2:
            continue  # not compilable (reported by the corpus checks, not here)
        compared += 1
        if runs[0] != runs[1]:
            failures += 1
            differing = sorted(k for k in set(runs[0]) | set(runs[1]) if runs[0].get(k) != runs[1].get(k))
            print(f"FAILED  artifact of {path.name}: files differ: {', '.join(differing[:5])}")
    shutil.rmtree(work, ignore_errors=True)
    print(f"determinism: {compared} artifacts compiled twice, {failures} with differing files")
    return failures


if __name__ == "__main__":
    sys.exit(main())
