#!/usr/bin/env python3
"""Runs mp-opt over every input of the shared corpus and counts crashes.

Each file is split on `// -----` lines (as --split-input-file does) and every
piece is run through mp-opt several ways: plain parse, and each mp pipeline
that exists. Files under needs_unregistered/ get --allow-unregistered-dialect.
An input may be rejected with a diagnostic; what must never happen is a crash
(signal, assertion, stack dump) or a hang (timeout). Prints the counts and
exits 1 if there was any crash or hang.
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys
import tempfile

SPLIT = re.compile(r"^// -----\s*$", re.M)

MODES = {
    "parse": [],
    "fold-casts": ["--pass-pipeline=builtin.module(func.func(mp-fold-casts))"],
    "lower-to-arith": ["--pass-pipeline=builtin.module(mp-lower-to-arith)"],
    "mixed-precision": ["--pass-pipeline=builtin.module(mp-mixed-precision{policy=bf16})"],
}


def pieces(path):
    text = path.read_text(errors="replace")
    return [p for p in SPLIT.split(text) if p.strip()]


def classify(proc_rc, stderr, timed_out):
    if timed_out:
        return "hang"
    if proc_rc < 0 or proc_rc > 1 or "Stack dump" in stderr or "PLEASE submit" in stderr \
            or "Assertion" in stderr:
        return "crash"
    if proc_rc == 1:
        return "diagnostic" if "error:" in stderr else "crash"
    return "ok"


def run_one(mp_opt, piece, extra, timeout, workdir):
    with tempfile.NamedTemporaryFile("w", suffix=".mlir", dir=workdir, delete=False) as f:
        f.write(piece)
        name = f.name
    try:
        proc = subprocess.run([mp_opt, name, "-o", os.devnull] + extra,
                              capture_output=True, text=True, timeout=timeout)
        return classify(proc.returncode, proc.stderr, False), proc.stderr
    except subprocess.TimeoutExpired:
        return "hang", ""
    finally:
        os.unlink(name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mp-opt", default="mp-opt")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()

    corpus = pathlib.Path(args.corpus)
    files = sorted(p for p in corpus.rglob("*.mlir"))
    if not files:
        print(f"corpus: no .mlir files under {corpus}")
        return 1
    jobs = []
    for path in files:
        extra = ["--allow-unregistered-dialect"] if "needs_unregistered" in path.parts else []
        for index, piece in enumerate(pieces(path)):
            for mode in args.modes.split(","):
                jobs.append((path, index, mode, piece, extra + MODES[mode]))

    counts = {}
    bad = []
    with tempfile.TemporaryDirectory() as workdir, \
            concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run_one, args.mp_opt, piece, extra, args.timeout, workdir):
                   (path, index, mode) for path, index, mode, piece, extra in jobs}
        for future in concurrent.futures.as_completed(futures):
            path, index, mode = futures[future]
            result, stderr = future.result()
            counts[(mode, result)] = counts.get((mode, result), 0) + 1
            if result in ("crash", "hang"):
                bad.append((path.relative_to(corpus), index, mode, result, stderr[:1500]))

    inputs = len({(p, i) for p, i, _, _, _ in jobs})
    print(f"corpus: {len(files)} files, {inputs} inputs, {len(jobs)} runs")
    for mode in args.modes.split(","):
        row = ", ".join(f"{k} {counts.get((mode, k), 0)}"
                        for k in ("ok", "diagnostic", "crash", "hang"))
        print(f"  {mode:16s} {row}")
    for path, index, mode, result, stderr in sorted(bad, key=str):
        print(f"{result.upper()}: {path} piece {index} ({mode})\n{stderr}")
    crashes = sum(1 for b in bad if b[3] == "crash")
    hangs = sum(1 for b in bad if b[3] == "hang")
    print(f"corpus: {inputs} inputs, {crashes} crashes, {hangs} hangs")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
