// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-lower-to-ptx{cuda-path=%t.no-toolkit})" 2>&1 | FileCheck %s

// Math functions become libdevice calls; without libdevice the pipeline
// stops with an error at the op instead of emitting PTX that cannot link.
// CHECK: error: kernels call '__nv_expf' from libdevice, which was not found at '{{.*}}no-toolkit/nvvm/libdevice/libdevice.10.bc'
// CHECK-NEXT: math.exp
func.func @softmax_numerator(%x: tensor<64xf32>) -> tensor<64xf32> {
  %0 = math.exp %x : tensor<64xf32>
  return %0 : tensor<64xf32>
}
