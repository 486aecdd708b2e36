#!/usr/bin/env bash
# Regenerates the reference pages in docs/reference from the ODS definitions.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
"$here/scripts/build.sh" --target mlir-doc >/dev/null
mkdir -p "$here/docs/reference"
cp "$build/docs/Dialects/MPDialect.md" "$here/docs/reference/MPDialect.md"
cp "$build/docs/MPTransformsPasses.md" "$here/docs/reference/MPTransformsPasses.md"
cp "$build/docs/MPConversionPasses.md" "$here/docs/reference/MPConversionPasses.md"
echo "docs/reference updated"
