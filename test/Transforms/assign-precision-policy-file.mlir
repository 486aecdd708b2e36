// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-assign-precision{policy-file=%S/Inputs/policy.json})" | FileCheck %s
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-assign-precision{policy-file=%S/Inputs/policy.json remarks=true})" -verify-diagnostics -o /dev/null

// The file's policy (f16) applies; its overrides match by mp.name, op name
// and class, first match wins.
// CHECK-LABEL: func @file
// CHECK: linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <f32>, compute = f32, rule = "policy-file[0]", forced = true>, mp.name = "keep_me"}
// CHECK: linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <f16, acc = f32>, compute = f32, rule = "class-default:contraction">}
// CHECK: linalg.batch_matmul {mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>, compute = f32, rule = "policy-file[1]", forced = true>}
// CHECK: linalg.add {mp.decision = #mp.decision<class = elementwise, format = <f32>, compute = f32, rule = "policy-file[2]", forced = true>}
func.func @file(%a: tensor<8x8xf32>, %b: tensor<2x8x8xf32>) -> (tensor<8x8xf32>, tensor<2x8x8xf32>, tensor<8x8xf32>) {
  // expected-remark @+1 {{contraction: #mp.format<f32>, computes in 'f32' (policy-file[0])}}
  %0 = linalg.matmul {mp.name = "keep_me"} ins(%a, %a : tensor<8x8xf32>, tensor<8x8xf32>) outs(%a : tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-remark @+1 {{contraction: #mp.format<f16, acc = f32>, computes in 'f32' (class-default:contraction)}}
  %1 = linalg.matmul ins(%a, %a : tensor<8x8xf32>, tensor<8x8xf32>) outs(%a : tensor<8x8xf32>) -> tensor<8x8xf32>
  // expected-remark @+1 {{contraction: #mp.format<bf16, acc = f32>, computes in 'f32' (policy-file[1])}}
  %2 = linalg.batch_matmul ins(%b, %b : tensor<2x8x8xf32>, tensor<2x8x8xf32>) outs(%b : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  // expected-remark @+1 {{elementwise: #mp.format<f32>, computes in 'f32' (policy-file[2])}}
  %3 = linalg.add ins(%0, %1 : tensor<8x8xf32>, tensor<8x8xf32>) outs(%a : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %1, %2, %3 : tensor<8x8xf32>, tensor<2x8x8xf32>, tensor<8x8xf32>
}
