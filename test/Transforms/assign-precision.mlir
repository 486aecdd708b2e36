// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=bf16})" | FileCheck %s
// RUN: mp-opt %s -split-input-file --pass-pipeline="builtin.module(mp-assign-precision{policy=f16})" | FileCheck %s --check-prefix=F16

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>

// Classes by structure: named and generic contractions, elementwise ops that
// follow producers, data movement, sensitive exp/reductions/division.
// CHECK-LABEL: func @classes
// F16-LABEL: func @classes
func.func @classes(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %init: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>) {
  // CHECK: linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>, compute = f32, rule = "class-default:contraction">}
  // F16: linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <f16, acc = f32>, compute = f32, rule = "class-default:contraction">}
  %0 = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%init : tensor<8x4xf32>) -> tensor<8x4xf32>
  // A generic whose body is a multiply-add reduction is a contraction too.
  // CHECK: linalg.generic
  // CHECK-SAME: mp.decision = #mp.decision<class = contraction, format = <bf16, acc = f32>
  %1 = linalg.generic {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%init : tensor<8x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  // Elementwise add of two bf16 producers follows them.
  // CHECK: linalg.generic
  // CHECK-SAME: mp.decision = #mp.decision<class = elementwise, format = <bf16>, compute = f32, rule = "follows-producers"
  %2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%0, %1 : tensor<8x4xf32>, tensor<8x4xf32>) outs(%init : tensor<8x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  // exp can overflow in 16 bits: sensitive, f32.
  // CHECK: linalg.generic
  // CHECK-SAME: mp.decision = #mp.decision<class = sensitive, format = <f32>, compute = f32, rule = "class-default:sensitive"
  %3 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%2 : tensor<8x4xf32>) outs(%init : tensor<8x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  } -> tensor<8x4xf32>
  // A sum reduction (softmax denominator, norm statistics): sensitive.
  %z = tensor.empty() : tensor<8xf32>
  // CHECK: linalg.generic
  // CHECK-SAME: mp.decision = #mp.decision<class = sensitive, format = <f32>
  %4 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%3 : tensor<8x4xf32>) outs(%z : tensor<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  // Division by a computed value (softmax normalization): sensitive.
  // CHECK: linalg.generic
  // CHECK-SAME: #mp.decision<class = sensitive
  %5 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%3, %4 : tensor<8x4xf32>, tensor<8xf32>) outs(%init : tensor<8x4xf32>) {
  ^bb0(%x: f32, %s: f32, %o: f32):
    %d = arith.divf %x, %s : f32
    linalg.yield %d : f32
  } -> tensor<8x4xf32>
  // A transpose is data movement and follows its (f32) producer.
  %t = tensor.empty() : tensor<4x8xf32>
  // CHECK: linalg.transpose
  // CHECK-SAME: mp.decision = #mp.decision<class = data_movement, format = <f32>, compute = f32, rule = "follows-producers"
  %6 = linalg.transpose ins(%5 : tensor<8x4xf32>) outs(%t : tensor<4x8xf32>) permutation = [1, 0]
  return %5, %4, %6 : tensor<8x4xf32>, tensor<8xf32>, tensor<4x8xf32>
}

// -----

