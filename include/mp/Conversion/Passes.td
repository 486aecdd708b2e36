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
    blocks of `tile-m` x `tile-n` x `tile-k` (4x16x16: eight accumulator
    registers of AVX2; `widening-tile-m` x `widening-tile-n` x `tile-k`,
    8x32x16, when an input is narrower than the accumulator, so that each
    widened element serves more products) (the
    largest divisor of each dimension not above the size), vectorizes each
    block to `vector.contract`, and lowers that to outer products (FMAs). Mixed
    element types (bf16 inputs, f32 accumulator) vectorize with exact
    widenings. Contractions with 16-bit accumulators (models that arrive in
    bf16 and accumulate in it) are not vectorized: their per-lane software
    rounding makes LLVM compile for minutes. Used by
    `mp-cpu-lowering{vectorize}`; contractions it cannot handle are left for
    the scalar loop lowering.

    Generics that accumulate into an f32 init without being contractions of
    two operands (mp-insert-scaling's weight-only products, `out + ext(a) *
    (itofp(q) * s [+ m])`) take a second path: their reduction loops move
    outermost, the output is cut into blocks of `dequant-tile-m` x
    `dequant-tile-n` elements (the output's last dimension, contiguous in
    every input that reads it, and the innermost other parallel one), and
    each block advances one reduction step at a time as vector operations
    over the block. Each output element thus sums its terms in the original
    order with the payload's own multiply and add (no fused multiply-add): the
    same bits as the scalar loops. Sub-byte integer constants (i4 weights)
    are widened to i8 for it, since vector loads would read them packed. With `parallel` (`mp-cpu-lowering{threads}`),
    the blocks along parallel dimensions form an `scf.forall` that threads
    share, and the reduction blocks a sequential loop inside it: each output
    element accumulates in the same order as without it.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"4",
           "Rows per block (inputs of the accumulator's type)">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"16",
           "Columns per block (inputs of the accumulator's type)">,
    Option<"wideningTileM", "widening-tile-m", "int64_t", /*default=*/"8",
           "Rows per block when an input is narrower than the accumulator (bf16/f16 into f32)">,
    Option<"wideningTileN", "widening-tile-n", "int64_t", /*default=*/"32",
           "Columns per block when an input is narrower than the accumulator">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"16", "Reduction depth per block">,
    Option<"dequantTileM", "dequant-tile-m", "int64_t", /*default=*/"4",
           "Rows per block of accumulating generics (weight-only products)">,
    Option<"dequantTileN", "dequant-tile-n", "int64_t", /*default=*/"16",
           "Output columns per block of accumulating generics">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "Blocks along parallel dimensions as an scf.forall (for threads); "
           "reduction blocks stay a sequential loop inside it">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect"];
}

def MPSelectParallelLoops : Pass<"mp-select-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "Keep scf.parallel only where threads pay off (CPU)";
  let description = [{
    Decides which parallel loops of the CPU path run on threads. An
    `scf.parallel` stays parallel when it is not nested in another loop and
    its estimated work is at least `min-work`: the operations it executes,
    each op without regions counting one and each loop body counting once
    per iteration (constant trip counts; 64 assumed otherwise). Every other
    `scf.parallel` without reductions becomes a nest of `scf.for` in the
    same order. The kept loops are then handed to the thread pool by
    `mp-outline-parallel-loops` and `mp-lower-parallel-calls`.

    Threads take disjoint iterations of the kept loop, and each output
    element is computed by the same sequence of operations as in the
    sequential code (reduction loops stay sequential inside an iteration), so
    results are bit-identical to a single-threaded run. Used by
    `mp-cpu-lowering{threads}`.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"32768",
           "Parallelize a top-level loop only when it executes at least this "
           "many operations (a dispatch costs about ten microseconds)">
  ];
  let statistics = [
    Statistic<"numParallel", "parallel", "top-level loops left parallel">,
    Statistic<"numSequential", "sequential", "scf.parallel ops made sequential">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def MPOutlineParallelLoops : Pass<"mp-outline-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Move each top-level scf.parallel into a function over an iteration range";
  let description = [{
    For every `scf.parallel` (without reductions) inside no other loop,
    which `mp-select-parallel-loops` left for threads: a new private function
    `<function>_par<N>(captures..., %begin: index, %end: index)` runs the
    iterations [begin, end) of the loop's outermost dimension with more than
    one iteration (its other dimensions whole), and the loop becomes a call
    of it over the whole range. The function carries `mp.parallel_body`;
    after conversion to LLVM, `mp-lower-parallel-calls` turns the call into
    `mp_parallel_for` of the thread pool (libmpRuntimeCPU). Without that
    pass the code stays correct and single-threaded.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::arith::ArithDialect"];
}

def MPLowerParallelCalls : Pass<"mp-lower-parallel-calls", "::mlir::ModuleOp"> {
  let summary = "Calls of mp.parallel_body functions to mp_parallel_for (LLVM dialect)";
  let description = [{
    Runs on the LLVM dialect. Each `llvm.call` of a function marked
    `mp.parallel_body` (by `mp-outline-parallel-loops`), whose last two
    arguments are the iteration range, becomes: the other arguments stored
    into a stack struct, and `mp_parallel_for(@<callee>_task, struct, begin,
    end)`, where the new `<callee>_task(ptr, i64, i64)` loads them and calls
    the body over the range it is given. The thread pool
    (runtime/lib/ParallelFor.cpp, libmpRuntimeCPU.so) must be loaded with the
    code: mp-run does so; mlir-runner takes it with `--shared-libs`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// GPU code generation
//===----------------------------------------------------------------------===//

def MPGPUMapKernels : Pass<"mp-gpu-map-kernels", "::mlir::func::FuncOp"> {
  let summary = "Turn every structured op on buffers into a GPU kernel (gpu.launch)";
  let description = [{
    Runs after bufferization. Each `linalg` op and `memref.copy` of the
    function becomes one `gpu.launch`, in place:

    * f16/bf16 `linalg.matmul` and `linalg.batch_matmul` with an f32
      accumulator, sizes multiples of 16 (M, K) and 8 (N): a tensor-core
      kernel written at warp level (`vector.transfer_read` of 16x16 and 16x8
      operand tiles, `vector.contract` into 16x8 f32 accumulators, four warps
      per block), marked `mp.warp_synchronous`; mp-gpu-lower-warp-mma
      distributes it over lanes as `nvvm.mma.sync` m16n8k16.
    * row-wise computations (softmax, layer norm, RMS norm: consecutive ops
      over one row space with at least one reduction along the row, and the
      fills, scalar ops and elementwise ops around it): one kernel with one
      block per row, `gpu.all_reduce` for the reductions (lowered by
      mp-gpu-lower-all-reduce after outlining), thread 0 for the rows'
      scalars, barriers between the ops.
    * every other op (fused elementwise chains with their casts, reductions,
      other contractions): one thread per point of the parallel iteration
      space, `block-size` threads per block, reduction loops inside the
      thread in the op's order with the accumulator in a register.

    Ops with dynamic shapes, and outputs written by several threads, get a
    diagnostic.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block of the one-thread-per-point kernels">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"true",
           "Map eligible f16/bf16 contractions to tensor-core (mma.sync) kernels">,
    Option<"rowKernels", "row-kernels", "bool", /*default=*/"true",
           "Fuse row-wise computations (softmax, norms) into one kernel per row">,
    Option<"rowThreads", "row-threads", "int64_t", /*default=*/"0",
           "Threads per block of the row kernels (0: from the row length, 32 to 256)">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect", "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect", "::mlir::ub::UBDialect", "::mlir::linalg::LinalgDialect"
  ];
}

def MPGPULowerWarpMma : Pass<"mp-gpu-lower-warp-mma"> {
  let summary = "Distribute warp-level tensor-core tiles over lanes (nvvm.mma.sync)";
  let description = [{
    In every `gpu.launch` marked `mp.warp_synchronous`, rewrites
    `vector.contract` of a 16x16 by 16x8 f16/bf16 tile into a 16x8 f32
    accumulator as `nvvm.mma.sync` (m16n8k16, row x col), the operand tiles
    as the per-lane loads of the PTX fragment layout, and accumulator
    reads, writes and loop-carried values as four f32 per lane.
  }];
  let dependentDialects = [
    "::mlir::NVVM::NVVMDialect", "::mlir::LLVM::LLVMDialect", "::mlir::gpu::GPUDialect",
    "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect"
  ];
}

def MPGPULaunchToLoops : Pass<"mp-gpu-launch-to-loops"> {
  let summary = "Run gpu.launch bodies as loops over blocks and threads (CPU emulation)";
  let description = [{
    Replaces each `gpu.launch` by `scf.for` loops over its grid and block
    with the body inside, so the thread-mapped IR runs on the CPU (mp-run)
    and can be compared with the IR before mapping. Launches marked
    `mp.warp_synchronous` run one lane per warp. Launches whose threads meet
    only at barriers and `gpu.all_reduce` at the top level of the body (the
    row kernels) run phase by phase, every thread through one phase before
    the next, values crossing phases kept per thread, reductions combined in
    thread order; with one thread per block barriers vanish and reductions
    are their operand. Other bodies with barriers, shuffles, lane ids or
    workgroup memory get a diagnostic.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::ub::UBDialect",
                           "::mlir::vector::VectorDialect"];
}

def MPGPULowerAllReduce : Pass<"mp-gpu-lower-all-reduce", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower block-wide gpu.all_reduce in outlined kernels to shuffles and shared memory";
  let description = [{
    Applies upstream's all-reduce lowering to every kernel of the module:
    a shuffle tree within each warp, the warps' partials through a 32-entry
    shared-memory buffer (a workgroup attribution of the kernel), one warp
    over those, and the total broadcast through shared memory. Runs after
    outlining (the lowering adds attributions to `gpu.func`) and before the
    conversion to NVVM. Reductions that are not uniform get a diagnostic.
  }];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def MPGPUSerializeKernels : Pass<"mp-gpu-serialize-kernels", "::mlir::ModuleOp"> {
  let summary = "Compile every gpu.module to a gpu.binary, the modules in parallel";
  let description = [{
    The same result as upstream's `gpu-module-to-binary` (one object per
    target of each module: PTX with `format=isa`, a cubin through ptxas with
    `format=bin`), but the modules are compiled on the context's thread pool
    (outlining gives one module per kernel, and their serial NVPTX code
    generation dominated compile time). Binaries replace the modules in
    order, so the output does not depend on the thread count.
  }];
  let options = [
    Option<"toolkitPath", "toolkit", "std::string", /*default=*/"\"\"",
           "CUDA toolkit root (libdevice, ptxas)">,
    Option<"compilationTarget", "format", "std::string", /*default=*/"\"isa\"",
           "isa (PTX), bin (cubin) or fatbin">
  ];
}

def MPGPUDedupKernels : Pass<"mp-gpu-dedup-kernels", "::mlir::ModuleOp"> {
  let summary = "Keep one copy of identical outlined kernels";
  let description = [{
    After `gpu-kernel-outlining`, finds gpu.modules that are identical up to
    their names (every layer of an encoder repeats its kernels), keeps the
    first and redirects every `gpu.launch_func` to it.
  }];
}

def MPGPUVerifyHost : Pass<"mp-gpu-verify-host", "::mlir::ModuleOp"> {
  let summary = "Check that no op computing on model data is left on the host";
  let description = [{
    Outside `gpu.launch` bodies, host functions may only hold buffer
    allocation and views, constants, index arithmetic, launches, calls and
    returns. Anything else is an error at its location.
  }];
}

def MPGPUCheckTarget : Pass<"mp-gpu-check-target", "::mlir::ModuleOp"> {
  let summary = "Validate the chip, PTX version and output format of mp-lower-to-ptx";
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"", "Target chip">,
    Option<"ptxVersion", "ptx-version", "int", /*default=*/"80",
           "PTX ISA version times ten (80: PTX 8.0)">,
    Option<"format", "format", "std::string", /*default=*/"\"ptx\"", "ptx or cubin">
  ];
}

def MPGPUCheckLibdevice : Pass<"mp-gpu-check-libdevice", "::mlir::ModuleOp"> {
  let summary = "Fail clearly when kernels call libdevice and the toolkit has none";
  let description = [{
    Kernels whose math ops became libdevice calls (`__nv_expf`, ...) need
    `<cuda-path>/nvvm/libdevice/libdevice.10.bc` at serialization; when it is
    missing, each such function is an error naming the path, instead of PTX
    with unresolved calls.
  }];
  let options = [
    Option<"cudaPath", "cuda-path", "std::string", /*default=*/"", "CUDA toolkit root">
  ];
}

def MPGPUDumpKernels : Pass<"mp-gpu-dump-kernels", "::mlir::ModuleOp"> {
  let summary = "Write serialized kernels and a kernels.json manifest to a directory";
  let description = [{
    For every `gpu.binary`, writes each object to `dir` as
    `<binary>.<chip>.ptx` (assembly) or `.cubin`, and a `kernels.json` with
    the binaries and every `gpu.launch_func` (kernel, grid, block, dynamic
    shared memory, location) in program order. Always drops the compile
    times that gpu-module-to-binary records in object properties
    (`*TimeInMs`), so the pipeline's output is byte-identical run to run.
  }];
  let options = [
    Option<"dir", "dir", "std::string", /*default=*/"", "Output directory">
  ];
}

#endif // MP_CONVERSION_PASSES_TD
