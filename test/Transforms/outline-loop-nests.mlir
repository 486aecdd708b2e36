// RUN: mp-opt %s --mp-outline-loop-nests --split-input-file | FileCheck %s

// Two nests with the same text over different buffers share one function;
// constants are cloned in (static bounds), buffers become arguments.
// CHECK-LABEL: func.func @two_layers
// CHECK-SAME: (%[[A:.*]]: memref<4x8xf32>, %[[B:.*]]: memref<4x8xf32>)
// CHECK: %[[W0:.*]] = memref.get_global @w0
// CHECK: call @[[K:two_layers_nest0]](%[[A]], %[[W0]])
// CHECK: %[[W1:.*]] = memref.get_global @w1
// CHECK: call @[[K]](%[[B]], %[[W1]])
// CHECK-NOT: two_layers_nest1
// CHECK: func.func private @[[K]](%{{.*}}: memref<4x8xf32>, %{{.*}}: memref<4x8xf32>)
// CHECK-SAME: attributes {mp.outlined, passthrough = ["noinline"]}
// CHECK-DAG: arith.constant 4 : index
// CHECK-DAG: arith.constant 8 : index
// CHECK: scf.for
memref.global "private" constant @w0 : memref<4x8xf32> = dense<1.0>
memref.global "private" constant @w1 : memref<4x8xf32> = dense<2.0>
func.func @two_layers(%a: memref<4x8xf32>, %b: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %w0 = memref.get_global @w0 : memref<4x8xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %j] : memref<4x8xf32>
      %w = memref.load %w0[%i, %j] : memref<4x8xf32>
      %y = arith.addf %x, %w : f32
      memref.store %y, %a[%i, %j] : memref<4x8xf32>
    }
  }
  %w1 = memref.get_global @w1 : memref<4x8xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %b[%i, %j] : memref<4x8xf32>
      %w = memref.load %w1[%i, %j] : memref<4x8xf32>
      %y = arith.addf %x, %w : f32
      memref.store %y, %b[%i, %j] : memref<4x8xf32>
    }
  }
  return
}

// -----

// A nest with results returns them; a different body is a second function.
// CHECK-LABEL: func.func @sum
// CHECK: %[[S:.*]] = call @sum_nest0(%{{.*}}) : (memref<8xf32>) -> f32
// CHECK: call @sum_nest1
// CHECK: return %[[S]]
func.func @sum(%a: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> f32 {
    %x = memref.load %a[%i] : memref<8xf32>
    %y = arith.addf %acc, %x : f32
    scf.yield %y : f32
  }
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %zero, %a[%i] : memref<8xf32>
  }
  return %s : f32
}
// CHECK: func.func private @sum_nest0(%{{.*}}: memref<8xf32>) -> f32
// CHECK: scf.for {{.*}} iter_args
// CHECK: func.func private @sum_nest1(%{{.*}}: memref<8xf32>)
// CHECK-NOT: iter_args
