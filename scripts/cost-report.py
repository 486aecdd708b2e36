#!/usr/bin/env python3
"""Print the static cost report of kernels that mp-lower-to-ptx dumped
(dump-dir=DIR): per launch its FLOPs, minimum global bytes, arithmetic
intensity and roofline time on an H200, then the totals against the unfused
graph (one kernel per op after elementwise fusion).

The numbers come from kernels.json ("cost" of each launch, written by
mp-gpu-dump-kernels from what mp-gpu-map-kernels recorded). Bytes count every
buffer a kernel reads, once whole, and every buffer it writes, once whole.

usage: cost-report.py [--per-launch] DIR...
"""
import argparse
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-launch", action="store_true", help="one line per launch")
    parser.add_argument("dirs", nargs="+")
    args = parser.parse_args()
    status = 0
    for directory in args.dirs:
        manifest = json.load(open(os.path.join(directory, "kernels.json")))
        total = manifest.get("cost")
        if total is None:
            print(f"{directory}: no cost report (kernels not mapped by mp-gpu-map-kernels)")
            status = 1
            continue
        if args.per_launch:
            for i, launch in enumerate(manifest["launches"]):
                cost = launch.get("cost")
                if cost is None:
                    print(f"  {i:4d} {launch['binary']}::{launch['kernel']}: no cost")
                    continue
                print(f"  {i:4d} {launch['binary']}::{launch['kernel']}: "
                      f"{cost['flops']} flops, {cost['bytes']} bytes, "
                      f"intensity {cost['intensity']:.2f}, roofline {cost['roofline_us']:.4f} us "
                      f"({cost['bound']}-bound{', tensor cores' if cost['tensor_cores'] else ''}), "
                      f"{cost['ops']} ops fused")
        ratio = total["unfused_bytes"] / total["bytes"] if total["bytes"] else 0.0
        print(f"{directory}: {total['launches']} launches ({total['unfused_kernels']} unfused), "
              f"{total['bytes']} bytes ({total['unfused_bytes']} unfused, {ratio:.2f}x less), "
              f"{total['flops']} flops, roofline {total['roofline_us']:.4f} us on H200")
    return status


if __name__ == "__main__":
    sys.exit(main())
