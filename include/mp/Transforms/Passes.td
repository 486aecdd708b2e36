//===- Passes.td - mp transformation passes ----------------*- tablegen -*-===//

#ifndef MP_TRANSFORMS_PASSES_TD
#define MP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Precision assignment and materialization
//===----------------------------------------------------------------------===//

def MPAssignPrecision : Pass<"mp-assign-precision", "::mlir::ModuleOp"> {
  let summary = "Decide a format per op by policy and record it as #mp.decision";
  let description = [{
    Classifies every op that computes float tensors from float tensors by
    structure (contraction, elementwise, data_movement, sensitive; see
    docs/UserGuide.md) and records its decision as the discardable attribute
    `mp.decision = #mp.decision<class, format, compute, rule, forced>`.
    Nothing is retyped: mp-materialize does that.

    The policy comes from, in order: an `mp.policy` attribute on the function,
    then on the module, then the `policy` option, then the policy file's
    `"policy"`, then `bf16`. Overrides (forced formats), strongest first: an
    `mp.format` attribute the user put on the op, an `mp.pin` of its result,
    the policy file's overrides (first match), the policy attribute's
    overrides. Elementwise and data-movement ops follow their producers.

    Then, for formats the user did not force:
    - f64 is never narrowed: an op with f64 tensors keeps f64 (rule
      `keep-f64`) unless `narrow-f64` is set; every narrowing is a remark and
      is named in the rule (`narrows-f64`);
    - `calibration` (a file written by `mp-run --calibrate`): a recorded
      absolute maximum above the format's largest finite value keeps the op in
      f32 (rule `range-check:calibration`);
    - constants the op reads (constant tensor inputs, scalar constants in or
      captured by its payload) with a finite value beyond the format keep the
      op in f32 (rule `range-check:...`, with a remark), unless every such value
      is at least 1e38 in magnitude (the extreme of f32/bf16 standing in for an
      infinity, as in attention masks): those are clamped to the format's
      finite extreme by mp-materialize (rule `clamps-mask-constant`, remark).
    A forced format that cannot hold a constant is an error.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"\"",
           "Built-in policy: f32, f16 or bf16 (default: the policy file's, else bf16)">,
    Option<"policyFile", "policy-file", "std::string", /*default=*/"\"\"",
           "JSON policy file with a policy name and per-op overrides">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark per decision (op, class, format, compute type, rule)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Range statistics from mp-run --calibrate: ops whose recorded |x| "
           "exceeds the chosen format's largest finite value stay f32">,
    Option<"narrowF64", "narrow-f64", "bool", /*default=*/"false",
           "Let the policy narrow f64 tensors (each narrowing is a remark)">
  ];
  let dependentDialects = ["::mp::MPDialect"];
}

def MPMaterialize : Pass<"mp-materialize", "::mlir::ModuleOp"> {
  let summary = "Retype every decided op to its #mp.decision (a dialect conversion)";
  let description = [{
    A dialect conversion whose legality is the decision contract
    (mp::checkDecision): an op is legal once its float tensor inputs are in
    the decision's storage type, its results in storage (contractions: in the
    compute type, the accumulator), and every float arithmetic op of its
    payload computes in the compute type. A type converter that knows each
    value's decided type hands every op its producers' new values; casts
    (`mp.cast`, nearest even) are materialized where types meet.

    - linalg payloads are rebuilt: inputs are widened exactly to the compute
      type on entry, the arithmetic runs in the compute type (a contraction's
      products of low-precision inputs are exact in f32, and it accumulates in
      f32, whatever types the model arrived in), and each result is rounded
      once to its storage type at the yield. Explicit roundings the model
      wrote (truncf) are kept. Named contractions (matmul, batch_matmul,
      matvec, vecmat, batch_matvec) stay named; other named ops are
      generalized.
    - constants are converted at compile time: tensor inputs, payload scalars,
      and constant tables read with `tensor.extract` whose extracted values
      are only stored (embedding gathers); infinity sentinels (|x| >= 1e38)
      are clamped to the storage's finite extreme.
    - function signatures: with `keep-io-types` they stay; otherwise an
      argument whose every use reads it in one narrower format takes that
      format, and results take their producer's storage type (functions with
      callers keep theirs).
    - `mp.pin` ops are removed (their decision is on the producer).
    Scaled and integer formats are an error (not materialized yet).
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
    Statistic<"numConstantsConverted", "constants-converted",
              "Constant tensors converted at compile time">,
    Statistic<"numOpsRetyped", "ops-retyped", "Decided ops rewritten">
  ];
}

