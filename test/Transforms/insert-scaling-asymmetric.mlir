// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-mixed-precision{policy=w4a16 group-size=4 asymmetric=true})" | FileCheck %s --check-prefix=W4
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-mixed-precision{policy=w8a16 weight-granularity=per-group group-size=4})" | FileCheck %s --check-prefix=W8G
// RUN: mp-opt %s --pass-pipeline="builtin.module(mp-mixed-precision{policy=w8a16 asymmetric=true})" | FileCheck %s --check-prefix=W8A

// One output channel whose 8 reduction values form two groups of 4:
// {0, 1, 2, 3} and {-1, 0.5, 2, 3.5}. Asymmetric int4 gives each group
// s = (max - min) / 15 and m = min (f16): group 0 s = 0.2, m = 0,
// group 1 s = 0.3, m = -1 (f16: 0.19995 and 0.30005). The codes are the unsigned 4-bit values
// round((w - m) / s): 0, 5, 10, 15 and 0, 5, 10, 15 (printed as signless
// i4: 15 reads -1, 10 reads -6). The payload widens them with uitofp and adds
// the offset after the exact product q * s.
// W4-LABEL: func.func @linear
// W4-DAG: %[[M:.*]] = arith.constant dense<{{\[\[}}0.000000e+00], [-1.000000e+00]]> : tensor<2x1xf16>
// W4-DAG: %[[S:.*]] = arith.constant dense<{{\[\[}}1.999510e-01], [3.000490e-01]]> : tensor<2x1xf16>
// W4-DAG: arith.constant dense<{{\[\[\[}}0], [5], [-6], [-1]], {{\[\[}}0], [5], [-6], [-1]]]> : tensor<2x4x1xi4>
// W4: linalg.generic
// W4-SAME: ins({{.*}}, %[[S]], %[[M]] : {{[^)]*}})
// W4-SAME: mp.scaling = "w4a16: i4 weights per group of 4 (asymmetric: f16 scales and offsets), bf16 activations, f32 accumulation"
// W4: arith.uitofp %{{.*}} : i4 to f32
// W4-NEXT: arith.extf
// W4-NEXT: arith.mulf
// W4-NEXT: arith.extf
// W4-NEXT: arith.addf

// Symmetric int8 in groups of 4 along the reduction: one f16 scale per
// group (max |w| / 127), signed codes, no offsets.
// W8G-LABEL: func.func @linear
// W8G-DAG: arith.constant dense<{{\[\[\[}}0], [42], [85], [127]], {{\[\[}}-36], [18], [73], [127]]]> : tensor<2x4x1xi8>
// W8G-DAG: arith.constant {{.*}} : tensor<2x1xf16>
// W8G: mp.scaling = "w8a16: i8 weights per group of 4 (f16 scales), bf16 activations, f32 accumulation"
// W8G-NOT: arith.uitofp
// W8G: arith.sitofp

// Asymmetric int8 per output channel: one scale and one offset, 255 levels.
// W8A-LABEL: func.func @linear
// W8A-DAG: arith.constant {{.*}} : tensor<1xf16>
// W8A-DAG: arith.constant {{.*}} : tensor<1xf16>
// W8A: mp.scaling = "w8a16: i8 weights per channel (asymmetric: f16 scales and offsets), bf16 activations, f32 accumulation"
// W8A: arith.uitofp %{{.*}} : i8 to f32
func.func @linear(%x: tensor<3x8xf32>) -> tensor<3x1xf32> {
  %w = arith.constant dense<[[0.0], [1.0], [2.0], [3.0], [-1.0], [0.5], [2.0], [3.5]]> : tensor<8x1xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x1xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<3x1xf32>) -> tensor<3x1xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x8xf32>, tensor<8x1xf32>) outs(%c : tensor<3x1xf32>) -> tensor<3x1xf32>
  return %y : tensor<3x1xf32>
}