// linalg.softmax is sensitive; fills and empties are not assigned; an
// elementwise op fed only by arguments takes the policy's elementwise format.
// CHECK-LABEL: func @softmax_and_sources
// CHECK: linalg.fill ins
// CHECK-NOT: mp.class
// CHECK-SAME: -> tensor<2x8xf32>
// CHECK: linalg.softmax {mp.decision = #mp.decision<class = sensitive, format = <f32>
// CHECK: linalg.add {mp.decision = #mp.decision<class = elementwise, format = <bf16>, compute = f32, rule = "class-default:elementwise">}
func.func @softmax_and_sources(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %c = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  %0 = linalg.softmax dimension(1) ins(%x : tensor<2x8xf32>) outs(%f : tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = linalg.add ins(%x, %x : tensor<2x8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0, %1 : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Overrides: an mp.format attribute, an mp.pin of the result, and the
// overrides of an mp.policy attribute (by op name and by location name).
// CHECK-LABEL: func @overrides
// CHECK: linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <f32>, compute = f32, rule = "user-attribute", forced = true>, mp.format = #mp.format<f32>}
// CHECK: linalg.matmul {mp.decision = #mp.decision<class = contraction, format = <f16, acc = f32>, compute = f32, rule = "user-pin", forced = true>}
// CHECK: linalg.batch_matmul {mp.decision = #mp.decision<class = contraction, format = <f32>, compute = f32, rule = "policy-attr:linalg.batch_matmul", forced = true>}
// CHECK: linalg.add {mp.decision = #mp.decision<class = elementwise, format = <f32>, compute = f32, rule = "policy-attr:scores*", forced = true
func.func @overrides(%a: tensor<8x8xf32>, %b: tensor<2x8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<2x8x8xf32>, tensor<8x8xf32>)
    attributes {mp.policy = #mp.policy<name = "custom", contraction = <bf16, acc = f32>, elementwise = <bf16>, sensitive = <f32>,
                overrides = {"linalg.batch_matmul" = #mp.format<f32>, "scores*" = #mp.format<f32>}>} {
  %0 = linalg.matmul {mp.format = #mp.format<f32>} ins(%a, %a : tensor<8x8xf32>, tensor<8x8xf32>) outs(%a : tensor<8x8xf32>) -> tensor<8x8xf32>
  %1 = linalg.matmul ins(%a, %a : tensor<8x8xf32>, tensor<8x8xf32>) outs(%a : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = mp.pin %1 {format = #mp.format<f16, acc = f32>} : tensor<8x8xf32>
  %2 = linalg.batch_matmul ins(%b, %b : tensor<2x8x8xf32>, tensor<2x8x8xf32>) outs(%b : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %3 = linalg.add ins(%0, %p : tensor<8x8xf32>, tensor<8x8xf32>) outs(%a : tensor<8x8xf32>) -> tensor<8x8xf32> loc("scores_add")
  return %0, %p, %2, %3 : tensor<8x8xf32>, tensor<8x8xf32>, tensor<2x8x8xf32>, tensor<8x8xf32>
}

// -----

// Mixed f16 and bf16 producers: neither holds the other, so f32.
// CHECK-LABEL: func @mixed_producers
// CHECK: linalg.add {mp.decision = #mp.decision<class = elementwise, format = <f32>, compute = f32, rule = "follows-producers">}
func.func @mixed_producers(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = linalg.matmul {mp.format = #mp.format<f16, acc = f32>} ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = linalg.matmul {mp.format = #mp.format<bf16, acc = f32>} ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  %2 = linalg.add ins(%0, %1 : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// Floats made from iteration indices (rotary positions) are computed in f32,
// and the angles that follow from them follow f32.
#pos = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func @positions
// CHECK: linalg.generic {{.*}}class = sensitive, format = <f32>
// CHECK: linalg.generic {{.*}}class = elementwise, format = <f32>{{.*}}follows-producers
// F16-LABEL: func @positions
// F16: linalg.generic {{.*}}class = sensitive, format = <f32>
// F16: linalg.generic {{.*}}class = elementwise, format = <f32>
func.func @positions(%inv: tensor<32xf32>) -> tensor<32xf32> {
  %e = tensor.empty() : tensor<32xf32>
  %p = linalg.generic {indexing_maps = [#pos], iterator_types = ["parallel"]} outs(%e : tensor<32xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = arith.index_cast %i : index to i64
    %f = arith.sitofp %j : i64 to f32
    linalg.yield %f : f32
  } -> tensor<32xf32>
  %a = linalg.generic {indexing_maps = [#pos, #pos, #pos], iterator_types = ["parallel"]} ins(%p, %inv : tensor<32xf32>, tensor<32xf32>) outs(%e : tensor<32xf32>) {
  ^bb0(%x: f32, %y: f32, %out: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<32xf32>
  return %a : tensor<32xf32>
}