def MPVerifyDecisions : Pass<"mp-verify-decisions"> {
  let summary = "Fail when any decided op computes in other types than its #mp.decision";
  let description = [{
    Checks every op carrying `mp.decision` against its contract (the same
    predicate mp-materialize legalizes to): float tensor inputs in the storage
    type, results in storage (contractions: the compute type), and all float
    payload arithmetic in the compute type. Each violation is an error at the
    op naming the value or payload op; the pass fails if there is one. Run by
    `mp-mixed-precision` after materialization.
  }];
  let statistics = [
    Statistic<"numChecked", "ops-checked", "Decided ops checked">
  ];
}

def MPPrecisionReport : Pass<"mp-precision-report", "::mlir::ModuleOp"> {
  let summary = "Write the precision decisions and totals as JSON";
  let description = [{
    Reads the IR only: every op's `#mp.decision` (class, format, compute type,
    rule, forced) with its stable name, and totals: ops per format and class,
    tensor casts and in-kernel casts remaining, constant bytes in all and per
    element type. The output is deterministic. Counts of what passes did
    (casts inserted, constants converted) are pass statistics
    (`--mlir-pass-statistics`).
  }];
  let options = [
    Option<"file", "file", "std::string", /*default=*/"\"\"",
           "Where to write the JSON report ('-' for stdout)">
  ];
}

