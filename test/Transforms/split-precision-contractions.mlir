// RUN: mp-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mp-split-precision-contractions{remarks=true}))" --verify-diagnostics | FileCheck %s
// RUN: mp-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(mp-split-precision-contractions{parts=3 format=f16}))" | FileCheck %s --check-prefix=F16

// Two bf16 parts per operand, three partial products, smallest first; the
// name stays on the largest product.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[A:.*]]:2 = linalg.generic {{.*}} ins(%arg0 : tensor<8x32xf32>) outs({{.*}} : tensor<8x32xbf16>, tensor<8x32xbf16>)
// CHECK:   %[[HI:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK:   %[[W:.*]] = arith.extf %[[HI]] : bf16 to f32
// CHECK:   %[[R:.*]] = arith.subf %{{.*}}, %[[W]] : f32
// CHECK:   %[[S:.*]] = arith.select %{{.*}}, %[[R]], %{{.*}} : f32
// CHECK:   %[[LO:.*]] = arith.truncf %[[S]] : f32 to bf16
// CHECK:   linalg.yield %[[HI]], %[[LO]] : bf16, bf16
// CHECK: %[[B:.*]]:2 = linalg.generic {{.*}} ins(%arg1 : tensor<32x16xf32>)
// The products are named matmuls again (bf16 in, f32 accumulation).
// CHECK: %[[P1:.*]] = linalg.matmul ins(%[[A]]#0, %[[B]]#1 : tensor<8x32xbf16>, tensor<32x16xbf16>) outs(%arg2 : tensor<8x16xf32>)
// CHECK: %[[P2:.*]] = linalg.matmul ins(%[[A]]#1, %[[B]]#0 : {{.*}}) outs(%[[P1]] : tensor<8x16xf32>)
// CHECK: %[[P3:.*]] = linalg.matmul {mp.name = "proj"} ins(%[[A]]#0, %[[B]]#0 : {{.*}}) outs(%[[P2]] : tensor<8x16xf32>)
// CHECK: return %[[P3]]

// F16-LABEL: func.func @matmul
// F16: linalg.generic {{.*}} outs({{.*}} : tensor<8x32xf16>, tensor<8x32xf16>, tensor<8x32xf16>)
// F16-COUNT-6: ins(%{{.*}}#{{[0-2]}}, %{{.*}}#{{[0-2]}} : tensor<8x32xf16>, tensor<32x16xf16>)
func.func @matmul(%a: tensor<8x32xf32>, %b: tensor<32x16xf32>, %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // expected-remark @below {{split proj into 3 'bf16' partial products (2 parts per operand), f32 accumulation}}
  %r = linalg.matmul {mp.name = "proj"} ins(%a, %b : tensor<8x32xf32>, tensor<32x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// Left alone: a scaled product (not a contraction), a bf16 one (already low).
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
// CHECK-LABEL: func.func @others
func.func @others(%a: tensor<8x32xf32>, %b: tensor<32x16xf32>, %c: tensor<8x16xf32>,
                  %x: tensor<8x32xbf16>, %y: tensor<32x16xbf16>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %two = arith.constant 2.0 : f32
  // CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x32xf32>, tensor<32x16xf32>) outs(%c : tensor<8x16xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %m = arith.mulf %u, %v : f32
    %s = arith.mulf %m, %two : f32
    %t = arith.addf %o, %s : f32
    linalg.yield %t : f32
  } -> tensor<8x16xf32>
  // CHECK: linalg.matmul
  %q = linalg.matmul ins(%x, %y : tensor<8x32xbf16>, tensor<32x16xbf16>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r, %q : tensor<8x16xf32>, tensor<8x16xf32>
}
