// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(mp-vectorize-contractions))" | FileCheck %s
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(mp-vectorize-contractions{parallel=true}))" | FileCheck %s --check-prefix=PAR

// A matmul becomes 8x32x32 blocks (the largest divisors not above the block
// sizes) computed with FMAs on vectors; the bf16 inputs are widened exactly.
// CHECK-LABEL: func @matmul
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
// CHECK: vector.transfer_read {{.*}} : tensor<8x32xbf16>, vector<8x32xbf16>
// CHECK: arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: vector.fma %{{.*}} : vector<32xf32>
// CHECK-NOT: linalg.matmul
// CHECK-NOT: vector.contract
func.func @matmul(%a: tensor<64x64xbf16>, %b: tensor<64x96xbf16>, %c: tensor<64x96xf32>) -> tensor<64x96xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xbf16>, tensor<64x96xbf16>) outs(%c : tensor<64x96xf32>) -> tensor<64x96xf32>
  return %0 : tensor<64x96xf32>
}

// -----

// With `parallel` the blocks along m and n are an scf.forall that threads
// share; the reduction blocks stay a sequential loop inside each block, so
// every output element sums its products in the same order as above.
// PAR-LABEL: func @matmul_parallel
// PAR-NOT: linalg.matmul
// PAR: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (64, 96) step (8, 32)
// PAR: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
// PAR: vector.fma %{{.*}} : vector<32xf32>
// PAR-NOT: linalg.matmul
// PAR: scf.forall.in_parallel
func.func @matmul_parallel(%a: tensor<64x64xbf16>, %b: tensor<64x96xbf16>, %c: tensor<64x96xf32>) -> tensor<64x96xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xbf16>, tensor<64x96xbf16>) outs(%c : tensor<64x96xf32>) -> tensor<64x96xf32>
  return %0 : tensor<64x96xf32>
}

// -----

// Dynamic shapes, narrow outputs and transposed layouts are left for the
// loop lowering.
// CHECK-LABEL: func @left_alone
// CHECK: linalg.matmul
// CHECK: linalg.matvec
// CHECK: linalg.generic
// CHECK-NOT: vector.
#mk = affine_map<(m, n, k) -> (m, k)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @left_alone(%a: tensor<?x64xf32>, %b: tensor<64x64xf32>, %c: tensor<?x64xf32>,
                      %m: tensor<64x64xf32>, %v: tensor<64xf32>, %o: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<64xf32>, tensor<64x64xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<?x64xf32>, tensor<64x64xf32>) outs(%c : tensor<?x64xf32>) -> tensor<?x64xf32>
  %1 = linalg.matvec ins(%m, %v : tensor<64x64xf32>, tensor<64xf32>) outs(%o : tensor<64xf32>) -> tensor<64xf32>
  %2 = linalg.generic {indexing_maps = [#mk, #nk, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%m, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%m : tensor<64x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<64xf32>, tensor<64x64xf32>
}

