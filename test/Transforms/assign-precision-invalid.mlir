// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-assign-precision{policy=fp4})" -verify-diagnostics
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-assign-precision{policy-file=%S/Inputs/bad-policy.json})" 2>&1 | FileCheck %s --check-prefix=FILE
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-assign-precision{policy-file=%S/Inputs/missing.json})" 2>&1 | FileCheck %s --check-prefix=MISSING

// FILE: error: policy file '{{.*}}bad-policy.json': overrides[0]: cannot parse format 'f7'
// MISSING: error: policy file '{{.*}}missing.json': No such file or directory

// expected-error @below {{unknown precision policy 'fp4'; expected f32, f16, bf16, fp8, w8a8, w8a16 or w4a16}}
module {
  func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
    return %a : tensor<4xf32>
  }
}

