// RUN: mp-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mp-compensate-reductions{min-length=1024 remarks=true}))" --verify-diagnostics | FileCheck %s
// RUN: mp-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mp-compensate-reductions{method=kahan min-length=1024}))" | FileCheck %s --check-prefix=KAHAN
// RUN: mp-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mp-compensate-reductions{method=pairwise min-length=1024}))" | FileCheck %s --check-prefix=PAIRWISE

#x = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A row sum of squares (a variance): the summand's computation is kept, the
// sum gets a Neumaier compensation of its own type, added back at the end.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-SAME: (%[[X:.*]]: tensor<4x4096xf32>, %[[INIT:.*]]: tensor<4xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[C0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} ins(%[[X]] : tensor<4x4096xf32>) outs(%[[INIT]], %[[C0]] : tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32, %[[S:.*]]: f32, %[[C:.*]]: f32):
// CHECK-NEXT:   %[[SQ:.*]] = arith.mulf %[[V]], %[[V]] : f32
// CHECK-NEXT:   %[[T:.*]] = arith.addf %[[S]], %[[SQ]] : f32
// CHECK-NEXT:   %[[AS:.*]] = math.absf %[[S]] : f32
// CHECK-NEXT:   %[[AX:.*]] = math.absf %[[SQ]] : f32
// CHECK-NEXT:   %[[BIG:.*]] = arith.cmpf oge, %[[AS]], %[[AX]] : f32
// CHECK-NEXT:   %[[D1:.*]] = arith.subf %[[S]], %[[T]] : f32
// CHECK-NEXT:   %[[L1:.*]] = arith.addf %[[D1]], %[[SQ]] : f32
// CHECK-NEXT:   %[[D2:.*]] = arith.subf %[[SQ]], %[[T]] : f32
// CHECK-NEXT:   %[[L2:.*]] = arith.addf %[[D2]], %[[S]] : f32
// CHECK-NEXT:   %[[L:.*]] = arith.select %[[BIG]], %[[L1]], %[[L2]] : f32
// CHECK-NEXT:   %[[NC:.*]] = arith.addf %[[C]], %[[L]] : f32
// CHECK-NEXT:   linalg.yield %[[T]], %[[NC]] : f32, f32
// CHECK-NEXT: } -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[R]]#0, %[[R]]#1 : tensor<4xf32>, tensor<4xf32>)
// CHECK:   arith.addf
// CHECK: } -> tensor<4xf32>
// CHECK: return %[[OUT]]

// 4096 = 64 blocks of 64: the input is reshaped, each block summed with the
// original payload into a partial sum, then the partial sums added up.
// PAIRWISE-LABEL: func.func @sum_of_squares
// PAIRWISE: %[[X2:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [4, 64, 64] : tensor<4x4096xf32> into tensor<4x64x64xf32>
// PAIRWISE: %[[P:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]{{.*}} ins(%[[X2]] : tensor<4x64x64xf32>) outs(%{{.*}} : tensor<4x64xf32>)
// PAIRWISE-SAME: mp.compensation = "pairwise"
// PAIRWISE:   arith.mulf
// PAIRWISE: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[P]] : tensor<4x64xf32>) outs(%arg1 : tensor<4xf32>)
// PAIRWISE-SAME: mp.compensation = "pairwise"
// PAIRWISE: return %[[S]]

// KAHAN-LABEL: func.func @sum_of_squares
// KAHAN: %[[R:.*]]:2 = linalg.generic
// KAHAN-NEXT: ^bb0(%[[V:.*]]: f32, %[[S:.*]]: f32, %[[C:.*]]: f32):
// KAHAN-NEXT:   %[[SQ:.*]] = arith.mulf %[[V]], %[[V]] : f32
// KAHAN-NEXT:   %[[Y:.*]] = arith.subf %[[SQ]], %[[C]] : f32
// KAHAN-NEXT:   %[[T:.*]] = arith.addf %[[S]], %[[Y]] : f32
// KAHAN-NEXT:   %[[D:.*]] = arith.subf %[[T]], %[[S]] : f32
// KAHAN-NEXT:   %[[NC:.*]] = arith.subf %[[D]], %[[Y]] : f32
// KAHAN-NEXT:   linalg.yield %[[T]], %[[NC]] : f32, f32
// KAHAN: return %[[R]]#0
func.func @sum_of_squares(%x: tensor<4x4096xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  // expected-remark @below {{compensated neumaier summation of 4096 'f32' terms}}
  %r = linalg.generic {indexing_maps = [#x, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x4096xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%v: f32, %s: f32):
    %sq = arith.mulf %v, %v : f32
    %t = arith.addf %s, %sq : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

#x = affine_map<(d0) -> (d0)>
#s = affine_map<(d0) -> ()>

// Short f32 sums are left alone; a bf16 sum is compensated whatever its length.
// CHECK-LABEL: func.func @short_and_narrow
func.func @short_and_narrow(%x: tensor<64xf32>, %init: tensor<f32>, %y: tensor<64xbf16>, %binit: tensor<bf16>) -> (tensor<f32>, tensor<bf16>) {
  // expected-remark @below {{reduction not compensated: the sum has 64 terms, fewer than min-length 1024}}
  %a = linalg.generic {indexing_maps = [#x, #s], iterator_types = ["reduction"]}
      ins(%x : tensor<64xf32>) outs(%init : tensor<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %t = arith.addf %v, %acc : f32
    linalg.yield %t : f32
  } -> tensor<f32>
  // CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<64xbf16>) outs(%{{.*}}, %{{.*}} : tensor<bf16>, tensor<bf16>)
  // CHECK-SAME: mp.compensation = "neumaier"
  // expected-remark @below {{compensated neumaier summation of 64 'bf16' terms}}
  %b = linalg.generic {indexing_maps = [#x, #s], iterator_types = ["reduction"]}
      ins(%y : tensor<64xbf16>) outs(%binit : tensor<bf16>) {
  ^bb0(%v: bf16, %acc: bf16):
    %t = arith.addf %acc, %v : bf16
    linalg.yield %t : bf16
  } -> tensor<bf16>
  return %a, %b : tensor<f32>, tensor<bf16>
}

// -----

#x = affine_map<(d0) -> (d0)>
#s = affine_map<(d0) -> ()>

// Not sums: a max reduction, and an accumulator used twice.
func.func @not_sums(%x: tensor<8192xf32>, %init: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  // expected-remark @below {{reduction not compensated: the payload is not a sum into the accumulator}}
  %m = linalg.generic {indexing_maps = [#x, #s], iterator_types = ["reduction"]}
      ins(%x : tensor<8192xf32>) outs(%init : tensor<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %t = arith.maximumf %acc, %v : f32
    linalg.yield %t : f32
  } -> tensor<f32>
  // expected-remark @below {{reduction not compensated: the payload is not a sum into the accumulator}}
  %p = linalg.generic {indexing_maps = [#x, #s], iterator_types = ["reduction"]}
      ins(%x : tensor<8192xf32>) outs(%init : tensor<f32>) {
  ^bb0(%v: f32, %acc: f32):
    %w = arith.mulf %acc, %v : f32
    %t = arith.addf %acc, %w : f32
    linalg.yield %t : f32
  } -> tensor<f32>
  return %m, %p : tensor<f32>, tensor<f32>
}
