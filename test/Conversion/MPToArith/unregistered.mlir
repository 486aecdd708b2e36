// Unknown ops pass through the lowering untouched (with
// --allow-unregistered-dialect), next to mp ops that are lowered.
// RUN: mp-opt %s -allow-unregistered-dialect -mp-lower-to-arith | FileCheck %s

// CHECK-LABEL: func @mixed
// CHECK: %[[U:.*]] = "mhlo.add"(%{{.*}}, %{{.*}}) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[U]] : tensor<4xf32>)
// CHECK-NOT: mp.cast
func.func @mixed(%x: tensor<4xf32>) -> tensor<4xf16> {
  %0 = "mhlo.add"(%x, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = mp.cast %0 : tensor<4xf32> to tensor<4xf16>
  return %1 : tensor<4xf16>
}
