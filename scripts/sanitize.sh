#!/usr/bin/env bash
# Builds mp with AddressSanitizer + UndefinedBehaviorSanitizer (clang-22) into
# build-asan/ (SANITIZE_BUILD_DIR overrides) and runs the lit and unit suites
# under it. Any sanitizer report fails the run (halt_on_error, and lit fails
# on a non-zero exit). Safe to re-run; reuses the build directory.
#
# How the pieces fit:
#  - mp's libraries link with -z defs, so the sanitizer runtime must be a
#    shared library (-shared-libsan) found through an rpath to clang's runtime
#    directory;
#  - libMLIR.so and LLVM are not instrumented. allow_user_poisoning=0 silences
#    false reports where LLVM's own allocators poison memory the instrumented
#    code then reads; everything mp allocates is still checked;
#  - UBSan's vptr check needs RTTI, which LLVM-based code is built without;
#  - leaks are checked (detect_leaks=1): the suites must not leak;
#  - the plugin test runs the stock, uninstrumented mlir-opt: the ASan runtime
#    is preloaded into it (lit parameter mp_preload).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD_DIR:-$here/build-asan}
"$here/scripts/setup.sh" >/dev/null
rtdir=$(clang++-22 -print-runtime-dir)
asan_rt="$rtdir/libclang_rt.asan-x86_64.so"
[ -f "$asan_rt" ] || { echo "sanitize: $asan_rt not found"; exit 1; }
# fuzzer-no-link: coverage for the libFuzzer targets (fuzz/, scripts/fuzz.sh),
# which this build also makes; it changes nothing else.
flags="-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize=vptr -fno-sanitize-recover=undefined -fno-omit-frame-pointer -shared-libsan"
cmake -S "$here" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="$flags -Wl,-rpath,$rtdir" \
  -DCMAKE_SHARED_LINKER_FLAGS="$flags -Wl,-rpath,$rtdir" \
  -DCMAKE_MODULE_LINKER_FLAGS="$flags -Wl,-rpath,$rtdir" \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DMP_BUILD_FUZZERS=ON \
  -DPython3_EXECUTABLE="$here/.venv/bin/python" >/dev/null
cmake --build "$build"
export PATH="/usr/lib/llvm-22/bin:$PATH"
export ASAN_OPTIONS="allow_user_poisoning=0:detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$here/scripts/lsan.supp:print_suppressions=0"
status=0
"$here/.venv/bin/lit" -sv "$build/test" --param mp_preload="$asan_rt" || status=1
ctest --test-dir "$build" --output-on-failure || status=1
exit $status
