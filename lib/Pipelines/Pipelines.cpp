//===- Pipelines.cpp - named mp pipelines ----------------------------------===//

#include "mp/Pipelines/Pipelines.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;

/// Appends a textual pipeline (our own fixed strings) to `pm`.
static void appendPipeline(OpPassManager &pm, llvm::StringRef text) {
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(text, pm, os)))
    llvm::report_fatal_error(
        llvm::Twine("mp: a built-in pipeline needs an upstream pass that is not "
                    "registered (call mp::registerPasses() first): ") +
        error);
}

void mp::buildCPULoweringPipeline(OpPassManager &pm,
                                  const CPULoweringOptions &options) {
  appendPipeline(pm, "symbol-dce,mp-lower-to-arith,func.func(convert-elementwise-to-linalg),"
                     "canonicalize,cse");
  if (options.vectorize)
    appendPipeline(pm, "func.func(mp-vectorize-contractions,canonicalize,"
                       "loop-invariant-subset-hoisting,canonicalize)");
  appendPipeline(pm,
                 "one-shot-bufferize{bufferize-function-boundaries=1 "
                 "function-boundary-type-conversion=identity-layout-map},"
                 "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
                 "func.func(convert-linalg-to-loops),"
                 "lower-affine,convert-scf-to-cf,"
                 "arith-expand{include-bf16=1},"
                 "expand-strided-metadata,lower-affine,"
                 "convert-vector-to-scf,convert-scf-to-cf,convert-vector-to-llvm");
  if (options.cInterface)
    appendPipeline(pm, "func.func(llvm-request-c-wrappers)");
  appendPipeline(pm, "convert-math-to-llvm,convert-math-to-libm,"
                     "convert-arith-to-llvm,convert-index-to-llvm,"
                     "finalize-memref-to-llvm,convert-func-to-llvm,"
                     "convert-cf-to-llvm,convert-ub-to-llvm,"
                     "reconcile-unrealized-casts");
}

void mp::buildMixedPrecisionPipeline(OpPassManager &pm,
                                     const MixedPrecisionOptions &options) {
  appendPipeline(pm, "func.func(convert-elementwise-to-linalg)");
  MPAssignPrecisionOptions assign;
  assign.policy = options.policy;
  assign.policyFile = options.policyFile;
  assign.remarks = options.remarks;
  assign.calibration = options.calibration;
  pm.addPass(createMPAssignPrecision(assign));
  MPMaterializeOptions materialize;
  materialize.keepIOTypes = options.keepIOTypes;
  pm.addPass(createMPMaterialize(materialize));
  pm.addPass(createMPFoldCasts());
  appendPipeline(pm, "canonicalize,cse");
  MPPrecisionReportOptions report;
  report.file = options.report;
  pm.addPass(createMPPrecisionReport(report));
}

void mp::registerPipelines() {
  PassPipelineRegistration<MixedPrecisionOptions>(
      "mp-mixed-precision",
      "Assign and materialize mixed precision (policy, overrides, report)",
      buildMixedPrecisionPipeline);
  PassPipelineRegistration<CPULoweringOptions>(
      "mp-cpu-lowering",
      "Lower mixed-precision IR on tensors to LLVM for exact CPU execution",
      buildCPULoweringPipeline);
}
