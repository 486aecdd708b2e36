#!/usr/bin/env bash
# The prepared GPU check. Here (no GPU): build, then write the bundle that
# travels to the GPU machine (under 64 MiB, no MLIR inside):
#   scripts/gpu-check.sh prepare [BUNDLE]        (default build/gpu-check)
# On the GPU machine (CUDA driver; PyTorch for the cuBLAS baselines):
#   scripts/gpu-check.sh run [BUNDLE] [--out results.json]
# Details and the JSON it writes: scripts/gpu_check.py, docs/Artifacts.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
command=${1:-}
shift || true
case "$command" in
  prepare)
    bundle=${1:-$here/build/gpu-check}
    shift || true
    "$here/scripts/setup.sh" >/dev/null
    "$here/scripts/build.sh" >/dev/null
    exec "$here/.venv/bin/python" "$here/scripts/gpu_check.py" prepare "$bundle" "$@"
    ;;
  run)
    bundle=${1:-$here/build/gpu-check}
    shift || true
    # The GPU machine's Python (with PyTorch) when there is no venv.
    python=python3
    [ -x "$here/.venv/bin/python" ] && python="$here/.venv/bin/python"
    "$python" -c "import torch" 2>/dev/null || { command -v python3 >/dev/null && python3 -c "import torch" 2>/dev/null && python=python3; } || true
    exec "$python" "$here/scripts/gpu_check.py" run "$bundle" "$@"
    ;;
  *)
    echo "usage: $0 prepare [BUNDLE] [--cases a,b] [--chip sm_90a] | run [BUNDLE] [--out FILE] [--driver PATH]" >&2
    exit 2
    ;;
esac
