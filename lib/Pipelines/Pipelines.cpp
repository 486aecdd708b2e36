//===- Pipelines.cpp - named mp pipelines ----------------------------------===//
//
// Pipelines are built from pass constructors with typed options, so a missing
// pass is a link error, not a run-time parse failure.
//
//===----------------------------------------------------------------------===//

#include "mp/Pipelines/Pipelines.h"
#include "mp/Analysis/Calibration.h"
#include "mp/Transforms/Policy.h"
#include "mp/Conversion/GPUObjects.h"
#include "mp/Conversion/Passes.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/RequestCWrappers.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <cstdlib>

using namespace mlir;

/// Tensors to buffers, function boundaries included, with identity layouts
/// (the calling convention mp-run and the GPU launches expect).
static void addOneShotBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
}

void mp::buildCPULoweringPipeline(OpPassManager &pm,
                                  const CPULoweringOptions &options) {
  pm.addPass(createSymbolDCEPass());
  pm.addPass(createMPDecomposeAggregates());
  pm.addPass(createMPLowerToArith());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createMPFoldConstantTransposes());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.vectorize) {
    OpPassManager &func = pm.nest<func::FuncOp>();
    MPVectorizeContractionsOptions vectorize;
    vectorize.parallel = options.threads;
    func.addPass(createMPVectorizeContractions(vectorize));
    func.addPass(createCanonicalizerPass());
    func.addPass(createLoopInvariantSubsetHoistingPass());
    func.addPass(createCanonicalizerPass());
  }
  addOneShotBufferization(pm);
  bufferization::buildBufferDeallocationPipeline(pm);
  // Upstream bufferization names constant globals nondeterministically.
  pm.addPass(createMPCanonicalizeGlobals());
  pm.addPass(createConvertBufferizationToMemRefPass());
  if (options.threads) {
    // Parallel dimensions as scf.parallel; only the large top-level ones stay
    // parallel, and mp-outline-parallel-loops below hands them to the pool.
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
    pm.addPass(createForallToParallelLoopPass());
    pm.addNestedPass<func::FuncOp>(createMPSelectParallelLoops());
  } else {
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  }
  // C wrappers for the functions there are now: the outlined nests are
  // internal and need none.
  if (options.cInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  if (options.outline)
    pm.addPass(createMPOutlineLoopNests());
  // Each large parallel loop becomes a function over an iteration range,
  // called through the thread pool once in the LLVM dialect.
  if (options.threads)
    pm.addPass(createMPOutlineParallelLoops());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (options.threads)
    pm.addPass(createMPLowerParallelCalls());
}

void mp::buildMixedPrecisionPipeline(OpPassManager &pm,
                                     const MixedPrecisionOptions &options) {
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createMPFoldConstantTransposes());
  MPAssignPrecisionOptions assign;
  assign.policy = options.policy;
  assign.policyFile = options.policyFile;
  assign.remarks = options.remarks;
  assign.calibration = options.calibration;
  assign.narrowF64 = options.narrowF64;
  pm.addPass(createMPAssignPrecision(assign));
  // Scales are decided on the model's own values, before materialization.
  MPInsertScalingOptions scaling;
  std::string policyName = options.policy;
  if (policyName.empty() && !options.policyFile.empty()) {
    // Only the policy name; mp-assign-precision reads and reports the file.
    auto json = mp::readJSONFile("policy file", options.policyFile);
    if (!json)
      llvm::consumeError(json.takeError());
    else if (auto *root = json->getAsObject())
      if (auto name = root->getString("policy"))
        policyName = name->str();
  }
  scaling.quantize = mp::isQuantizationPolicy(policyName) ? policyName : "";
  scaling.f16Guard = options.f16Guard;
  scaling.fp8Format = options.fp8Format;
  scaling.weightGranularity = options.weightGranularity;
  scaling.activationGranularity = options.activationGranularity;
  scaling.activationScales = options.activationScales;
  scaling.groupSize = options.groupSize;
  scaling.asymmetric = options.asymmetric;
  scaling.smoothAlpha = options.smoothAlpha;
  scaling.outlierThreshold = options.outlierThreshold;
  scaling.biasCorrection = options.biasCorrection;
  scaling.gptq = options.gptq;
  scaling.calibration = options.calibration;
  scaling.remarks = options.remarks;
  pm.addPass(createMPInsertScaling(scaling));
  MPMaterializeOptions materialize;
  materialize.keepIOTypes = options.keepIOTypes;
  pm.addPass(createMPMaterialize(materialize));
  pm.addPass(createMPFoldCasts());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // The decisions must hold in what the pipeline returns.
  pm.addPass(createMPVerifyDecisions());
  if (options.f16RuntimeGuard) {
    MPF16RuntimeGuardOptions guard;
    guard.remarks = options.remarks;
    pm.addPass(createMPF16RuntimeGuard(guard));
  }
  MPPrecisionReportOptions report;
  report.file = options.report;
  pm.addPass(createMPPrecisionReport(report));
}

