// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-mixed-precision{policy=bf16 report=%t.json})" | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.json
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-mixed-precision{policy=bf16 keep-io-types=true})" \
// RUN:   | FileCheck %s --check-prefix=KEEP
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-mixed-precision{policy=bf16 remarks=true})" \
// RUN:   -o /dev/null 2>&1 | FileCheck %s --check-prefix=REMARK

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A linear layer, a row softmax and a second linear layer. The pipeline turns
// the arith op on tensors into linalg, assigns, materializes, folds casts.
// CHECK-LABEL: func @block
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xbf16>) -> tensor<4x8xbf16>
// CHECK: %[[MM:.*]] = linalg.matmul {{.*}} ins(%[[X]], %{{.*}} : tensor<4x8xbf16>, tensor<8x8xbf16>) outs(%{{.*}} : tensor<4x8xf32>)
// The softmax statistics stay f32 and read the f32 accumulator directly.
// CHECK-NOT: mp.cast %[[MM]]
// CHECK: linalg.generic {{.*}} ins(%[[MM]] : tensor<4x8xf32>) {{.*}}#mp.decision<class = sensitive
// CHECK: math.exp
// CHECK: linalg.generic {{.*}}#mp.decision<class = sensitive
// CHECK: %[[P:.*]] = linalg.generic {{.*}}#mp.decision<class = sensitive
// CHECK: arith.divf
// CHECK: %[[PB:.*]] = mp.cast %[[P]] : tensor<4x8xf32> to tensor<4x8xbf16>
// CHECK: %[[Y:.*]] = linalg.matmul {{.*}} ins(%[[PB]], %{{.*}} : tensor<4x8xbf16>, tensor<8x8xbf16>) outs(%{{.*}} : tensor<4x8xf32>)
// The result leaves in bf16, rounded once.
// CHECK: %[[OUT:.*]] = mp.cast %[[Y]] : tensor<4x8xf32> to tensor<4x8xbf16>
// CHECK: return %[[OUT]]
// No bookkeeping attributes are left behind.
// CHECK-NOT: mp.report

// With keep-io-types the signature stays f32. remarks=true reports each
// decision at its op (REMARK lines below).
// KEEP-LABEL: func @block
// KEEP-SAME: (%{{.*}}: tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @block(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %w1 = arith.constant dense<0.5> : tensor<8x8xf32>
  %w2 = arith.constant dense<0.25> : tensor<8x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  // REMARK: remark: contraction: #mp.format<bf16, acc = f32>, computes in 'f32' (class-default:contraction)
  %h = linalg.matmul ins(%x, %w1 : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = tensor.empty() : tensor<4xf32>
  %rz = linalg.fill ins(%c0 : f32) outs(%r : tensor<4xf32>) -> tensor<4xf32>
  // REMARK: remark: sensitive: #mp.format<f32>, computes in 'f32' (class-default:sensitive)
  %ex = math.exp %h : tensor<4x8xf32>
  // REMARK: remark: sensitive: #mp.format<f32>, computes in 'f32' (class-default:sensitive)
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%ex : tensor<4x8xf32>) outs(%rz : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  // REMARK: remark: sensitive: #mp.format<f32>, computes in 'f32' (class-default:sensitive)
  %p = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ex, %sum : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %d = arith.divf %a, %s : f32
    linalg.yield %d : f32
  } -> tensor<4x8xf32>
  // REMARK: remark: contraction: #mp.format<bf16, acc = f32>, computes in 'f32' (class-default:contraction)
  %y = linalg.matmul ins(%p, %w2 : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// The report lists every decision (in IR order) and the totals, read from
// the IR: the two 8x8 weights are bf16 now (256 bytes), two tensor casts
// remain (the softmax result into the second matmul, its result out).
// Contractions carry their shape facts for cost models (4x8 by 8x8: 256
// multiply-adds, a 64-element weight whose output dimension is 1).
// REPORT: "ops": [
// REPORT: "activation_elements": 32,
// REPORT-NEXT: "class": "contraction",
// REPORT-NEXT: "compute": "f32",
// REPORT-NEXT: "forced": false,
// REPORT-NEXT: "format": "#mp.format<bf16, acc = f32>",
// REPORT-NEXT: "loc": "mixed-precision.mlir:{{[0-9]+}}:8",
// REPORT-NEXT: "macs": 256,
// REPORT-NEXT: "op": "linalg.matmul",
// REPORT-NEXT: "output_elements": 32,
// REPORT-NEXT: "rule": "class-default:contraction",
// REPORT-NEXT: "weight_elements": 64,
// REPORT-NEXT: "weight_output_axis": 1,
// REPORT-NEXT: "weight_reduction_axis": 0
// REPORT: "class": "sensitive",
// REPORT-NEXT: "compute": "f32",
// REPORT-NEXT: "forced": false,
// REPORT-NEXT: "format": "#mp.format<f32>",
// REPORT-NEXT: "loc": "mixed-precision.mlir:{{[0-9]+}}:9",
// REPORT-NEXT: "op": "linalg.generic",
// REPORT: "totals": {
// REPORT-NEXT: "casts": {
// REPORT-NEXT: "in_kernel_casts": 0,
// REPORT-NEXT: "tensor_casts": 2
// REPORT: "constant_bytes": {
// REPORT-NEXT: "per_type": {
// REPORT-NEXT: "bf16": 256
// REPORT: "total": 256
// REPORT: "ops_per_class": {
// REPORT-NEXT: "contraction": 2,
// REPORT-NEXT: "sensitive": 3
// REPORT: "ops_per_compute_type": {
// REPORT-NEXT: "f32": 5
// REPORT: "ops_per_format": {
// REPORT-NEXT: "bf16": 2,
// REPORT-NEXT: "f32": 3
