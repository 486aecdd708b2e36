// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(mp-select-parallel-loops{min-work=2048}))" | FileCheck %s

// A large top-level loop (64 x 128 x 3 ops) stays parallel; the parallel
// loop nested in it and a small one (8 x 8 x 3 ops) become sequential
// nests in the same order.
// CHECK-LABEL: func @select
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c64) step (%c1)
// CHECK-NEXT: scf.for %[[J:.*]] = %c0 to %c128 step %c1
// CHECK-NEXT: memref.load %{{.*}}[%[[I]], %[[J]]]
// CHECK: scf.reduce
// CHECK: scf.for %[[A:.*]] = %c0 to %c8 step %c1
// CHECK-NEXT: scf.for %[[B:.*]] = %c0 to %c8 step %c1
// CHECK-NEXT: memref.load %{{.*}}[%[[A]], %[[B]]]
// CHECK-NOT: scf.parallel
func.func @select(%m: memref<64x128xf32>, %s: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c128) step (%c1) {
      %v = memref.load %m[%i, %j] : memref<64x128xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %m[%i, %j] : memref<64x128xf32>
    }
  }
  scf.parallel (%a, %b) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    %v = memref.load %s[%a, %b] : memref<8x8xf32>
    %w = arith.mulf %v, %v : f32
    memref.store %w, %s[%a, %b] : memref<8x8xf32>
  }
  return
}

// -----

// Work counts the operations of the loops inside: 16 rows of a 512-long
// reduction of 4 ops each are 32768, enough. A parallel loop inside a sequential one is
// never split (one dispatch per outer iteration would cost more than it
// saves), and loops with reductions are left alone.
// CHECK-LABEL: func @work
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c16) step (%c1)
// CHECK: scf.for %{{.*}} = %c0 to %c512
// CHECK: scf.for %[[R:.*]] = %c0 to %c512
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c16
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c16) step (%c1) init
func.func @work(%m: memref<16x512xf32>, %o: memref<16xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    scf.for %k = %c0 to %c512 step %c1 {
      %v = memref.load %m[%i, %k] : memref<16x512xf32>
      %a = memref.load %o[%i] : memref<16xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %o[%i] : memref<16xf32>
    }
  }
  scf.for %k = %c0 to %c512 step %c1 {
    scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
      %v = memref.load %m[%i, %k] : memref<16x512xf32>
      memref.store %v, %o[%i] : memref<16xf32>
    }
  }
  %r = scf.parallel (%i) = (%c0) to (%c16) step (%c1) init (%zero) -> f32 {
    %v = memref.load %o[%i] : memref<16xf32>
    scf.reduce(%v : f32) {
    ^bb0(%x: f32, %y: f32):
      %s = arith.addf %x, %y : f32
      scf.reduce.return %s : f32
    }
  }
  return %r : f32
}
