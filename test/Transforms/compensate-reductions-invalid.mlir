// RUN: mp-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mp-compensate-reductions{method=pairwise}))" --verify-diagnostics

// expected-error @below {{mp-compensate-reductions: method must be neumaier or kahan, not 'pairwise'}}
func.func @f() {
  return
}