def MPDecomposeAggregates : Pass<"mp-decompose-aggregates"> {
  let summary = "Decompose aggregated linalg ops (linalg.softmax) into structured ops";
  let description = [{
    Replaces every op implementing `linalg::AggregatedOpInterface` (today
    `linalg.softmax`) by the structured ops it is made of (max and sum
    reductions, exp, division), computing in the op's element type, so that
    later lowerings (CPU loops, GPU kernels) need not know it. Run by
    `mp-cpu-lowering` after precision decisions are made and materialized.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
                           "::mlir::arith::ArithDialect", "::mlir::tensor::TensorDialect"];
}

def MPFoldConstantTransposes
    : Pass<"mp-fold-constant-transposes", "::mlir::func::FuncOp"> {
  let summary = "Transpose constant weights at compile time";
  let description = [{
    Replaces every `linalg.transpose` (and every `linalg.generic` that only
    permutes its one input) of a static constant (dense or dense_resource)
    with the permuted constant, computed on raw bytes, when the constant has
    no other reader (a tied embedding and output projection stay one copy,
    transposed at run time). Importers write
    `y = x W^T` as a transpose of the stored weight followed by a matmul:
    without this, the transpose runs on every execution, and the scaling
    passes see a computed tensor where the weight is. Values are unchanged
    bit for bit. Run first by `mp-mixed-precision` and `mp-cpu-lowering`.
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", "int64_t(1) << 32",
           "Leave constants larger than this alone">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def MPOutlineLoopNests : Pass<"mp-outline-loop-nests", "::mlir::ModuleOp"> {
  let summary = "Move every top-level loop nest of a function into its own function";
  let description = [{
    Each top-level op with regions (an `scf.for` nest from a linalg op, a
    vectorized contraction's tiles) of every function with a body becomes a
    call to a new private function `<function>_nest<N>` that holds it, with
    the values it uses from above as arguments (constants are cloned in, so
    loop bounds stay static; weights, `memref.get_global`, are arguments).
    Nests with the same text are one function: the layers of a model repeat
    the same kernels on different weights, and each is compiled once. The
    new functions carry `passthrough = ["noinline"]` and `mp.outlined`.

    Why: a real model is one function with hundreds of loop nests, and
    LLVM's loop analyses (scalar evolution's guard search walks the
    predecessor chain) grow quadratically with the nests of one function:
    all-MiniLM-L6-v2 spent over 30 s in them. One function per nest keeps
    code generation linear and gives each kernel of the CPU path a name, as
    the GPU path's kernels have. Run by `mp-cpu-lowering` after the loops
    are formed.
  }];
  let options = [
    Option<"minOps", "min-ops", "unsigned", "1",
           "Outline only nests with at least this many ops inside">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MPCanonicalizeGlobals : Pass<"mp-canonicalize-globals", "::mlir::ModuleOp"> {
  let summary = "Name and order private constant memref globals by first use";
  let description = [{
    Upstream one-shot bufferization names and orders the `memref.global`
    constants it creates in an order that changes from run to run. This pass
    renames every private constant global to `__constant_<N>` (N counting
    first uses in IR order, then unused globals in their order) and puts them
    at the top of the module in that order, so compiled output is
    byte-identical across runs and thread counts (compilation caches and
    reproducible builds key on it). Run by `mp-cpu-lowering` after
    bufferization.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def MPExposeValues : Pass<"mp-expose-values", "::mlir::ModuleOp"> {
  let summary = "Return every float tensor value of a function as extra results";
  let description = [{
    For calibration (`mp-run --calibrate`): appends to the results of function
    `entry` every statically shaped float tensor value defined at the top level
    of its body (tensor.empty excepted: its contents are undefined), in IR
    order, and records their names in the function attribute
    `mp.exposed_values` (an array of strings). A value's name is its op's
    stable name (`mp.name`, else the location), else `<op name>@<ordinal>`;
    `#<result>` is appended for multi-result ops and `#<k>` for repeats, so
    names are unique. The range check of `mp-assign-precision{calibration=}`
    matches ops by the same stable names.
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"\"",
           "The function whose values to expose (required)">
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

def MPCompensateReductions : Pass<"mp-compensate-reductions"> {
  let summary = "Rewrite long or low-precision sums to compensated (Kahan/Neumaier) summation";
  let description = [{
    Finds `linalg.generic` reductions whose payload accumulates a sum,
    `out + f(inputs)` (sums, means, variances, dot products written as
    generics), and rewrites those whose reduction length is at least
    `min-length`, or whose accumulator is f16 or bf16, to carry a second
    accumulator that captures the rounding error of every addition:

    * `neumaier` (default): t = s + x; c += |s| >= |x| ? (s - t) + x
      : (x - t) + s; the result is s + c, added by a separate elementwise op;
    * `kahan`: y = x - c; t = s + y; c = (t - s) - y; the result is s;
    * `pairwise`: blocked two-level summation for one reduction dimension of
      static length n = outer * block (block the largest divisor of n at most
      sqrt(n)): one generic sums each block into a partial sum, a second sums
      the partial sums. No extra flops; the error bound drops from about n to
      block + outer roundings.

    With Kahan or Neumaier the sum of n values has an error bound independent
    of n (about 2 ulp plus n·ulp² of the result) instead of growing with n.
    Every accumulator keeps the original accumulator type, so the decision's
    compute type holds. Rewritten ops carry `mp.compensation` and are left
    alone on a second run. Floating-point flags are not added: nothing may
    reassociate the compensation away. Costs 3-4 extra additions per element.

    Not rewritten (a remark with `remarks=true`): reductions whose payload is
    not a plain sum into the accumulator, dynamic reduction lengths below the
    threshold, and ops with several outputs.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"neumaier\"",
           "neumaier, kahan or pairwise">,
    Option<"minLength", "min-length", "int64_t", /*default=*/"4096",
           "Rewrite f32/f64 sums at least this long (f16/bf16 sums always)">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "A remark per rewritten or skipped reduction">,
  ];
}

def MPSplitPrecisionContractions : Pass<"mp-split-precision-contractions"> {
  let summary = "Compute f32 contractions as sums of bf16/f16 partial products (bf16x3, bf16x6)";
  let description = [{
    Writes each f32 operand of an f32 contraction (`out + a * b`: named
    matmuls and generic contractions, transposed and batched ones included)
    as the sum of `parts` bf16 (or f16) parts, a = a0 + a1 + ..., each part
    the rounded remainder of the previous ones, and replaces the contraction
    by the partial products ai * bj with i + j < parts, accumulated in f32
    from the smallest to the largest: 3 products for parts=2 (about 16
    significant bits, "bf16x3"), 6 for parts=3 (about 24 bits, close to an f32
    GEMM, "bf16x6"). Every partial product is a bf16 (f16) contraction with
    f32 accumulation, so it runs on tensor cores when lowered.

    Which contractions: those whose stable name (`mp.name`, else
    file:line:col) is in `ops`, or every f32 contraction when `ops` is empty
    (for layers marked sensitive: name them). f16 parts have a narrower range:
    values beyond 65504 or tiny remainders lose accuracy; bf16 is the default.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"parts", "parts", "int64_t", /*default=*/"2", "Parts per operand: 2 or 3">,
    Option<"format", "format", "std::string", /*default=*/"\"bf16\"",
           "Type of the parts: bf16 or f16">,
    ListOption<"ops", "ops", "std::string",
               "Stable names of the contractions to split (default: every f32 contraction)">,
    Option<"remarks", "remarks", "bool", /*default=*/"false", "A remark per split contraction">,
  ];
}


//===----------------------------------------------------------------------===//
// Ranges and scaling
//===----------------------------------------------------------------------===//

def MPPrintRanges : Pass<"mp-print-ranges", "::mlir::ModuleOp"> {
  let summary = "Print the range analysis: a remark per float value (test pass)";
  let description = [{
    Runs the range analysis (mp/Analysis/RangeAnalysis.h) and emits remarks,
    for lit tests of the analysis; changes nothing:
      - at every function with a body, one per float argument:
        `arg N: range [lo, hi]`;
      - at every op outside linalg payloads, one per float (scalar or ranked
        tensor) result: `result N: range [lo, hi]`.
    Bounds print with `%g` (six significant digits), infinities as `inf` and
    `-inf`; ` nan` follows when the value may be NaN; a value bounded on
    neither side prints `unbounded` instead of `range [...]` (so does
    tensor.empty, whose contents are undefined).
  }];
  let options = [
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Calibration file (mp-run --calibrate) seeding |x| <= abs_max by value name">
  ];
}

def MPF16RuntimeGuard : Pass<"mp-f16-runtime-guard", "::mlir::ModuleOp"> {
  let summary = "Check f16 results for overflow at run time and recompute them scaled";
  let description = [{
    The run-time side of the f16 overflow guard, for values whose range is
    not known at compile time (no calibration, no `mp.range`). Runs on
    materialized IR. For each elementwise `linalg.generic` that stores f16
    from f32 math (its yields are `mp.cast` f32 -> f16) and whose readers
    are all `linalg.generic` ops that widen it:

    - after the op, the largest magnitude of its f16 result (NaNs ignored,
      so a NaN cannot hide an overflow); when that is +inf (an overflow, or
      an infinity computed in f32 too), the op is computed again
      wider (f32), its absolute maximum taken, and it is recomputed into f16
      scaled by s = 2^k, the smallest power of two above max / 65504 (1
      when the wide maximum is itself infinite: no scale helps);
    - every reader multiplies the value by s after widening it (exact: a
      power of two), so a run without overflow computes exactly what the
      unguarded code computes (s = 1);
    - each recompute adds one to the i64 global `mp_f16_guard_rescales`,
      which `mp-run` reports after its runs.

    Values with other readers (a function result, a contraction) are left
    unguarded, with a remark under `remarks`. The guarded op carries
    `mp.scaling = "f16 run-time guard"`. CPU path (mp-run); the GPU mapping
    does not take the host-side branch yet. Enabled by
    `mp-mixed-precision{f16-runtime-guard}`.
  }];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark for each op guarded or left unguarded">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect"];
}

def MPInsertScaling : Pass<"mp-insert-scaling", "::mlir::ModuleOp"> {
  let summary = "Insert scales: the f16 overflow guard, fp8 and int8/int4 quantization";
  let description = [{
    Runs on decided IR, before mp-materialize (mp-mixed-precision runs it
    between mp-assign-precision and mp-materialize), so weights are quantized
    from the model's own values.

    f16 overflow guard (`f16-guard`, on by default): an op decided f16 whose
    result range (range analysis: constants, `mp.range` annotations,
    `calibration`) exceeds 65504 is rescaled by a power of two 2^-k folded
    into its payload (before the rounding to f16) and undone in each consumer
    (generics: after the exact widening; contractions with a zero
    accumulator: on their f32 result). Powers of two are exact, so the only
    rounding left is the f16 rounding of the scaled value. When a consumer
    cannot absorb the scale (a function result, an op without a payload),
    the op is kept in f32 instead (rule suffix `keeps-f32:range`) and so are
    the elementwise and data-movement ops that follow it.

    Quantization (`quantize`): decided contractions with f32 accumulation are
    rewritten to compute on quantized operands:
    - `fp8`: both operands f8E4M3FN (or f8E5M2 with `fp8-format=e5m2`),
      weights (constant operands) per output channel (or per tensor) with
      scales computed at compile time; activations scaled per token (or per
      tensor) from their amax at run time (`activation-scales=dynamic`) or
      from the calibration file (`static`); products exact, f32 accumulation,
      the scales applied to the f32 result (epilogue).
    - `w8a8`: the same with symmetric int8 ([-127, 127]) and i32 accumulation.
    - `w8a16`: int8 weights per output channel (per group of `group-size`
      along the reduction with `weight-granularity=per-group`), activations
      unchanged (bf16), dequantization (f16 scales, exact in f32) inside the
      contraction.
    - `w4a16`: int4 weights per group of `group-size` along the reduction
      (f16 scales), dequantized inside the contraction. A reduction size the
      group size does not divide takes its largest divisor below the group
      size (576 with 128: groups of 96; the report says which), unless that
      is under a quarter of the group size (then the op is skipped).
    - `asymmetric` (w8a16, w4a16): unsigned codes q in [0, 2^bits - 1] on
      the grid q * s + m, with an f16 scale s = (max - min) / (2^bits - 1)
      and an f16 offset m = min per scale slot (the min/scale form of GGUF
      Q4_1 and of AWQ-style zero points); the payload computes uitofp(q) * s
      (exact) + m (one f32 rounding). Weights already on such a grid (a
      dequantized Q4_1 model with groups of its block size) come back
      unchanged.
    Calibration-driven options (they need `calibration`, a file from `mp-run
    --calibrate`, which records per-channel statistics over each value's last
    dimension; the activation's last dimension must be the reduction):
    - `smooth-alpha` (fp8, w8a8): SmoothQuant migration, x_k / s_k and
      s_k * w_k with s_k = max|x_k|^alpha / max|w_k|^(1 - alpha) rounded to a
      power of two (both rescalings exact);
    - `outlier-threshold` (fp8, w8a8): activation channels whose calibrated
      |x| exceeds the threshold are gathered and multiplied in bf16 with f32
      accumulation (LLM.int8-style), the quantized product sees them as 0;
    - `bias-correction` (every mode): the weights' quantization error times
      the activation's calibrated channel means is subtracted per output
      channel;
    - `gptq` (every mode): weights are quantized input channel by input
      channel, each rounding error pushed onto the channels not yet quantized
      through the inverse of the calibrated E[x x^T] (recorded by `mp-run
      --calibrate --calibrate-gram`; 1% diagonal damping). Scales are
      computed from the weights before the feedback.
    Weights are constant
    operands (also through reshapes); contractions kept in f32 are left
    alone, and every skipped contraction gets a remark with its reason under
    `remarks`. The rewritten contraction is replaced by ops that carry
    `mp.scaling` (a description read by the precision report) instead of a
    decision.
  }];
  let options = [
    Option<"f16Guard", "f16-guard", "bool", /*default=*/"true",
           "Rescale (or keep in f32) f16 values whose range exceeds 65504">,
    Option<"quantize", "quantize", "std::string", /*default=*/"\"\"",
           "none, fp8, w8a8, w8a16 or w4a16 (default: the module's mp.policy name "
           "when it is one of these, else none)">,
    Option<"fp8Format", "fp8-format", "std::string", /*default=*/"\"e4m3\"",
           "fp8 element type: e4m3 (f8E4M3FN) or e5m2 (f8E5M2)">,
    Option<"weightGranularity", "weight-granularity", "std::string",
           /*default=*/"\"per-channel\"",
           "Weight scales for fp8/w8a8/w8a16: per-channel or per-tensor; per-group "
           "(w8a16, w4a16) uses group-size">,
    Option<"asymmetric", "asymmetric", "bool", /*default=*/"false",
           "w8a16/w4a16: unsigned codes with an f16 offset (the minimum) beside each "
           "f16 scale: w = q * s + m">,
    Option<"activationGranularity", "activation-granularity", "std::string",
           /*default=*/"\"per-token\"",
           "Activation scales for fp8/w8a8: per-token or per-tensor">,
    Option<"activationScales", "activation-scales", "std::string",
           /*default=*/"\"dynamic\"",
           "dynamic (amax at run time) or static (from the calibration file)">,
    Option<"groupSize", "group-size", "int64_t", /*default=*/"128",
           "Group size along the reduction for w4a16 (and w8a16 with "
           "weight-granularity=per-group)">,
    Option<"smoothAlpha", "smooth-alpha", "double", /*default=*/"0.0",
           "SmoothQuant migration strength in [0, 1] for fp8/w8a8 (0: off; needs calibration)">,
    Option<"outlierThreshold", "outlier-threshold", "double", /*default=*/"0.0",
           "fp8/w8a8: activation channels whose calibrated |x| exceeds this go through a "
           "bf16 product (LLM.int8-style; 0: off)">,
    Option<"gptq", "gptq", "bool", /*default=*/"false",
           "GPTQ error feedback when quantizing weights (needs mp-run --calibrate "
           "--calibrate-gram)">,
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "Subtract the weights' quantization error times the calibrated activation "
           "channel means per output channel">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Calibration file from mp-run --calibrate (ranges, static scales, smoothing)">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "A remark per scaling decision">
  ];
  let dependentDialects = ["::mp::MPDialect", "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}


def MPErrorBounds : Pass<"mp-error-bounds", "::mlir::ModuleOp"> {
  let summary = "Static worst-case error bounds per op, from unit round-off and ranges (remarks)";
  let description = [{
    Runs on decided IR (after mp-assign-precision, before or without
    mp-materialize) and propagates, in program order, a worst-case bound on
    the absolute error of every value against exact real arithmetic on the
    same inputs: rounding of inputs to each op's storage format (u = 2^-p of
    the format times the value's magnitude from the range analysis), payload
    arithmetic in the compute type (first-order rules for +, -, *, /, max,
    min, exp, casts), sums and contractions of N terms (N * term error plus
    gamma(N-1) = (N-1)u / (1 - (N-1)u) times N * max|term|), and the final
    rounding to storage. Each decided op gets a remark `error bound: |err|
    <= B (|x| <= M, relative B/M)`; each function result one at the
    function. Values the analysis cannot bound (unbounded ranges, ops it does
    not model, quantized contractions) print `no bound` with the reason.
    Bounds are sound but pessimistic (no cancellation of independent
    roundings); docs/UserGuide.md compares them with measured errors.
  }];
  let options = [
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "Calibration file seeding the range analysis">
  ];
}

#endif // MP_TRANSFORMS_PASSES_TD
