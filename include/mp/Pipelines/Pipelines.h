//===- Pipelines.h - named mp pipelines ---------------------------*- C++ -*-===//

#ifndef MP_PIPELINES_PIPELINES_H
#define MP_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mp {

/// Options of `mp-cpu-lowering`.
struct CPULoweringOptions : mlir::PassPipelineOptions<CPULoweringOptions> {
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize static contractions "
                                        "(mp-vectorize-contractions)"),
                         llvm::cl::init(false)};
  Option<bool> outline{*this, "outline",
                       llvm::cl::desc("One function per top-level loop nest "
                                      "(mp-outline-loop-nests): linear LLVM "
                                      "compile time on whole models"),
                       llvm::cl::init(true)};
  Option<bool> threads{*this, "threads",
                        llvm::cl::desc("Run the large parallel loops on threads "
                                       "(mp-select-parallel-loops, "
                                       "mp-outline-parallel-loops, "
                                       "mp-lower-parallel-calls; the code calls "
                                       "mp_parallel_for of libmpRuntimeCPU). "
                                       "Results are bit-identical to one thread"),
                        llvm::cl::init(false)};
  Option<bool> cInterface{*this, "c-interface",
                          llvm::cl::desc("Emit _mlir_ciface_ wrappers for "
                                         "every function (for mp-run)"),
                          llvm::cl::init(false)};
};

/// Options of `mp-mixed-precision`.
struct MixedPrecisionOptions : mlir::PassPipelineOptions<MixedPrecisionOptions> {
  Option<std::string> policy{*this, "policy",
                             llvm::cl::desc("Built-in policy: f32, f16, bf16, or a quantization "
                                            "policy: fp8, w8a8, w8a16, w4a16"),
                             llvm::cl::init("")};
  Option<std::string> policyFile{*this, "policy-file",
                                 llvm::cl::desc("JSON policy file with overrides"),
                                 llvm::cl::init("")};
  Option<bool> keepIOTypes{*this, "keep-io-types",
                           llvm::cl::desc("Keep function signatures unchanged"),
                           llvm::cl::init(false)};
  Option<std::string> report{*this, "report",
                             llvm::cl::desc("Write the precision report (JSON) here"),
                             llvm::cl::init("")};
  Option<std::string> calibration{*this, "calibration",
                                  llvm::cl::desc("Range statistics from mp-run --calibrate"),
                                  llvm::cl::init("")};
  Option<bool> narrowF64{*this, "narrow-f64",
                         llvm::cl::desc("Let the policy narrow f64 tensors (remarks name each)"),
                         llvm::cl::init(false)};
  Option<bool> remarks{*this, "remarks",
                       llvm::cl::desc("Emit a remark per precision decision"),
                       llvm::cl::init(false)};
  // mp-insert-scaling (quantization policies and the f16 overflow guard).
  Option<bool> f16Guard{*this, "f16-guard",
                        llvm::cl::desc("Rescale or widen f16 values whose range exceeds 65504"),
                        llvm::cl::init(true)};
  Option<bool> f16RuntimeGuard{
      *this, "f16-runtime-guard",
      llvm::cl::desc("Check f16 results whose readers can undo a scale for overflow at "
                     "run time, and recompute them scaled by a power of two "
                     "(mp-f16-runtime-guard; CPU path)"),
      llvm::cl::init(false)};
  Option<std::string> fp8Format{*this, "fp8-format",
                                llvm::cl::desc("policy=fp8: e4m3 or e5m2"), llvm::cl::init("e4m3")};
  Option<std::string> weightGranularity{
      *this, "weight-granularity",
      llvm::cl::desc("Quantized weights: per-channel or per-tensor scales; per-group "
                     "(w8a16, w4a16) with group-size"),
      llvm::cl::init("per-channel")};
  Option<bool> asymmetric{
      *this, "asymmetric",
      llvm::cl::desc("w8a16/w4a16: unsigned codes with an f16 offset beside each f16 scale "
                     "(w = q * s + m, m the minimum of the group or channel)"),
      llvm::cl::init(false)};
  Option<std::string> activationGranularity{
      *this, "activation-granularity",
      llvm::cl::desc("fp8/w8a8 activations: per-token or per-tensor scales"),
      llvm::cl::init("per-token")};
  Option<std::string> activationScales{
      *this, "activation-scales",
      llvm::cl::desc("fp8/w8a8 activations: dynamic (amax at run time) or static (calibration)"),
      llvm::cl::init("dynamic")};
  Option<double> smoothAlpha{*this, "smooth-alpha",
                             llvm::cl::desc("fp8/w8a8: SmoothQuant strength (needs calibration)"),
                             llvm::cl::init(0.0)};
  Option<double> outlierThreshold{
      *this, "outlier-threshold",
      llvm::cl::desc("fp8/w8a8: calibrated |x| above which a channel stays bf16"),
      llvm::cl::init(0.0)};
  Option<bool> gptq{*this, "gptq",
                    llvm::cl::desc("GPTQ error feedback for quantized weights (needs a calibrated gram)"),
                    llvm::cl::init(false)};
  Option<bool> biasCorrection{*this, "bias-correction",
                              llvm::cl::desc("Correct weight quantization error by calibrated means"),
                              llvm::cl::init(false)};
  Option<int64_t> groupSize{*this, "group-size",
                            llvm::cl::desc("policy=w4a16 (and w8a16 with weight-granularity=per-group): "
                                           "group size along the reduction"),
                            llvm::cl::init(128)};
};

