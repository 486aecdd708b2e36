// RUN: mp-opt %s -split-input-file --mp-lower-parallel-calls -verify-diagnostics | FileCheck %s

// The call stores its captured arguments into a stack frame (allocated in
// the entry block) and hands a task that unpacks them to the pool.
// CHECK: llvm.func internal @body_task(%{{.*}}: !llvm.ptr, %[[B:.*]]: i64, %[[E:.*]]: i64)
// CHECK-COUNT-3: llvm.load
// CHECK: llvm.call @body(%{{.*}}, %{{.*}}, %{{.*}}, %[[B]], %[[E]])
// CHECK-LABEL: llvm.func @caller
// CHECK: %[[FRAME:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(ptr, i64, f32)>
// CHECK: llvm.store %{{.*}}, %{{.*}} : !llvm.ptr, !llvm.ptr
// CHECK: llvm.store %{{.*}}, %{{.*}} : i64, !llvm.ptr
// CHECK: llvm.store %{{.*}}, %{{.*}} : f32, !llvm.ptr
// CHECK: %[[TASK:.*]] = llvm.mlir.addressof @body_task
// CHECK: llvm.call @mp_parallel_for(%[[TASK]], %[[FRAME]], %{{.*}}, %{{.*}})
// CHECK-NOT: llvm.call @body(
// CHECK: llvm.func @mp_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64)
llvm.func @body(%p: !llvm.ptr, %n: i64, %x: f32, %begin: i64, %end: i64) attributes {mp.parallel_body} {
  llvm.return
}
llvm.func @caller(%p: !llvm.ptr, %n: i64, %x: f32) {
  %0 = llvm.mlir.constant(0 : i64) : i64
  llvm.call @body(%p, %n, %x, %0, %n) : (!llvm.ptr, i64, f32, i64, i64) -> ()
  llvm.return
}

// -----

llvm.func @body(%p: !llvm.ptr, %x: f32) attributes {mp.parallel_body} {
  llvm.return
}
llvm.func @caller(%p: !llvm.ptr, %x: f32) {
  // expected-error @+1 {{call of an mp.parallel_body function must end with the iteration range (two i64)}}
  llvm.call @body(%p, %x) : (!llvm.ptr, f32) -> ()
  llvm.return
}
