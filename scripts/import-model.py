#!/usr/bin/env python3
"""Import a real model from PyTorch into mp: linalg-on-tensors MLIR with its
weights, the evaluation inputs as .npy, and PyTorch's own outputs (f32,
.to(bfloat16), .to(float16), autocast bf16/f16) as references.

  import-model.py minilm  --out DIR [--seq 64] [--batch 32] [--layers N]
  import-model.py smollm2 --out DIR [--seq 128] [--batch 4] [--layers N] [--window-offset 0]

Needs the model environment (scripts/setup-models.sh): torch, torch-mlir,
safetensors, gguf, tokenizers and the weight packages. Writes into DIR:
  model.mlir            the f32 model, entry `main`
  in.N.npy              inputs, in argument order
  torch.<variant>.N.npy PyTorch's outputs (f32 widened for the low-precision variants)
  meta.json             shapes, parameter and weight byte counts, timings, tokens
"""
import argparse
import contextlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mp_models import data, export  # noqa: E402


def variants(module, inputs):
    """PyTorch's outputs in f32 and in the usual low-precision modes."""
    out = {}

    def run(m, ins, ctx=contextlib.nullcontext()):
        with torch.no_grad(), ctx:
            r = m(*ins)
        r = r if isinstance(r, tuple) else (r,)
        return [t.float().numpy() if t.is_floating_point() else t.numpy() for t in r]

    t0 = time.perf_counter()
    out["f32"] = run(module, inputs)
    f32_ms = (time.perf_counter() - t0) * 1e3
    for name, dt in (("bf16", torch.bfloat16), ("f16", torch.float16)):
        m = __import__("copy").deepcopy(module).to(dt)
        ins = [t.to(dt) if t.is_floating_point() else t for t in inputs]
        out[name] = run(m, ins)
        out[f"autocast-{name}"] = run(module, inputs, torch.autocast("cpu", dtype=dt))
    return out, f32_ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", choices=["minilm", "smollm2"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seq", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--layers", type=int, help="keep only the first N layers (smaller tests)")
    ap.add_argument("--window-offset", type=int, default=0,
                    help="smollm2: first window of the text to evaluate")
    ap.add_argument("--entry", choices=["nll", "logits"], default="nll",
                    help="smollm2: export the per-token (nll, margin) entry or the logits")
    ap.add_argument("--per-layer", action="store_true",
                    help="also output every layer's hidden state (for error per layer)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    meta = {"model": args.model}

    t0 = time.perf_counter()
    if args.model == "minilm":
        from mp_models import minilm
        seq, batch = args.seq or 64, args.batch or len(data.SENTENCES)
        model, root = minilm.load(args.layers)
        model.per_layer = args.per_layer
        tok = minilm.tokenizer(root)
        sents = [data.SENTENCES[i % len(data.SENTENCES)] for i in range(batch)]
        ids, mask = minilm.encode(tok, sents, seq)
        inputs, names = [ids, mask], ["ids", "mask"]
        meta.update(sentences=sents, tokens=int(mask.sum()), outputs=["hidden", "embedding"],
                    layers=len(model.layers))
        module = model
    else:
        from mp_models import smollm2
        seq, batch = args.seq or 128, args.batch or 4
        model, reader = smollm2.load(args.layers)
        tok = smollm2.tokenizer(reader)
        text = tok.encode(data.kjv_text()).ids
        need = (args.window_offset + batch) * seq + 1
        if len(text) < need:
            sys.exit(f"import-model: the text has {len(text)} tokens, {need} are needed")
        start = args.window_offset * seq
        win = np.array(text[start:start + batch * seq + 1], dtype=np.int64)
        ids = torch.from_numpy(win[:-1].reshape(batch, seq).copy())
        targets = torch.from_numpy(win[1:].reshape(batch, seq).copy())
        meta.update(text_tokens=len(text), tokens=batch * seq, layers=len(model.layers),
                    window_offset=args.window_offset)
        if args.entry == "logits":
            module, inputs, names = model, [ids], ["ids"]
            meta["outputs"] = ["logits"]
        else:
            with torch.no_grad():
                ref_top = model.logits(ids).argmax(-1)
            model.per_layer = args.per_layer
            module = smollm2.NLL(model)
            inputs, names = [ids, targets, ref_top], ["ids", "targets", "ref_top"]
            meta["outputs"] = ["nll", "margin"]
    meta["load_s"] = time.perf_counter() - t0
    params = sum(p.numel() for p in module.parameters())
    if args.per_layer:
        meta["outputs"] += [f"layer{i}" for i in range(meta["layers"])]
    meta.update(seq=seq, batch=batch, parameters=int(params), f32_weight_bytes=int(params) * 4,
                inputs=names)

    for i, t in enumerate(inputs):
        np.save(os.path.join(args.out, f"in.{i}.npy"), t.numpy())
    refs, f32_ms = variants(module, inputs)
    meta["torch_f32_ms"] = f32_ms
    for name, outs in refs.items():
        for i, o in enumerate(outs):
            np.save(os.path.join(args.out, f"torch.{name}.{i}.npy"), o)
    meta["export_s"] = export.export(module, inputs, os.path.join(args.out, "model.mlir"))
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"import-model: {args.model} ({meta['layers']} layers, {params} parameters, "
          f"batch {batch}, seq {seq}) -> {args.out}/model.mlir in {meta['export_s']:.1f} s")


if __name__ == "__main__":
    main()
