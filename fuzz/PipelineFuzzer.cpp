//===- PipelineFuzzer.cpp - libFuzzer target: mp pipelines on parsed IR --===//
//
// Parses the input as a module with the dialects mp registers; if it parses
// and verifies, runs mp-mixed-precision (bf16, then f16 on a clone) and
// mp-lower-to-arith. A pass may fail with a diagnostic; it must not crash,
// and when it succeeds its output must verify.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"
#include "mp/InitMP.h"
#include "mp/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstdio>
#include <cstdlib>
#include <string>

/// How many inputs reached the pipelines (parsed and verified), reported at
/// exit so that a run that only exercised the parser is visible as such.
static unsigned long pipelineRuns = 0;
static void reportPipelineRuns() {
  fprintf(stderr, "PipelineFuzzer: %lu inputs parsed, verified and ran the pipelines\n",
          pipelineRuns);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static bool registered = (atexit(reportPipelineRuns), true);
  (void)registered;
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    mp::registerDialects(registry);
    auto *ctx = new mlir::MLIRContext(registry, mlir::MLIRContext::Threading::DISABLED);
    ctx->loadAllAvailableDialects();
    ctx->getDiagEngine().registerHandler([](mlir::Diagnostic &) {});
    return ctx;
  }();
  std::string text(reinterpret_cast<const char *>(data), size);
  // Known upstream MLIR 22 parser crashes, not mp's findings (listed in
  // docs/ARCHITECTURE.md): keep them out.
  if (text.find("array<") != std::string::npos || text.find("dimensions") != std::string::npos ||
      text.find("linalg.transpose") != std::string::npos)
    return 0;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, context);
  if (!module || failed(mlir::verify(*module)))
    return 0;
  ++pipelineRuns;
  for (const char *policy : {"bf16", "f16"}) {
    mlir::OwningOpRef<mlir::ModuleOp> copy = module->clone();
    mlir::PassManager pm(context, mlir::ModuleOp::getOperationName());
    pm.enableVerifier(true);
    mp::MixedPrecisionOptions options;
    options.policy = policy;
    mp::buildMixedPrecisionPipeline(pm, options);
    pm.addPass(mp::createMPLowerToArith());
    if (succeeded(pm.run(*copy)) && failed(mlir::verify(*copy)))
      abort(); // a successful pipeline must leave valid IR
  }
  return 0;
}
