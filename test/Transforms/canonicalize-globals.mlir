// RUN: mp-opt %s -mp-canonicalize-globals | FileCheck %s

// Private constant globals are renamed by first use and moved to the top in
// that order; public or mutable globals keep their names.
// CHECK: memref.global "private" constant @__constant_0 : memref<2xf32> = dense<2.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_1 : memref<2xf32> = dense<1.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_2 : memref<2xf32> = dense<3.000000e+00>
// CHECK: memref.global @public_table
// CHECK-LABEL: func @f
// CHECK: memref.get_global @__constant_0
// CHECK: memref.get_global @__constant_1
// CHECK: memref.get_global @public_table
memref.global "private" constant @__constant_2xf32_0 : memref<2xf32> = dense<1.0>
memref.global "private" constant @__constant_2xf32 : memref<2xf32> = dense<2.0>
memref.global "private" constant @unused : memref<2xf32> = dense<3.0>
memref.global @public_table : memref<2xf32> = dense<4.0>
func.func @f() -> (memref<2xf32>, memref<2xf32>, memref<2xf32>) {
  %0 = memref.get_global @__constant_2xf32 : memref<2xf32>
  %1 = memref.get_global @__constant_2xf32_0 : memref<2xf32>
  %2 = memref.get_global @public_table : memref<2xf32>
  return %0, %1, %2 : memref<2xf32>, memref<2xf32>, memref<2xf32>
}