/// Options of `mp-lower-to-ptx` (and `mp-gpu-emulate`, which uses the
/// mapping options only).
struct LowerToPTXOptions : mlir::PassPipelineOptions<LowerToPTXOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("Target: sm_80, sm_86, sm_89, sm_90 or sm_90a"),
                           llvm::cl::init("sm_90a")};
  Option<int> ptxVersion{*this, "ptx-version",
                         llvm::cl::desc("PTX ISA version times ten (80: PTX 8.0)"),
                         llvm::cl::init(80)};
  Option<std::string> format{*this, "format",
                             llvm::cl::desc("ptx (assembly in the IR) or cubin (ptxas)"),
                             llvm::cl::init("ptx")};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit root: libdevice for math functions, ptxas for "
                     "format=cubin (default: $CUDA_HOME, $CUDA_PATH, $CUDA_ROOT, "
                     "else /usr/local/cuda)"),
      llvm::cl::init("")};
  Option<std::string> dumpDir{*this, "dump-dir",
                              llvm::cl::desc("Write kernels and kernels.json here"),
                              llvm::cl::init("")};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block of one-thread-per-point kernels"),
                            llvm::cl::init(256)};
  Option<bool> tensorCores{*this, "tensor-cores",
                           llvm::cl::desc("Use mma.sync for f16/bf16 contractions"),
                           llvm::cl::init(true)};
  Option<bool> rowKernels{*this, "row-kernels",
                          llvm::cl::desc("One kernel per softmax / norm, a block per row"),
                          llvm::cl::init(true)};
  Option<int64_t> rowThreads{
      *this, "row-threads",
      llvm::cl::desc("Threads per block of the row kernels (0: from the row length; "
                     "in mp-gpu-emulate 0 means 1, and more run phase by phase)"),
      llvm::cl::init(0)};
};

/// Mixed-precision IR on tensors to PTX kernels and host launches:
/// mp-lower-to-arith, elementwise fusion, bufferization, mp-gpu-map-kernels,
/// mp-gpu-verify-host, mp-gpu-lower-warp-mma, outlining, deduplication, NVVM,
/// mp-gpu-serialize-kernels (in parallel), mp-gpu-dump-kernels.
void buildLowerToPTXPipeline(mlir::OpPassManager &pm, const LowerToPTXOptions &options);

/// The same mapping as mp-lower-to-ptx, then mp-gpu-launch-to-loops: the
/// thread-mapped IR as loops that mp-run executes on the CPU.
void buildGPUEmulationPipeline(mlir::OpPassManager &pm,
                               const LowerToPTXOptions &options);

/// Model IR to mixed precision: elementwise arith/math on tensors to linalg,
/// mp-assign-precision, mp-materialize, mp-fold-casts, canonicalize, CSE,
/// mp-verify-decisions, mp-precision-report.
void buildMixedPrecisionPipeline(mlir::OpPassManager &pm,
                                 const MixedPrecisionOptions &options);

/// Lowers mixed-precision IR on tensors to the LLVM dialect for the CPU:
/// mp-decompose-aggregates, mp-lower-to-arith, bufferization, loops, exact
/// bf16 expansion, LLVM.
void buildCPULoweringPipeline(mlir::OpPassManager &pm,
                              const CPULoweringOptions &options);

/// Registers `mp-cpu-lowering` and the other named pipelines.
void registerPipelines();

} // namespace mp

#endif // MP_PIPELINES_PIPELINES_H
