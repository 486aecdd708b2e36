// RUN: mp-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mp-compensate-reductions{method=tree}))" --verify-diagnostics

// expected-error @below {{mp-compensate-reductions: method must be neumaier, kahan or pairwise, not 'tree'}}
func.func @f() {
  return
}
