// RUN: mp-opt %s --pass-pipeline="builtin.module(gpu.module(mp-gpu-lower-all-reduce))" -split-input-file -verify-diagnostics

// The lowering splits the kernel's body at the reduction: it must not sit
// inside structured control flow.
gpu.module @kernels {
  gpu.func @nested(%v: f32, %c: i1) kernel {
    scf.if %c {
      // expected-error @+1 {{is nested in control flow inside its kernel; the lowering splits the kernel's body at the reduction}}
      %0 = gpu.all_reduce add %v uniform {} : (f32) -> f32
    }
    gpu.return
  }
}

// -----

// Threads that may not all reach the reduction cannot take part in it.
gpu.module @kernels {
  gpu.func @not_uniform(%v: f32) kernel {
    // expected-error @+1 {{is not uniform; mp-gpu-lower-all-reduce lowers reductions that every thread of the block reaches}}
    %0 = gpu.all_reduce add %v {} : (f32) -> f32
    gpu.return
  }
}
