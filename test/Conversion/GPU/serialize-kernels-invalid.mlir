// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-gpu-serialize-kernels)" -verify-diagnostics
// RUN: not mp-opt %s --pass-pipeline="builtin.module(mp-gpu-serialize-kernels{format=elf})" 2>&1 | FileCheck %s --check-prefix=FORMAT

// FORMAT: error: mp-gpu-serialize-kernels: unknown format 'elf' (isa, bin or fatbin)

// expected-error @+1 {{has no target attribute to compile it for}}
gpu.module @no_target {
  llvm.func @kernel() attributes {nvvm.kernel} {
    llvm.return
  }
}
