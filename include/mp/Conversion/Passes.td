//===- Passes.td - mp conversion passes --------------------*- tablegen -*-===//

#ifndef MP_CONVERSION_PASSES_TD
#define MP_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def MPLowerToArith : Pass<"mp-lower-to-arith"> {
  let summary = "Lower mp ops to arith, math, tensor and linalg with exact rounding";
  let description = [{
    Rewrites `mp.cast`, `mp.quantize`, `mp.dequantize`, `mp.amax` and `mp.pin`
    into upstream ops on tensors (elementwise `linalg.generic`s with arith/math
    bodies), so that mixed-precision IR runs on the CPU through the ordinary
    upstream lowering and `mlir-runner`. Rounding is bit-exact with the GPU's:
    one correctly rounded step per cast (nearest-even or toward-zero),
    saturation as requested, fp8 encoded and decoded with integer operations.

    `arith.truncf`/`arith.extf` on fp8 scalars in the input are rewritten the
    same way, because the upstream LLVM lowering cannot convert them.

    Ops whose types the CPU cannot represent exactly get a diagnostic.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // MP_CONVERSION_PASSES_TD
