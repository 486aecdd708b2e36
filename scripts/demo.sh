#!/usr/bin/env bash
# The main job: compile the shipped transformer block (examples/) to mixed
# precision with mp-mixed-precision, show what was decided, lower it to PTX
# kernels with mp-lower-to-ptx (tensor cores for the bf16 contractions;
# assembled with ptxas where the CUDA toolkit is installed), and measure the
# error against the f32 original on the CPU with exact bf16 rounding; then
# compile it with mp-compile into an artifact the runtime runs without MLIR.
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
chip=${CHIP:-sm_90a}
echo "== mp-opt: mp-mixed-precision{policy=$policy},mp-lower-to-ptx{chip=$chip}"
"$build/bin/mp-opt" "$model" -o "$out/gpu.mlir" \
  --pass-pipeline="builtin.module(mp-mixed-precision{policy=$policy},mp-lower-to-ptx{chip=$chip dump-dir=$out/kernels})"
"$here/.venv/bin/python" - "$out/kernels" <<'PY'
import collections, json, os, re, sys
d = sys.argv[1]
k = json.load(open(os.path.join(d, "kernels.json")))
kinds = collections.Counter()
for b in k["binaries"]:
    ptx = open(os.path.join(d, b["files"][0])).read()
    b["mma"] = len(re.findall(r"mma\.sync\.aligned\.m16n8k16\.row\.col\.f32\.(bf16|f16)", ptx))
tc = {b["name"] for b in k["binaries"] if b["mma"]}
for l in k["launches"]:
    kinds["tensor-core (mma.sync)" if l["binary"] in tc else "one thread per point"] += 1
print(f"{len(k['launches'])} launches of {len(k['binaries'])} distinct kernels "
      f"(identical kernels emitted once): " + ", ".join(f"{n} {w}" for w, n in kinds.items()))
for l in k["launches"]:
    if l["binary"] in tc:
        print(f"  tensor cores: {l['binary']:18s} grid {l['grid']} block {l['block']}  {l['loc']}")
print(f"PTX: {d}/*.ptx")
PY
"$here/.venv/bin/python" "$here/scripts/cost-report.py" "$out/kernels"
if [ -x /usr/local/cuda/bin/ptxas ]; then
  "$here/.venv/bin/python" "$here/scripts/check-ptx.py" "$out/kernels"
else
  echo "(ptxas not found at /usr/local/cuda/bin: PTX not assembled)"
fi
echo
echo "== mp-run: f32 reference vs mixed precision, on the CPU"
"$build/bin/mp-run" "$model" --pipeline "mp-mixed-precision{policy=$policy}" --compare-f32 --timing
echo
echo "== mp-compile: the artifact a GPU machine runs with only mp's runtime (no MLIR)"
"$build/bin/mp-compile" "$model" -o "$out/model.mpa" --policy "$policy" --chip "$chip"
"$here/.venv/bin/python" "$here/scripts/check-artifact.py" "$out/model.mpa"
echo "run it on a GPU: mp-run --device=cuda $out/model.mpa (here: no CUDA driver, so that would exit 10)"
