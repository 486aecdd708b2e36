//===- Passes.td - mp transformation passes ----------------*- tablegen -*-===//

#ifndef MP_TRANSFORMS_PASSES_TD
#define MP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Precision assignment and materialization
//===----------------------------------------------------------------------===//

def MPAssignPrecision : Pass<"mp-assign-precision", "::mlir::ModuleOp"> {
  let summary = "Decide a numeric format for every op by policy and record it";
  let description = [{
    Classifies every op that computes float tensors by structure (contraction,
    elementwise, data movement, sensitive; see docs/UserGuide.md) and records
    its decision as discardable attributes: `mp.format` (a `#mp.format`),
    `mp.class` and `mp.rule` (which rule decided: `class-default`,
    `follows-producers`, `user-attribute`, `user-pin`, `policy-file[i]`,
    `policy-attr:<pattern>`). Nothing is retyped: mp-materialize does that.

    The policy comes from, in order: an `mp.policy` attribute on the function,
    then on the module, then the `policy` option, then the policy file's
    `"policy"`, then `bf16`. Overrides, strongest first: an `mp.format`
    attribute the user put on the op, an `mp.pin` of its result, the policy
    file's overrides (first match), the policy attribute's overrides.

    With `calibration` (a file written by `mp-run --calibrate`), a decision
    that is not forced by the user and would store a value whose recorded
    absolute maximum exceeds the format's largest finite value (65504 for
    f16) becomes f32 instead (rule `range-check:calibration`). Values are
    matched by their stable name: `mp.name`, else the location.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"\"",
           "Built-in policy: f32, f16 or bf16 (default: the policy file's, else bf16)">,
    Option<"policyFile", "policy-file", "std::string", /*default=*/"\"\"",
           "JSON policy file with a policy name and per-op overrides">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark per decision (op, class, format, rule)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Range statistics from mp-run --calibrate: ops whose recorded |x| "
           "exceeds the chosen format's largest finite value stay f32">
  ];
  let dependentDialects = ["::mp::MPDialect"];
}

def MPMaterialize : Pass<"mp-materialize", "::mlir::ModuleOp"> {
  let summary = "Retype ops to their decided formats, insert casts, convert weights";
  let description = [{
    For every op with an `mp.format` decision: casts its float tensor inputs
    to the format's storage type (contraction accumulators stay at the
    accumulation type, and the contraction's result is rounded once to the
    storage type), retypes its results, and rewrites `linalg.generic` bodies to
    compute in their original type between exact widening and one rounding at
    the yield. Named contractions (matmul, batch_matmul, matvec, vecmat,
    batch_matvec) stay named; other named linalg ops are generalized.

    Constant weights (dense and dense_resource) are converted at compile time.
    A weight that does not fit the format (above 65504 for f16, say) is kept
    wider with a remark, or rejected with an error when the user forced the
    format. `keep-io-types` keeps the function signature; otherwise arguments
    used only in one narrower format and results take that format.
    `mp.pin` ops are removed (their decision is on the producer).
  }];
  let options = [
    Option<"keepIOTypes", "keep-io-types", "bool", /*default=*/"false",
           "Keep function argument and result types unchanged">
  ];
  let dependentDialects = ["::mp::MPDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
  let statistics = [
    Statistic<"numCastsInserted", "casts-inserted", "Number of casts inserted">,
    Statistic<"numWeightsConverted", "weights-converted", "Constant weights converted">
  ];
}

def MPPrecisionReport : Pass<"mp-precision-report", "::mlir::ModuleOp"> {
  let summary = "Write the precision decisions and totals as JSON";
  let description = [{
    Collects every op's `mp.class`, `mp.format` and `mp.rule` with its
    location, and totals: ops per format, casts inserted (by mp-materialize),
    removed (by mp-fold-casts) and remaining, and weight bytes before and after.
    The output is deterministic. With `file` empty nothing is written; the
    bookkeeping attributes on the module are removed either way.
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "Where to write the JSON report ('-' for stdout)">
  ];
}

//===----------------------------------------------------------------------===//
// Cast clean-up
//===----------------------------------------------------------------------===//

def MPFoldCasts : Pass<"mp-fold-casts"> {
  let summary = "Remove casts that change nothing, merge exact chains, hoist and share casts";
  let description = [{
    - removes identity casts and exact round trips (`f16 -> f32 -> f16`);
    - merges chains whose first step is exact (`f8 -> f16 -> f32` becomes
      `f8 -> f32`);
    - hoists casts of loop-invariant values out of loops (to just after the
      value's definition) and makes all users of the same cast of a value
      share one cast;
    - keeps narrowing round trips (`f32 -> f16 -> f32` rounds, so it is not
      the identity) unless `allow-excess-precision` is set; then each one
      removed is reported with a remark at its location.
  }];
  let options = [
    Option<"allowExcessPrecision", "allow-excess-precision", "bool",
           /*default=*/"false",
           "Remove narrowing round trips too, keeping the wider value (reported)">
  ];
  let statistics = [
    Statistic<"numCastsRemoved", "casts-removed", "Number of tensor casts removed">
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
    widenings. Used by `mp-cpu-lowering{vectorize}`; contractions it cannot
    handle are left for the scalar loop lowering.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8", "Rows per block">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32", "Columns per block">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"32", "Reduction depth per block">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"];
}

#endif // MP_TRANSFORMS_PASSES_TD
