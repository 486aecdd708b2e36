// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-gpu-verify-host)" -split-input-file -verify-diagnostics

// Buffers, constants, index arithmetic and launches are host work.
func.func @fine(%n: index) -> memref<16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.muli %n, %c1 : index
  %m = memref.alloc() : memref<16xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c2, %sy = %c1, %sz = %c1) {
    %f = arith.constant 1.0 : f32
    memref.store %f, %m[%tx] : memref<16xf32>
    gpu.terminator
  }
  return %m : memref<16xf32>
}

// -----

// What stock MLIR's parallel-loop mapping leaves behind is refused.
func.func @left_on_host(%m: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' is left on the host: every op that touches model data must become a GPU kernel}}
  %v = memref.load %m[%c0] : memref<16xf32>
  // expected-error @+1 {{'arith.addf' is left on the host}}
  %w = arith.addf %v, %v : f32
  return
}

// -----

func.func @loop_on_host(%m: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  // expected-error @+1 {{'scf.for' is left on the host}}
  scf.for %i = %c0 to %c16 step %c1 {
    %f = arith.constant 0.0 : f32
    memref.store %f, %m[%i] : memref<16xf32>
  }
  return
}
