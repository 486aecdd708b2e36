// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-gpu-launch-to-loops)" -split-input-file -verify-diagnostics

// Threads that synchronize inside control flow cannot run one after another
// (barriers at the top level of the body run phase by phase).
func.func @barrier(%c: i1) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    scf.if %c {
      // expected-error @+1 {{communicates between threads; the launch cannot run one thread after another}}
      gpu.barrier
    }
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

// A block-wide reduction next to a shuffle: the threads meet inside a
// phase, which cannot run one thread after another.
func.func @all_reduce(%v: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %i1 = arith.constant 1 : i32
  %i32 = arith.constant 32 : i32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{communicates between threads; the launch cannot run one thread after another}}
    %0 = gpu.all_reduce add %v uniform {} : (f32) -> f32
    %1, %2 = gpu.shuffle xor %0, %i1, %i32 : f32
    gpu.terminator
  }
  return
}

// -----

// Reductions with a combining region are not emulated.
func.func @custom_reduce(%v: f32) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{has a custom combining region; the emulation combines the named kinds only}}
    %0 = gpu.all_reduce %v uniform {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      gpu.yield %s : f32
    } : (f32) -> f32
    gpu.terminator
  }
  return
}
