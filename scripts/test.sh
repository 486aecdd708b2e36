#!/usr/bin/env bash
# Runs every test: set-up (idempotent), build, lit (dialect, passes,
# conversion, CPU execution, rounding proof, plugins), unit tests, the
# install/consumer test, corpus robustness and acceptance, the ASan + UBSan
# build running lit and unit tests, and determinism. Ends with one summary
# line.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
"$here/scripts/setup.sh" || exit 1
"$here/scripts/build.sh" || { echo "0 passed, 1 failed (build)"; exit 1; }
# The real-model environment (torch, torch-mlir, weights; about 3 minutes the
# first time): the lit suite's test/Models need it. MP_SKIP_MODELS=1 skips it
# (the model tests then report UNSUPPORTED).
models_setup_failed=0
if [ "${MP_SKIP_MODELS:-0}" != 1 ]; then
  "$here/scripts/setup-models.sh" || models_setup_failed=1
fi

export PATH="/usr/lib/llvm-22/bin:$PATH"
passed=0; failed=0

echo "== lit"
lit_out=$("$here/.venv/bin/lit" -sv "$build/test" 2>&1); lit_rc=$?
echo "$lit_out" | grep -vE "^(PASS|UNSUPPORTED):" | tail -n 40
lit_pass=$(echo "$lit_out" | sed -nE 's/^ *Passed *: *([0-9]+).*/\1/p' | tail -1)
lit_fail=$(echo "$lit_out" | sed -nE 's/^ *Failed *: *([0-9]+).*/\1/p' | tail -1)
passed=$((passed + ${lit_pass:-0})); failed=$((failed + ${lit_fail:-0}))
[ $lit_rc -ne 0 ] && [ -z "${lit_fail:-}" ] && failed=$((failed + 1))

if [ $models_setup_failed -ne 0 ]; then
  echo "setup-models.sh failed: the model tests did not run"; failed=$((failed + 1))
fi

echo "== unit tests (ctest)"
ctest_out=$(ctest --test-dir "$build" --output-on-failure 2>&1); ctest_rc=$?
echo "$ctest_out" | tail -n 15
ctest_total=$(echo "$ctest_out" | sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p')
ctest_fail=$(echo "$ctest_out" | sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p')
if [ -n "$ctest_total" ]; then
  passed=$((passed + ctest_total - ctest_fail)); failed=$((failed + ctest_fail))
elif [ $ctest_rc -ne 0 ]; then failed=$((failed + 1)); fi

echo "== generated reference docs"
if "$here/scripts/gen-docs.sh" --check; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== install and consumer project"
if "$here/scripts/test-install.sh"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== corpus robustness"
corpus=${MP_CORPUS_DIR:-$here/../shared/corpus}
if [ -d "$corpus" ]; then
  if "$here/.venv/bin/python" "$here/scripts/corpus-check.py" --mp-opt "$build/bin/mp-opt" \
      --corpus "$corpus"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
  echo "corpus not found at $corpus"; failed=$((failed + 1))
fi

echo "== mixed-precision acceptance on the corpus models"
if [ -d "$corpus" ]; then
  if "$here/.venv/bin/python" "$here/scripts/accept-corpus.py" --mp-opt "$build/bin/mp-opt" \
      --mp-run "$build/bin/mp-run" --python "$here/.venv/bin/python" --corpus "$corpus" \
      --generator "$here/scripts/gen-encoder.py"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
  failed=$((failed + 1))
fi

echo "== sanitizers (ASan + UBSan: lit and unit suites)"
if "$here/scripts/sanitize.sh" > "$build/sanitize.log" 2>&1; then
  passed=$((passed + 1)); tail -n 3 "$build/sanitize.log"
else
  failed=$((failed + 1))
  grep -E "^(FAIL|XPASS)|ERROR: |runtime error|Failed Tests|tests failed" "$build/sanitize.log" | head -n 40
  echo "(full log: $build/sanitize.log)"
fi

echo "== fuzzing (libFuzzer: .npy reader, mp attributes, pipelines on parsed IR)"
if "$here/scripts/fuzz.sh"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

echo "== determinism (byte-identical output of every shipped pipeline)"
if [ -d "$corpus" ]; then
  if "$here/.venv/bin/python" "$here/scripts/determinism-check.py" --mp-opt "$build/bin/mp-opt" \
      --corpus "$corpus" --mp-compile "$build/bin/mp-compile" \
      --example "$here/examples/transformer-block.mlir"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
