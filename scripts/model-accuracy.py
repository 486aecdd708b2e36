#!/usr/bin/env python3
"""Accuracy of mp's precision policies on the real models, side by side with
PyTorch's own low-precision modes, against PyTorch f32. Writes a markdown
table and JSON (and, with --plot, PNG plots).

  model-accuracy.py minilm  [--seq 64] [--batch 32] [--policies f32,bf16,f16,fp8,w8a8]
  model-accuracy.py smollm2 [--seq 128] [--batch 32] [--policies f32,bf16,f16,fp8,w8a16,w4a16]
  (a policy may carry more mp-mixed-precision options: w4a16:group-size=32)

Runs scripts/import-model.py with the model environment (.venv-models, from
scripts/setup-models.sh) unless --work already holds the import, then
`mp-run --pipeline "builtin.module(mp-mixed-precision{policy=P report=...})"`
per policy. Metrics:
  minilm   last hidden state over real (unmasked) tokens: cosine, max abs error;
           sentence embeddings: mean and worst per-sentence cosine, max abs error.
  smollm2  perplexity exp(mean nll) over every window, its change against
           PyTorch f32, and top-1 agreement (the model's top token equals
           PyTorch f32's: margin == 0).
Weight bytes: mp's from the precision report (constants as stored), PyTorch's
as the parameter dtype stores them (autocast keeps f32 weights).
Exit status 1 when a --require condition fails (for tests).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TORCH_VARIANTS = ["bf16", "f16", "autocast-bf16", "autocast-f16"]


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def import_model(args):
    meta_path = os.path.join(args.work, "meta.json")
    if os.path.exists(meta_path) and not args.reimport:
        meta = json.load(open(meta_path))
        if meta.get("seq") == args.seq and meta.get("batch") == args.batch and \
                meta.get("layers_requested") == args.layers:
            return meta
    py = args.models_python or os.path.join(ROOT, ".venv-models", "bin", "python")
    cmd = [py, os.path.join(HERE, "import-model.py"), args.model, "--out", args.work,
           "--seq", str(args.seq), "--batch", str(args.batch), "--per-layer"]
    if args.layers:
        cmd += ["--layers", str(args.layers)]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    meta = json.load(open(meta_path))
    meta["layers_requested"] = args.layers
    json.dump(meta, open(meta_path, "w"), indent=1)
    return meta


def run_mp(args, meta, policy):
    # "w4a16:group-size=32": the policy with more mp-mixed-precision options.
    name, *extra = policy.split(":")
    out = os.path.join(args.work, "mp." + policy.replace(":", ".").replace("=", "-"))
    os.makedirs(out, exist_ok=True)
    report = os.path.join(out, "report.json")
    cmd = [os.path.join(args.bin, "mp-run"), os.path.join(args.work, "model.mlir"),
           "--output-dir", out, "--json", os.path.join(out, "run.json"), "--timing"]
    for i in range(len(meta["inputs"])):
        cmd += ["--input", os.path.join(args.work, f"in.{i}.npy")]
    opts = " ".join([f"policy={name}", f"report={report}"] + extra)
    cmd += ["--pipeline", f"builtin.module(mp-mixed-precision{{{opts}}})"]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        print(r.stdout[-3000:], r.stderr[-3000:], file=sys.stderr)
        return None
    outs = [np.load(os.path.join(out, f"main.{i}.npy")) for i in range(len(meta["outputs"]))]
    rep = json.load(open(report))
    return {"outputs": outs, "weight_bytes": rep["totals"]["constant_bytes"]["total"],
            "wall_s": wall, "timing": json.load(open(os.path.join(out, "run.json"))).get("timing")}


def torch_outputs(args, meta, variant):
    return [np.load(os.path.join(args.work, f"torch.{variant}.{i}.npy"))
            for i in range(len(meta["outputs"]))]


def minilm_metrics(outs, ref, mask):
    valid = mask.astype(bool)
    h, hr = outs[0][valid], ref[0][valid]
    e, er = outs[1], ref[1]
    per = [cosine(e[i], er[i]) for i in range(e.shape[0])]
    layers = [cosine(o[valid], r[valid]) for o, r in zip(outs[2:], ref[2:])]
    return {"hidden_cosine": cosine(h, hr), "hidden_max_abs": float(np.abs(h - hr).max()),
            "embedding_cosine_mean": float(np.mean(per)), "embedding_cosine_min": float(np.min(per)),
            "embedding_max_abs": float(np.abs(e - er).max()), "layer_cosine": layers,
            "nonfinite": int(sum((~np.isfinite(o)).sum() for o in outs))}


def smollm2_metrics(outs, ref):
    nll, margin = outs[0].astype(np.float64), outs[1]
    layers = [cosine(o, r) for o, r in zip(outs[2:], ref[2:])]
    ppl = float(np.exp(nll.mean()))
    return {"perplexity": ppl, "top1_agreement": float((margin <= 0).mean()),
            "layer_cosine": layers, "nonfinite": int(sum((~np.isfinite(o)).sum() for o in outs))}


def main():
    # Line-buffered: when a run dies, what was printed before it reaches the log.
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", choices=["minilm", "smollm2"])
    ap.add_argument("--seq", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--policies")
    ap.add_argument("--work", help="import folder (default build/models/MODEL-sSEQ-bBATCH)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--models-python")
    ap.add_argument("--reimport", action="store_true")
    ap.add_argument("--markdown", help="write the table here")
    ap.add_argument("--json", help="write all metrics here")
    ap.add_argument("--plot", help="write PNG plots with this path prefix")
    ap.add_argument("--require", action="append", default=[],
                    help="POLICY:METRIC>=X or POLICY:METRIC<=X (relative to PyTorch f32; "
                         "METRIC ppl_change_pct for perplexity change in %%)")
    args = ap.parse_args()
    small = args.model == "minilm"
    args.seq = args.seq or (64 if small else 128)
    args.batch = args.batch or (32 if small else 32)
    policies = (args.policies or ("f32,bf16,f16,fp8,w8a8" if small else
                                  "f32,bf16,f16,fp8,w8a16,w4a16")).split(",")
    args.work = args.work or os.path.join(ROOT, "build", "models",
                                          f"{args.model}-s{args.seq}-b{args.batch}")
    meta = import_model(args)
    ref = torch_outputs(args, meta, "f32")
    mask = np.load(os.path.join(args.work, "in.1.npy")) if small else None
    f32_bytes = meta["f32_weight_bytes"]
    rows = []

    def metrics(outs):
        return minilm_metrics(outs, ref, mask) if small else smollm2_metrics(outs, ref)

    for v in TORCH_VARIANTS:
        m = metrics(torch_outputs(args, meta, v))
        m.update(name=f"PyTorch {v}", weight_bytes=f32_bytes if v.startswith("autocast") else f32_bytes // 2)
        rows.append(m)
    for p in policies:
        r = run_mp(args, meta, p)
        if r is None:
            rows.append({"name": f"mp {p}", "failed": True})
            print(f"model-accuracy: mp {p} failed", flush=True)
            continue
        m = metrics(r["outputs"])
        m.update(name=f"mp {p}", weight_bytes=r["weight_bytes"], wall_s=r["wall_s"],
                 timing=r["timing"])
        rows.append(m)
        print(f"model-accuracy: mp {p}: " + json.dumps({k: v for k, v in m.items()
                                                       if k not in ("layer_cosine", "timing")}),
              flush=True)
    if not small:
        base = smollm2_metrics(ref, ref)["perplexity"]
        for m in rows:
            if "perplexity" in m:
                m["ppl_change_pct"] = (m["perplexity"] / base - 1) * 100
        rows.insert(0, {"name": "PyTorch f32", "perplexity": base, "top1_agreement": 1.0,
                        "ppl_change_pct": 0.0, "weight_bytes": f32_bytes, "nonfinite": 0})

    cols = (["hidden_cosine", "hidden_max_abs", "embedding_cosine_mean", "embedding_cosine_min",
             "embedding_max_abs"] if small else ["perplexity", "ppl_change_pct", "top1_agreement"])
    cols += ["nonfinite", "weight_bytes"]
    lines = ["| variant | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for m in rows:
        if m.get("failed"):
            lines.append(f"| {m['name']} | " + " | ".join("failed" for _ in cols) + " |")
            continue
        cells = []
        for c in cols:
            v = m.get(c)
            cells.append("" if v is None else (f"{v:.7f}" if "cosine" in c or c == "top1_agreement"
                                               else f"{v:.4g}" if isinstance(v, float) else str(v)))
        lines.append(f"| {m['name']} | " + " | ".join(cells) + " |")
    head = (f"{args.model}: {meta['layers']} layers, batch {args.batch}, sequence {args.seq}, "
            f"{meta['tokens']} tokens; against PyTorch f32")
    table = head + "\n\n" + "\n".join(lines) + "\n"
    print(table)
    if args.markdown:
        open(args.markdown, "w").write(table)
    if args.json:
        json.dump({"meta": meta, "rows": rows}, open(args.json, "w"), indent=1)
    if args.plot:
        plot(args, rows, small)

    failed = False
    for req in args.require:
        pol, cond = req.rsplit(":", 1)  # policies may hold ":" (w4a16:group-size=32)
        op = ">=" if ">=" in cond else "<="
        metric, value = cond.split(op)
        row = next((m for m in rows if m["name"] == f"mp {pol}"), None)
        got = None if row is None or row.get("failed") else row.get(metric)
        ok = got is not None and (got >= float(value) if op == ">=" else got <= float(value))
        print(f"require {req}: {'ok' if ok else 'FAILED'} (got {got})")
        failed |= not ok
    sys.exit(1 if failed else 0)


def plot(args, rows, small):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for m in rows:
        if m.get("layer_cosine"):
            ax.plot(range(1, len(m["layer_cosine"]) + 1),
                    [max(1 - c, 1e-9) for c in m["layer_cosine"]], marker="o", ms=3,
                    label=m["name"], linestyle="--" if m["name"].startswith("PyTorch") else "-")
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("1 - cosine with PyTorch f32 (layer output)")
    ax.set_title(f"{args.model}: error along the network")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.plot + "-layers.png", dpi=120)
    fig, ax = plt.subplots(figsize=(6, 4))
    key = "embedding_cosine_mean" if small else "ppl_change_pct"
    for m in rows:
        if m.get(key) is None:
            continue
        y = 1 - m[key] if small else abs(m[key])
        ax.scatter(m["weight_bytes"] / 2**20, max(y, 1e-9),
                   marker="x" if m["name"].startswith("PyTorch") else "o")
        ax.annotate(m["name"], (m["weight_bytes"] / 2**20, max(y, 1e-9)), fontsize=7)
    ax.set_yscale("log")
    ax.set_xlabel("weight MiB")
    ax.set_ylabel("1 - embedding cosine" if small else "|perplexity change| %")
    ax.set_title(f"{args.model}: accuracy against weight bytes")
    fig.tight_layout()
    fig.savefig(args.plot + "-bytes.png", dpi=120)


if __name__ == "__main__":
    main()
