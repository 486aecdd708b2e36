// The threaded CPU lowering outside mp-run: a stock mlir-runner with the
// thread pool library. 512 x 256 elements, written by a parallel loop (each
// element 1 where i + j is odd), then summed: exactly 65536 when every
// iteration ran once.
// UNSUPPORTED: sanitizers
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-cpu-lowering{threads})" -o %t.mlir
// RUN: FileCheck %s --check-prefix=IR < %t.mlir
// RUN: %mlir_runner_bin %t.mlir -e main -entry-point-result=void \
// RUN:   -shared-libs=%runner_libs,%mp_lib/libmpRuntimeCPU.so | FileCheck %s
// RUN: env MP_NUM_THREADS=3 %mlir_runner_bin %t.mlir -e main -entry-point-result=void \
// RUN:   -shared-libs=%runner_libs,%mp_lib/libmpRuntimeCPU.so | FileCheck %s
// IR: llvm.call @mp_parallel_for(
// CHECK: 65536
#id = affine_map<(d0, d1) -> (d0, d1)>
#all = affine_map<(d0, d1) -> ()>
func.func @main() {
  %e = tensor.empty() : tensor<512x256xf32>
  %x = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<512x256xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = arith.addi %i, %j : index
    %c2 = arith.constant 2 : index
    %r = arith.remui %s, %c2 : index
    %ri = arith.index_cast %r : index to i32
    %f = arith.sitofp %ri : i32 to f32
    linalg.yield %f : f32
  } -> tensor<512x256xf32>
  %zero = arith.constant 0.0 : f32
  %z = tensor.empty() : tensor<f32>
  %init = linalg.fill ins(%zero : f32) outs(%z : tensor<f32>) -> tensor<f32>
  %sum = linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<512x256xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %n = arith.addf %acc, %a : f32
    linalg.yield %n : f32
  } -> tensor<f32>
  %v = tensor.extract %sum[] : tensor<f32>
  vector.print %v : f32
  return
}
