// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(mp-vectorize-contractions))" | FileCheck %s
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(mp-vectorize-contractions{parallel=true}))" | FileCheck %s --check-prefix=PAR

// A matmul with bf16 inputs becomes 8x32x16 blocks (the widening block
// sizes; the largest divisors not above them) computed with FMAs on vectors;
// the bf16 inputs are widened exactly.
// CHECK-LABEL: func @matmul
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c32
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: vector.transfer_read {{.*}} : tensor<8x16xbf16>, vector<8x16xbf16>
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
// PAR: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// PAR: vector.fma %{{.*}} : vector<32xf32>
// PAR-NOT: linalg.matmul
// PAR: scf.forall.in_parallel
func.func @matmul_parallel(%a: tensor<64x64xbf16>, %b: tensor<64x96xbf16>, %c: tensor<64x96xf32>) -> tensor<64x96xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xbf16>, tensor<64x96xbf16>) outs(%c : tensor<64x96xf32>) -> tensor<64x96xf32>
  return %0 : tensor<64x96xf32>
}

// -----

// f32 inputs (nothing to widen) take 4x16x16 blocks: 4 rows of two 8-lane
// accumulators each.
// CHECK-LABEL: func @matmul_f32
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c16
// CHECK: vector.fma %{{.*}} : vector<16xf32>
func.func @matmul_f32(%a: tensor<64x64xf32>, %b: tensor<64x96xf32>, %c: tensor<64x96xf32>) -> tensor<64x96xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x96xf32>) outs(%c : tensor<64x96xf32>) -> tensor<64x96xf32>
  return %0 : tensor<64x96xf32>
}

// -----

// An input wider than the accumulator (f64 weights rounded into an f32
// accumulation) is left for the loops: the vector lowering only widens.
// CHECK-LABEL: func @narrowing
// CHECK-NOT: vector.
// CHECK: linalg.matmul
func.func @narrowing(%a: tensor<64x64xf32>, %b: tensor<64x96xf64>, %c: tensor<64x96xf32>) -> tensor<64x96xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x96xf64>) outs(%c : tensor<64x96xf32>) -> tensor<64x96xf32>
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


// -----

// A weight-only product (mp-insert-scaling's form, i4 codes per group of 32,
// f16 scales): the reduction loops move outermost, the output is cut into
// 4x16 blocks (threads share them with parallel=true), and each block
// advances one reduction step at a time with vector multiplies and adds,
// never FMAs, so every element sums in the scalar order. The i4 constant is
// widened to i8 for the vector loads.
// CHECK-LABEL: func @dequant_product
// CHECK-DAG: arith.constant dense<3> : tensor<1x1x16xi8>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<1x1x16xi8>, vector<16xi8>
// CHECK: arith.sitofp {{.*}} : vector<4x16xi8> to vector<4x16xf32>
// CHECK-NOT: vector.fma
// CHECK: arith.mulf {{.*}} : vector<4x16xf32>
// CHECK-NOT: vector.fma
// CHECK: arith.addf {{.*}} : vector<
// CHECK-NOT: vector.fma
// CHECK: return
// PAR-LABEL: func @dequant_product
// PAR: scf.forall ({{.*}}) = (0, 0) to (8, 48) step (4, 16)
// PAR: scf.for
// PAR: scf.for
// PAR: vector.transfer_read
#act = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3, d1)>
#s = affine_map<(d0, d1, d2, d3) -> (d2, d1)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
func.func @dequant_product(%x: tensor<8x2x32xbf16>, %init: tensor<8x48xf32>) -> tensor<8x48xf32> {
  %q = arith.constant dense<3> : tensor<2x32x48xi4>
  %s = arith.constant dense<0.5> : tensor<2x48xf16>
  %y = linalg.generic {indexing_maps = [#act, #w, #s, #o], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %q, %s : tensor<8x2x32xbf16>, tensor<2x32x48xi4>, tensor<2x48xf16>) outs(%init : tensor<8x48xf32>) {
  ^bb0(%a: bf16, %c: i4, %sc: f16, %out: f32):
    %af = arith.extf %a : bf16 to f32
    %cf = arith.sitofp %c : i4 to f32
    %sf = arith.extf %sc : f16 to f32
    %w = arith.mulf %cf, %sf : f32
    %p = arith.mulf %af, %w : f32
    %r = arith.addf %out, %p : f32
    linalg.yield %r : f32
  } -> tensor<8x48xf32>
  return %y : tensor<8x48xf32>
}

// -----

// A payload that is not a plain accumulation (here the sum is scaled after
// the add) is left for the loops.
// CHECK-LABEL: func @not_accumulating
// CHECK-NOT: vector.
// CHECK: linalg.generic
#a2 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w2 = affine_map<(d0, d1, d2) -> (d2, d1)>
#s2 = affine_map<(d0, d1, d2) -> (d1)>
#o2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @not_accumulating(%x: tensor<8x32xf32>, %q: tensor<32x48xi8>, %sc: tensor<48xf32>, %init: tensor<8x48xf32>) -> tensor<8x48xf32> {
  %y = linalg.generic {indexing_maps = [#a2, #w2, #s2, #o2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %q, %sc : tensor<8x32xf32>, tensor<32x48xi8>, tensor<48xf32>) outs(%init : tensor<8x48xf32>) {
  ^bb0(%a: f32, %c: i8, %s: f32, %out: f32):
    %cf = arith.sitofp %c : i8 to f32
    %p = arith.mulf %a, %cf : f32
    %r = arith.addf %out, %p : f32
    %t = arith.mulf %r, %s : f32
    linalg.yield %t : f32
  } -> tensor<8x48xf32>
  return %y : tensor<8x48xf32>
}

// -----

// Fast-math flags in the payload (here `contract`, which would let LLVM fuse
// the vector multiply and add where the scalar loop did not) keep the op on
// the loop path.
// CHECK-LABEL: func @contract_flag
// CHECK-NOT: vector.
// CHECK: linalg.generic
#a3 = affine_map<(d0, d1, d2) -> (d0, d2)>
#w3 = affine_map<(d0, d1, d2) -> (d2, d1)>
#s3 = affine_map<(d0, d1, d2) -> (d1)>
#o3 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @contract_flag(%x: tensor<8x32xf32>, %q: tensor<32x48xi8>, %sc: tensor<48xf32>, %init: tensor<8x48xf32>) -> tensor<8x48xf32> {
  %y = linalg.generic {indexing_maps = [#a3, #w3, #s3, #o3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %q, %sc : tensor<8x32xf32>, tensor<32x48xi8>, tensor<48xf32>) outs(%init : tensor<8x48xf32>) {
  ^bb0(%a: f32, %c: i8, %s: f32, %out: f32):
    %cf = arith.sitofp %c : i8 to f32
    %w = arith.mulf %cf, %s : f32
    %p = arith.mulf %a, %w fastmath<contract> : f32
    %r = arith.addf %out, %p : f32
    linalg.yield %r : f32
  } -> tensor<8x48xf32>
  return %y : tensor<8x48xf32>
}
