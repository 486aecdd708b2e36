// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-gpu-serialize-kernels)" | FileCheck %s
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-gpu-serialize-kernels,mp-gpu-dump-kernels)" -o %t.parallel.mlir
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-gpu-serialize-kernels,mp-gpu-dump-kernels)" -o %t.serial.mlir --mlir-disable-threading
// RUN: cmp %t.parallel.mlir %t.serial.mlir

// Each kernel module becomes a binary of the same name, in place, holding
// the PTX of its kernel; compiled in parallel, the output is the same bytes
// as compiled on one thread (mp-gpu-dump-kernels drops the compile times
// that the objects record).
// CHECK-NOT: gpu.module
// CHECK: gpu.binary @first {{.*}}#nvvm.target<chip = "sm_80">{{.*}}.visible .entry first_kernel(
// CHECK: gpu.binary @second {{.*}}#nvvm.target<chip = "sm_90a">{{.*}}.visible .entry second_kernel(
// CHECK: func.func @host
gpu.module @first [#nvvm.target<chip = "sm_80">] {
  llvm.func @first_kernel(%p: !llvm.ptr<1>) attributes {nvvm.kernel} {
    %c = llvm.mlir.constant(1.0 : f32) : f32
    llvm.store %c, %p : f32, !llvm.ptr<1>
    llvm.return
  }
}
gpu.module @second [#nvvm.target<chip = "sm_90a">] {
  llvm.func @second_kernel(%p: !llvm.ptr<1>) attributes {nvvm.kernel} {
    %c = llvm.mlir.constant(2.0 : f32) : f32
    llvm.store %c, %p : f32, !llvm.ptr<1>
    llvm.return
  }
}
func.func @host() {
  return
}
