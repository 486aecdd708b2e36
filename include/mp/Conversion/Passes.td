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

//===----------------------------------------------------------------------===//
// CPU code generation
//===----------------------------------------------------------------------===//

def MPVectorizeContractions : Pass<"mp-vectorize-contractions", "::mlir::func::FuncOp"> {
  let summary = "Tile static contractions into register blocks and vectorize them (CPU)";
  let description = [{
    Tiles every statically shaped, row-major contraction on tensors (matmul,
    batch_matmul, multiply-add generics reading A[.., m, k], B[.., k, n] and
    writing C[.., m, n]; other layouts would need in-register transposes) into
    blocks of `tile-m` x `tile-n` x `tile-k` (the
    largest divisor of each dimension not above the size), vectorizes each
    block to `vector.contract`, and lowers that to outer products (FMAs). Mixed
    element types (bf16 inputs, f32 accumulator) vectorize with exact
    widenings. Contractions with 16-bit accumulators (models that arrive in
    bf16 and accumulate in it) are not vectorized: their per-lane software
    rounding makes LLVM compile for minutes. Used by
    `mp-cpu-lowering{vectorize}`; contractions it cannot handle are left for
    the scalar loop lowering.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8", "Rows per block">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32", "Columns per block">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"32", "Reduction depth per block">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"];
}

#endif // MP_CONVERSION_PASSES_TD
