#!/usr/bin/env bash
# Idempotent set-up: Debian packages (LLVM/MLIR 22, build tools) and a Python venv for test helpers.
# Safe to re-run; does nothing that is already done.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

# gcc/g++: the build's default compilers and the `cc` that mp-compile builds
# libmodel.so with; binutils: nm for the artifact tests.
pkgs=(llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 ninja-build ccache cmake gcc g++ binutils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# Python venv: lit (test driver), numpy + ml_dtypes (independent rounding reference).
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -m venv "$venv" 2>/dev/null; then
    # Debian's python3 needs python3-venv for this.
    rm -rf "$venv"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
    python3 -m venv "$venv"
  fi
fi
"$venv/bin/python" -c 'import numpy, ml_dtypes, lit' 2>/dev/null || \
  "$venv/bin/pip" install -q --disable-pip-version-check numpy ml_dtypes lit
# SASS inspection of the generated kernels (cuobjdump runs nvdisasm): the
# CUDA toolkit on this machine kind has ptxas but neither of them.
ls "$venv"/lib/python3*/site-packages/nvidia/cu*/bin/nvdisasm >/dev/null 2>&1 || \
  "$venv/bin/pip" install -q --disable-pip-version-check nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm
echo "setup: ok"
