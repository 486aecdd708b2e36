#!/usr/bin/env bash
# Installs mp into a fresh prefix, then configures, builds and runs the consumer
# project in test/consumer against it through find_package(MP CONFIG).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
prefix="$build/install-test"
rm -rf "$prefix" "$build/consumer"
cmake --install "$build" --prefix "$prefix" >/dev/null
cmake -S "$here/test/consumer" -B "$build/consumer" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build "$build/consumer" >/dev/null
out=$("$build/consumer/mp-consumer")
echo "$out" | grep -q "linalg.generic" || { echo "install test: lowering missing"; exit 1; }
echo "$out" | grep -q "mp.cast" && { echo "install test: mp.cast not lowered"; exit 1; }
echo "$out" | grep -q "runtime: MPCU_NO_DRIVER" || { echo "install test: runtime libraries missing"; exit 1; }
echo "$out" | tail -n 1
for f in bin/mp-opt bin/mp-run bin/mp-device-info lib/libmpRuntimeHost.so lib/libmpRuntimeCuda.so \
         include/mp/Runtime/Npy.h include/mp/Runtime/Cuda.h lib/MPDialectPlugin.so lib/MPPassPlugin.so lib/cmake/mp/MPConfig.cmake \
         include/mp/Dialect/MP/IR/MPDialect.h include/mp/Dialect/MP/IR/MPOps.h.inc; do
  [ -e "$prefix/$f" ] || { echo "install test: missing $f"; exit 1; }
done
# The installed plugins load into the stock mlir-opt and run a pipeline.
echo 'func.func @f(%x: tensor<4xf32>) -> tensor<4xf16> { %0 = mp.cast %x : tensor<4xf32> to tensor<4xf16>
  return %0 : tensor<4xf16> }' | /usr/lib/llvm-22/bin/mlir-opt \
  --load-dialect-plugin="$prefix/lib/MPDialectPlugin.so" --load-pass-plugin="$prefix/lib/MPPassPlugin.so" \
  --pass-pipeline="builtin.module(mp-lower-to-arith)" | grep -q "linalg.generic" \
  || { echo "install test: installed plugins do not work in mlir-opt"; exit 1; }
echo "install test: passed"
