// RUN: mp-opt %s --pass-pipeline="builtin.module(func.func(mp-split-precision-contractions{parts=4}))" --verify-diagnostics
// RUN: not mp-opt %s --pass-pipeline="builtin.module(func.func(mp-split-precision-contractions{format=f8E4M3FN}))" 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: mp-split-precision-contractions: format must be bf16 or f16, not 'f8E4M3FN'

// expected-error @below {{mp-split-precision-contractions: parts must be 2 or 3, not 4}}
func.func @f() {
  return
}
