#!/usr/bin/env bash
# The main job: compile the shipped transformer block (examples/) to mixed
# precision with mp-mixed-precision, show what was decided, and measure the
# error against the f32 original on the CPU with exact bf16 rounding.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
"$here/scripts/setup.sh" >/dev/null
"$here/scripts/build.sh" >/dev/null
model="$here/examples/transformer-block.mlir"
policy=${POLICY:-bf16}
out=$(mktemp -d)

echo "== mp-opt: mp-mixed-precision{policy=$policy} on $(basename "$model")"
# Weights before: constants read by the ops the policy will decide.
"$build/bin/mp-opt" "$model" -o /dev/null --pass-pipeline="builtin.module(func.func(convert-elementwise-to-linalg),mp-assign-precision{policy=f32},mp-precision-report{file=$out/before.json})"
"$build/bin/mp-opt" "$model" \
  --pass-pipeline="builtin.module(mp-mixed-precision{policy=$policy report=$out/report.json})" \
  -o "$out/mixed.mlir"
"$here/.venv/bin/python" - "$out/report.json" "$out/before.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
before = json.load(open(sys.argv[2]))["totals"]["constant_bytes"]["read_by_decided_ops"]
print(f"{'op':16s} {'class':14s} {'format':30s} {'compute':8s} rule  (at location)")
for op in r["ops"]:
    print(f"{op['op']:16s} {op['class']:14s} {op['format']:30s} {op['compute']:8s} {op['rule']}  ({op['loc']})")
t = r["totals"]
print("ops per format:", t["ops_per_format"], " per compute type:", t["ops_per_compute_type"],
      " per class:", t["ops_per_class"])
print("casts:", t["casts"])
after = t["constant_bytes"]["read_by_decided_ops"]
print(f"weight bytes: {before} -> {after} ({after / max(before, 1):.2f}x)")
PY
echo "decisions verified by mp-verify-decisions (the pipeline's last check)"
echo "mixed-precision IR: $out/mixed.mlir ($(grep -c 'mp.cast' "$out/mixed.mlir") mp.cast lines)"
echo
echo "== mp-run: f32 reference vs mixed precision, on the CPU"
"$build/bin/mp-run" "$model" --pipeline "mp-mixed-precision{policy=$policy}" --compare-f32 --timing
