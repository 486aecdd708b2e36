#!/usr/bin/env python3
"""Checks an mp-compile artifact without a GPU, independently of the writer.

- every file the manifest names exists; weights.bin has the manifest's size and
  every weight lies inside it, aligned, without overlapping another;
- the buffer plan: every arena buffer lies inside the arena, and two buffers
  whose live ranges overlap never share a byte;
- every launch names a kernel that is an .entry of its module's PTX, whose
  parameter count is the manifest's;
- model.c launches exactly the manifest's launches, in order.

Prints one summary line; exits 1 with the reasons when a check fails.
  check-artifact.py DIR
"""
import json
import os
import re
import sys


def main():
    d = sys.argv[1]
    m = json.load(open(os.path.join(d, "manifest.json")))
    errors = []
    for name in ("model.c", m["weights"]["file"]):
        if not os.path.exists(os.path.join(d, name)):
            errors.append(f"missing {name}")
    # Weights.
    wsize = os.path.getsize(os.path.join(d, m["weights"]["file"]))
    if wsize != m["weights"]["bytes"]:
        errors.append(f"weights.bin has {wsize} bytes, the manifest says {m['weights']['bytes']}")
    spans = sorted((t["offset"], t["offset"] + t["bytes"], t["name"]) for t in m["weights"]["tensors"])
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            errors.append(f"weights {n0} and {n1} overlap")
    for b, e, n in spans:
        if b % 256 or e > wsize:
            errors.append(f"weight {n} at [{b}, {e}) is misaligned or outside weights.bin")
    # Buffer plan.
    plan = m["buffer_plan"]
    arena = [b for b in plan["buffers"] if "offset" in b]
    for b in arena:
        if b["offset"] % plan["alignment"] or b["offset"] + b["bytes"] > plan["arena_bytes"]:
            errors.append(f"buffer at {b['loc']} lies outside the arena or is misaligned")
    for i, a in enumerate(arena):
        for b in arena[i + 1:]:
            live = not (a["live"][1] < b["live"][0] or b["live"][1] < a["live"][0])
            bytes_ = not (a["offset"] + a["bytes"] <= b["offset"] or b["offset"] + b["bytes"] <= a["offset"])
            if live and bytes_:
                errors.append(f"buffers at {a['loc']} and {b['loc']} are live together and share bytes")
    # Kernels.
    ptx = {}
    for stem in m["kernels"]["modules"]:
        path = os.path.join(d, stem + ".ptx")
        if os.path.exists(path):
            ptx[stem.rsplit(".", 1)[0]] = open(path).read()
        elif not os.path.exists(os.path.join(d, stem + ".cubin")):
            errors.append(f"no kernels for module {stem}")
    for i, l in enumerate(m["kernels"]["launches"]):
        text = ptx.get(l["binary"])
        if text is None:
            continue
        entry = re.search(r"\.entry\s+" + re.escape(l["kernel"]) + r"\s*\(([^)]*)\)", text)
        if not entry:
            errors.append(f"launch {i}: no .entry {l['kernel']} in {l['binary']}")
            continue
        params = len(re.findall(r"\.param\b", entry.group(1)))
        if params != l["parameters"]:
            errors.append(f"launch {i}: {l['kernel']} takes {params} parameters, the launch passes {l['parameters']}")
    source = open(os.path.join(d, "model.c")).read()
    launched = re.findall(r"/\* (\d+): (\S+)::(\S+) at ", source)
    expected = [(str(i), l["binary"], l["kernel"]) for i, l in enumerate(m["kernels"]["launches"])]
    if launched != expected:
        errors.append(f"model.c launches {len(launched)} kernels, the manifest lists {len(expected)} (or in another order)")
    if errors:
        print("check-artifact: FAILED\n  " + "\n  ".join(errors))
        return 1
    print(f"check-artifact: ok: {len(expected)} launches, {len(ptx)} PTX modules, "
          f"{len(spans)} weights ({wsize} bytes), arena {plan['arena_bytes']} bytes for "
          f"{len(arena)} buffers ({plan['unshared_bytes']} without sharing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
