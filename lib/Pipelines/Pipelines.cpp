//===- Pipelines.cpp - named mp pipelines ----------------------------------===//
//
// Pipelines are built from pass constructors with typed options, so a missing
// pass is a link error, not a run-time parse failure.
//
//===----------------------------------------------------------------------===//

#include "mp/Pipelines/Pipelines.h"
#include "mp/Conversion/Passes.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
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

using namespace mlir;

void mp::buildCPULoweringPipeline(OpPassManager &pm,
                                  const CPULoweringOptions &options) {
  pm.addPass(createSymbolDCEPass());
  pm.addPass(createMPDecomposeAggregates());
  pm.addPass(createMPLowerToArith());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.vectorize) {
    OpPassManager &func = pm.nest<func::FuncOp>();
    func.addPass(createMPVectorizeContractions());
    func.addPass(createCanonicalizerPass());
    func.addPass(createLoopInvariantSubsetHoistingPass());
    func.addPass(createCanonicalizerPass());
  }
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm);
  // Upstream bufferization names constant globals nondeterministically.
  pm.addPass(createMPCanonicalizeGlobals());
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
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
  if (options.cInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mp::buildMixedPrecisionPipeline(OpPassManager &pm,
                                     const MixedPrecisionOptions &options) {
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  MPAssignPrecisionOptions assign;
  assign.policy = options.policy;
  assign.policyFile = options.policyFile;
  assign.remarks = options.remarks;
  assign.calibration = options.calibration;
  assign.narrowF64 = options.narrowF64;
  pm.addPass(createMPAssignPrecision(assign));
  MPMaterializeOptions materialize;
  materialize.keepIOTypes = options.keepIOTypes;
  pm.addPass(createMPMaterialize(materialize));
  pm.addPass(createMPFoldCasts());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // The decisions must hold in what the pipeline returns.
  pm.addPass(createMPVerifyDecisions());
  MPPrecisionReportOptions report;
  report.file = options.report;
  pm.addPass(createMPPrecisionReport(report));
}

void mp::registerPipelines() {
  PassPipelineRegistration<MixedPrecisionOptions>(
      "mp-mixed-precision",
      "Assign, materialize and verify mixed precision (policy, overrides, report)",
      buildMixedPrecisionPipeline);
  PassPipelineRegistration<CPULoweringOptions>(
      "mp-cpu-lowering",
      "Lower mixed-precision IR on tensors to LLVM for exact CPU execution",
      buildCPULoweringPipeline);
}
