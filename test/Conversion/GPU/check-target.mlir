// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-lower-to-ptx{chip=sm_75})" 2>&1 | FileCheck %s --check-prefix=CHECK-CHIP
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-lower-to-ptx{chip=sm_90a ptx-version=78})" 2>&1 | FileCheck %s --check-prefix=CHECK-PTX
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-lower-to-ptx{format=sass})" 2>&1 | FileCheck %s --check-prefix=CHECK-FORMAT

// CHECK-CHIP: error: mp-lower-to-ptx: unsupported chip 'sm_75' (supported: sm_80, sm_86, sm_89, sm_90, sm_90a)
// CHECK-PTX: error: mp-lower-to-ptx: PTX ISA 7.8 does not support sm_90a (needs 8.0 or later)
// CHECK-FORMAT: error: mp-lower-to-ptx: format must be 'ptx' or 'cubin', got 'sass'
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