/// Tensors to buffers, each structured op a kernel; shared by mp-lower-to-ptx
/// and mp-gpu-emulate.
/// `emulate`: the CPU runs the kernels one thread after another, so row
/// kernels get one thread per block by default (their reductions then run in
/// order).
static void buildGPUMapping(OpPassManager &pm, const mp::LowerToPTXOptions &options,
                            bool emulate) {
  using namespace mp;
  pm.addPass(createSymbolDCEPass());
  pm.addPass(createMPDecomposeAggregates());
  pm.addPass(createMPLowerToArith());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  // Casts and elementwise chains fuse into one generic each: a precision
  // change costs no pass over memory of its own.
  pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addOneShotBufferization(pm);
  pm.addPass(createMPCanonicalizeGlobals());
  pm.addPass(createCanonicalizerPass());
  MPGPUMapKernelsOptions map;
  map.blockSize = options.blockSize;
  map.tensorCores = options.tensorCores;
  map.rowKernels = options.rowKernels;
  // Emulated row kernels run in order with one thread per block unless a
  // thread count is asked for (then mp-gpu-launch-to-loops runs the threads
  // phase by phase).
  map.rowThreads = emulate && options.rowThreads <= 0 ? 1 : options.rowThreads;
  pm.addNestedPass<func::FuncOp>(createMPGPUMapKernels(map));
  pm.addPass(createMPGPUVerifyHost());
}

/// The CUDA toolkit: the option, else the usual environment variables, else
/// NVIDIA's default install location.

void mp::buildLowerToPTXPipeline(OpPassManager &pm, const LowerToPTXOptions &options) {
  MPGPUCheckTargetOptions check;
  check.chip = options.chip;
  check.ptxVersion = options.ptxVersion;
  check.format = options.format;
  pm.addPass(createMPGPUCheckTarget(check));
  buildGPUMapping(pm, options, /*emulate=*/false);
  pm.addPass(createMPGPULowerWarpMma());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createMPGPUDedupKernels());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = "+ptx" + std::to_string(options.ptxVersion);
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  // Block-wide reductions of the row kernels: shuffles and shared memory.
  kernels.addPass(createMPGPULowerAllReduce());
  // Tile subviews become plain index arithmetic.
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  std::string toolkit = getCudaToolkitRoot(options.cudaPath);
  MPGPUCheckLibdeviceOptions libdevice;
  libdevice.cudaPath = toolkit;
  pm.addPass(createMPGPUCheckLibdevice(libdevice));
  MPGPUSerializeKernelsOptions binary;
  binary.toolkitPath = toolkit;
  binary.compilationTarget = options.format == "cubin" ? "bin" : "isa";
  pm.addPass(createMPGPUSerializeKernels(binary));
  MPGPUDumpKernelsOptions dump;
  dump.dir = options.dumpDir;
  pm.addPass(createMPGPUDumpKernels(dump));
}

void mp::buildGPUEmulationPipeline(OpPassManager &pm,
                                   const LowerToPTXOptions &options) {
  buildGPUMapping(pm, options, /*emulate=*/true);
  pm.addPass(createMPGPULaunchToLoops());
  // The warp-level tiles (vector.contract, 2-D transfers on buffers) become
  // outer products and 1-D transfers, as on the CPU's own contraction path
  // (mp-vectorize-contractions applies these lowerings to what it finds).
  pm.addNestedPass<func::FuncOp>(createMPVectorizeContractions());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
}

void mp::registerPipelines() {
  PassPipelineRegistration<LowerToPTXOptions>(
      "mp-lower-to-ptx",
      "Lower mixed-precision IR to PTX kernels (tensor cores for f16/bf16 "
      "contractions) and host launches",
      buildLowerToPTXPipeline);
  PassPipelineRegistration<LowerToPTXOptions>(
      "mp-gpu-emulate",
      "Map to GPU kernels as mp-lower-to-ptx does, then run the launches as "
      "loops on the CPU (for mp-run)",
      buildGPUEmulationPipeline);
  PassPipelineRegistration<MixedPrecisionOptions>(
      "mp-mixed-precision",
      "Assign, materialize and verify mixed precision (policy, overrides, report)",
      buildMixedPrecisionPipeline);
  PassPipelineRegistration<CPULoweringOptions>(
      "mp-cpu-lowering",
      "Lower mixed-precision IR on tensors to LLVM for exact CPU execution",
      buildCPULoweringPipeline);
}
