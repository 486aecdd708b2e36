#!/usr/bin/env bash
# Regenerates the reference pages in docs/reference from the ODS definitions.
# With --check, only reports (exit 1) when docs/reference is out of date.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
"$here/scripts/build.sh" --target mlir-doc >/dev/null
pages=("Dialects/MPDialect.md:MPDialect.md" "MPTransformsPasses.md:MPTransformsPasses.md"
       "MPConversionPasses.md:MPConversionPasses.md")
stale=0
mkdir -p "$here/docs/reference"
for page in "${pages[@]}"; do
  generated="$build/docs/${page%%:*}"
  kept="$here/docs/reference/${page##*:}"
  if [ "${1:-}" = "--check" ]; then
    cmp -s "$generated" "$kept" || { echo "docs/reference/${page##*:} is out of date (run scripts/gen-docs.sh)"; stale=1; }
  else
    cp "$generated" "$kept"
  fi
done
[ "${1:-}" = "--check" ] && { [ $stale -eq 0 ] && echo "docs/reference is up to date"; exit $stale; }
echo "docs/reference updated"
