// RUN: mp-opt %s -split-input-file --mp-outline-parallel-loops | FileCheck %s

// The loop becomes a call over all its rows; the new function runs rows
// [begin, end) of the first dimension with more than one iteration (the
// unit dimension before it stays whole), with the captured buffer as an
// argument and the constants cloned in.
// CHECK-LABEL: func @rows
// CHECK-SAME: (%[[M:.*]]: memref<1x30x64xf32>)
// CHECK: %[[TRIPS:.*]] = arith.ceildivsi %{{.*}}, %c2
// CHECK: call @rows_par0(%[[M]], %c0{{.*}}, %[[TRIPS]])
// CHECK-NOT: scf.parallel
// CHECK: func private @rows_par0(%[[A:.*]]: memref<1x30x64xf32>, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK-SAME: mp.parallel_body
// CHECK-DAG: %[[FROM:.*]] = arith.muli %[[BEGIN]], %c2
// CHECK-DAG: %[[TO0:.*]] = arith.muli %[[END]], %c2
// CHECK: %[[TO:.*]] = arith.minsi %{{.*}}, %c30
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0{{.*}}, %{{.*}}, %c0{{.*}}) to (%c1{{.*}}, %[[TO]], %c64{{.*}})
// CHECK: memref.store %{{.*}}, %[[A]]
func.func @rows(%m: memref<1x30x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c30 = arith.constant 30 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%b, %i, %j) = (%c0, %c0, %c0) to (%c1, %c30, %c64) step (%c1, %c2, %c1) {
    %v = memref.load %m[%b, %i, %j] : memref<1x30x64xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %m[%b, %i, %j] : memref<1x30x64xf32>
  }
  return
}

// -----

// A loop under an scf.if (no loop around it) is outlined too; a loop inside
// a sequential loop is not.
// CHECK-LABEL: func @nested
// CHECK: scf.if
// CHECK: func.call @nested_par0(
// CHECK: scf.for
// CHECK-NEXT: scf.parallel
// CHECK: func private @nested_par0({{.*}}: memref<64xf32>, {{.*}}: index, {{.*}}: index)
func.func @nested(%m: memref<64xf32>, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  scf.if %c {
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
      %v = memref.load %m[%i] : memref<64xf32>
      memref.store %v, %m[%i] : memref<64xf32>
    }
  }
  scf.for %k = %c0 to %c4 step %c1 {
    scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
      %v = memref.load %m[%i] : memref<64xf32>
      memref.store %v, %m[%i] : memref<64xf32>
    }
  }
  return
}
