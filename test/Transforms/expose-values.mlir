// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-expose-values{entry=f})" \
// RUN:   -verify-diagnostics | FileCheck %s

// Every statically shaped float tensor value at the top level becomes an extra
// result, named by mp.name, else its location; tensor.empty is not exposed.
// CHECK-LABEL: func @f
// CHECK-SAME: -> (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>)
// CHECK-SAME: mp.exposed_values = ["first", "scores", "expose-values.mlir:{{[0-9]+}}:8"]
// CHECK: return %[[R:.*]], %{{.*}}, %{{.*}}, %[[R]]
func.func @f(%a: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %e = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.add {mp.name = "first"} ins(%a, %a : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %1 = linalg.add ins(%0, %a : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32> loc("scores")
  %2 = linalg.add ins(%1, %a : tensor<2x2xf32>, tensor<2x2xf32>) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %2 : tensor<2x2xf32>
}

// -----

// expected-error @+1 {{mp-expose-values: no function named 'f' with a body}}
module {
  func.func @g() { return }
}

// -----

// expected-error @+1 {{mp-expose-values changes the results of 'f', which has callers}}
func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {
  return %a : tensor<2xf32>
}
func.func @caller(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = func.call @f(%a) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// expected-error @+1 {{mp-expose-values needs a single-block body}}
func.func @f(%c: i1, %a: tensor<2xf32>) -> tensor<2xf32> {
  cf.cond_br %c, ^bb1, ^bb2
^bb1:
  return %a : tensor<2xf32>
^bb2:
  return %a : tensor<2xf32>
}
