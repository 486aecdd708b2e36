// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-gpu-launch-to-loops)" -split-input-file -verify-diagnostics

// Threads that synchronize cannot run one after another.
func.func @barrier() {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{communicates between threads; the launch cannot run one thread after another}}
    gpu.barrier
    gpu.terminator
  }
  return
}

// -----

func.func @shared(%m: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{has memory attributions; its threads cannot run one after another}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%w : memref<32xf32, #gpu.address_space<workgroup>>) {
    gpu.terminator
  }
  return
}

// -----

// A block-wide reduction over several threads needs them all at once.
func.func @all_reduce(%v: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{communicates between threads; the launch cannot run one thread after another}}
    %0 = gpu.all_reduce add %v uniform {} : (f32) -> f32
    gpu.terminator
  }
  return
}
