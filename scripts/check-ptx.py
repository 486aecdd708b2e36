#!/usr/bin/env python3
"""Assemble the kernels that mp-lower-to-ptx dumped (dump-dir=DIR) with ptxas
and report, per directory: kernels, spills, registers, shared memory, and
which kernels use tensor cores or block-wide reductions (warp shuffles). With
--cuobjdump, also inspect the SASS: a kernel whose PTX has mma.sync must
contain HMMA instructions, one with shfl.sync.bfly SHFL.BFLY.

Exit status 1 when a kernel does not assemble, spills, or its SASS lacks the
tensor-core or shuffle instructions its PTX asks for.

usage: check-ptx.py [--ptxas PTXAS] [--cuobjdump CUOBJDUMP] [--json OUT] DIR...
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile


def chip_of(name):
    m = re.search(r"\.(sm_[0-9]+a?)\.ptx$", name)
    return m.group(1) if m else None


def check_dir(directory, ptxas, cuobjdump):
    manifest = json.load(open(os.path.join(directory, "kernels.json")))
    results, ok = [], True
    for binary in manifest["binaries"]:
        for name in binary["files"]:
            path = os.path.join(directory, name)
            chip = chip_of(name)
            if chip is None:
                print(f"{name}: not a PTX file name (<binary>.<chip>.ptx)")
                ok = False
                continue
            ptx = open(path).read()
            mma = len(re.findall(r"\bmma\.sync\.aligned\.m16n8k16", ptx))
            shfl = len(re.findall(r"\bshfl\.sync\.bfly", ptx))
            with tempfile.TemporaryDirectory() as tmp:
                cubin = os.path.join(tmp, "k.cubin")
                run = subprocess.run([ptxas, f"-arch={chip}", "-v", "-o", cubin, path],
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    print(f"{name}: ptxas failed:\n{run.stderr}")
                    ok = False
                    continue
                info = run.stderr
                regs = [int(x) for x in re.findall(r"Used (\d+) registers", info)]
                spills = sum(int(a) + int(b) for a, b in re.findall(
                    r"(\d+) bytes spill stores, (\d+) bytes spill loads", info))
                smem = sum(int(x) for x in re.findall(r"(\d+) bytes smem", info))
                hmma = shfl_sass = None
                if cuobjdump:
                    # cuobjdump runs nvdisasm, found next to it (the PyPI wheels
                    # install both into one bin directory).
                    env = dict(os.environ)
                    env["PATH"] = os.path.dirname(cuobjdump) + os.pathsep + env.get("PATH", "")
                    sass = subprocess.run([cuobjdump, "-sass", cubin], capture_output=True,
                                          text=True, env=env)
                    if sass.returncode != 0:
                        print(f"{name}: cuobjdump failed: {sass.stderr.strip()}")
                        ok = False
                    hmma = len(re.findall(r"\bHMMA\.16816\.F32", sass.stdout))
                    shfl_sass = len(re.findall(r"\bSHFL\.BFLY", sass.stdout))
            entry = {"file": name, "chip": chip, "registers": max(regs, default=0),
                     "spill_bytes": spills, "shared_bytes": smem, "mma_sync_ptx": mma,
                     "hmma_sass": hmma, "shfl_bfly_ptx": shfl, "shfl_bfly_sass": shfl_sass}
            results.append(entry)
            if spills:
                print(f"{name}: {spills} bytes of spills")
                ok = False
            if hmma is not None and mma and hmma == 0:
                print(f"{name}: PTX has mma.sync but the SASS has no HMMA.16816.F32")
                ok = False
            if shfl_sass is not None and shfl and shfl_sass == 0:
                print(f"{name}: PTX has shfl.sync.bfly but the SASS has no SHFL.BFLY")
                ok = False
    return manifest, results, ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ptxas", default="/usr/local/cuda/bin/ptxas")
    parser.add_argument("--cuobjdump")
    parser.add_argument("--json")
    parser.add_argument("dirs", nargs="+")
    args = parser.parse_args()
    all_ok, report = True, {}
    for directory in args.dirs:
        manifest, results, ok = check_dir(directory, args.ptxas, args.cuobjdump)
        all_ok &= ok
        report[directory] = results
        chips = sorted({r["chip"] for r in results})
        tc = [r for r in results if r["mma_sync_ptx"]]
        line = (f"{'/'.join(chips)}: {len(results)} kernels assembled, "
                f"{len(manifest['launches'])} launches, "
                f"{sum(r['spill_bytes'] for r in results)} spill bytes, "
                f"max {max((r['registers'] for r in results), default=0)} registers, "
                f"{len(tc)} on tensor cores")
        if args.cuobjdump:
            line += f" ({sum(r['hmma_sass'] or 0 for r in tc)} HMMA.16816.F32 in SASS)"
        rows = [r for r in results if r["shfl_bfly_ptx"]]
        line += f", {len(rows)} with block reductions"
        if args.cuobjdump:
            line += f" ({sum(r['shfl_bfly_sass'] or 0 for r in rows)} SHFL.BFLY in SASS)"
        print(line)
    if args.json:
        json.dump(report, open(args.json, "w"), indent=1)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
