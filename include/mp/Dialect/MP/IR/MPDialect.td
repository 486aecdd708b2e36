//===- MPDialect.td - mp dialect definition ----------------*- tablegen -*-===//
//
// The mp dialect annotates tensors with numeric formats and holds the ops that
// mixed-precision passes insert: casts, quantize/dequantize, pins, amax.
//
//===----------------------------------------------------------------------===//

#ifndef MP_DIALECT_MP_IR_MPDIALECT_TD
#define MP_DIALECT_MP_IR_MPDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def MP_Dialect : Dialect {
  let name = "mp";
  let cppNamespace = "::mp";
  let summary = "Mixed-precision formats, casts and scaling for LLM inference";
  let description = [{
    The `mp` dialect names numeric formats (`#mp.format`), precision policies
    (`#mp.policy`), and the ops that mixed-precision passes insert: value casts
    with an explicit rounding mode and saturation (`mp.cast`), scaled
    quantization (`mp.quantize`, `mp.dequantize`), user pins (`mp.pin`) and the
    absolute-maximum reduction used for dynamic scaling (`mp.amax`).

    Every op has an exact CPU lowering (`mp-lower-to-arith`) that rounds bit for
    bit as the GPU does, so numerics are checked without a GPU.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    /// Adds the attributes (defined next to their storage in MPAttrs.cpp).
    void registerAttributes();
    /// Name of the discardable attribute that records a format on an op
    /// (decided by mp-assign-precision or set by the user).
    static constexpr ::llvm::StringLiteral getFormatAttrName() { return "mp.format"; }
    /// Name of the discardable attribute that carries a policy on a module or function.
    static constexpr ::llvm::StringLiteral getPolicyAttrName() { return "mp.policy"; }
    /// Name of the discardable attribute that records a decision on an op
    /// (a `#mp.decision`, written by mp-assign-precision).
    static constexpr ::llvm::StringLiteral getDecisionAttrName() { return "mp.decision"; }
    /// Name of the discardable attribute that gives an op's value a stable
    /// name (a string), matched by policy files and calibration.
    static constexpr ::llvm::StringLiteral getNameAttrName() { return "mp.name"; }
    /// Name of the function attribute listing the names of the values that
    /// mp-expose-values appended to its results (an array of strings).
    static constexpr ::llvm::StringLiteral getExposedValuesAttrName() {
      return "mp.exposed_values";
    }
    /// Name of the unit attribute on a `gpu.launch` whose body is written at
    /// warp level: every lane of a warp executes the same code on the same
    /// data (vector.contract on whole warp tiles), so one lane per warp is
    /// enough to emulate it (mp-gpu-launch-to-loops) and
    /// mp-gpu-lower-warp-mma distributes it over the lanes.
    static constexpr ::llvm::StringLiteral getWarpSynchronousAttrName() {
      return "mp.warp_synchronous";
    }
    /// Name of the string attribute ("kahan" or "neumaier") that
    /// mp-compensate-reductions puts on the reductions it rewrote (and on the
    /// op adding the compensation back), so they are not rewritten again.
    static constexpr ::llvm::StringLiteral getCompensationAttrName() {
      return "mp.compensation";
    }
    /// Name of the user annotation `mp.range = [lo, hi]` (two floats, lo <=
    /// hi) bounding every element of an op's results or, as an argument
    /// attribute, of a function argument. Seeds the range analysis.
    static constexpr ::llvm::StringLiteral getRangeAttrName() { return "mp.range"; }
    /// Name of the attribute mp-insert-scaling puts on the ops it creates or
    /// rewrites: a string naming the scaling ("f16-guard 2^-3", "fp8
    /// dynamic per-token x per-channel", ...), read by the precision report.
    static constexpr ::llvm::StringLiteral getScalingAttrName() { return "mp.scaling"; }
    /// Name of the unit attribute on the functions mp-outline-loop-nests
    /// created (one loop nest each), which it does not outline again.
    static constexpr ::llvm::StringLiteral getOutlinedAttrName() { return "mp.outlined"; }
    /// Name of the unit attribute on the functions mp-outline-parallel-loops
    /// created: the body of a parallel loop over an iteration range (its
    /// last two arguments), called through mp_parallel_for once
    /// mp-lower-parallel-calls has run.
    static constexpr ::llvm::StringLiteral getParallelBodyAttrName() { return "mp.parallel_body"; }
    /// Name of the dictionary mp-gpu-map-kernels puts on a host function:
    /// `launches`, the cost of each kernel it created in launch order
    /// ({flops, bytes, ops, tensor_cores}), and the unfused baseline
    /// (`unfused_bytes`, `unfused_kernels`: one kernel per op). Read by
    /// mp-gpu-dump-kernels for the cost report in kernels.json.
    static constexpr ::llvm::StringLiteral getKernelCostsAttrName() {
      return "mp.kernel_costs";
    }
  }];
}

class MP_Op<string mnemonic, list<Trait> traits = []>
    : Op<MP_Dialect, mnemonic, traits>;

#endif // MP_DIALECT_MP_IR_MPDIALECT_TD
