#!/usr/bin/env bash
# Runs the libFuzzer targets (fuzz/) built by scripts/sanitize.sh, each for a
# bounded, deterministic number of inputs (-seed fixed, -runs bounded), on top
# of the checked-in seeds (fuzz/corpus/) and, for the pipeline target, the lit
# inputs and the shared corpus models. New inputs go to a scratch corpus, not
# the repository. Any crash, leak, sanitizer report or timeout fails the run;
# the reproducer is kept under the build directory. Prints the executions.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SANITIZE_BUILD_DIR:-$here/build-asan}
corpus=${MP_CORPUS_DIR:-$here/../shared/corpus}
runs_scale=${MP_FUZZ_SCALE:-1}
export ASAN_OPTIONS="allow_user_poisoning=0:detect_leaks=1"
# libFuzzer's static runtime comes before the shared ASan runtime in the link
# order; preloading puts ASan first, as it requires.
asan_rt="$(clang++-22 -print-runtime-dir)/libclang_rt.asan-x86_64.so"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
work=$(mktemp -d)
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

# Pipeline seeds: every lit input split at "// -----", and small corpus models.
mkdir -p "$work/pipeline"
"$here/.venv/bin/python" - "$here/test" "$corpus" "$work/pipeline" <<'PY'
import pathlib, sys
test, corpus, out = map(pathlib.Path, sys.argv[1:])
n = 0
sources = sorted(test.rglob("*.mlir")) + sorted((corpus / "models").rglob("*.mlir"))
for path in sources:
    text = path.read_text(errors="replace")
    for part in text.split("// -----"):
        if 0 < len(part) <= 20000 and "func.func" in part:
            (out / f"seed{n:04d}.mlir").write_text(part)
            n += 1
print(f"pipeline seeds: {n}")
PY

status=0
run() {
  local name=$1 runs=$2 max_len=$3; shift 3
  mkdir -p "$work/$name-corpus"
  local log="$work/$name.log"
  if LD_PRELOAD="$asan_rt" "$build/bin/$name" "$work/$name-corpus" "$@" -seed=1 -runs=$((runs * runs_scale)) \
      -max_len="$max_len" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$name-" > "$log" 2>&1; then
    echo "fuzz $name: ok, $(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$') executions, corpus $(ls "$work/$name-corpus" | wc -l) inputs"
    grep -h "inputs parsed, verified and ran" "$log" | sed 's/^/    /' || true
  else
    status=1
    echo "fuzz $name: FAILED"
    grep -E "ERROR|runtime error|deadly signal|Test unit written|SUMMARY|#[0-9]+ 0x" "$log" | head -n 30
  fi
}
for target in NpyFuzzer AttrFuzzer PipelineFuzzer; do
  if [ ! -x "$build/bin/$target" ]; then echo "fuzz: $build/bin/$target missing (run scripts/sanitize.sh)"; exit 1; fi
done
run NpyFuzzer 2000000 4096 "$here/fuzz/corpus/npy"
run AttrFuzzer 1000000 512 "$here/fuzz/corpus/attr"
run PipelineFuzzer 30000 20000 "$work/pipeline"
rm -rf "$work"
exit $status
