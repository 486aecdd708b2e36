#!/usr/bin/env bash
# Configure (once) and build mp into build/ (BUILD_DIR overrides).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$here" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_INSTALL_PREFIX="$build/install" \
    -DPython3_EXECUTABLE="$here/.venv/bin/python"
fi
cmake --build "$build" "$@"
