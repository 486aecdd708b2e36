//===- Pipelines.h - named mp pipelines ---------------------------*- C++ -*-===//

#ifndef MP_PIPELINES_PIPELINES_H
#define MP_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mp {

/// Options of `mp-cpu-lowering`.
struct CPULoweringOptions : mlir::PassPipelineOptions<CPULoweringOptions> {
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize linalg ops "
                                        "(faster; off gives scalar loops)"),
                         llvm::cl::init(false)};
  Option<bool> cInterface{*this, "c-interface",
                          llvm::cl::desc("Emit _mlir_ciface_ wrappers for "
                                         "every function (for mp-run)"),
                          llvm::cl::init(false)};
};

/// Lowers mixed-precision IR on tensors to the LLVM dialect for the CPU:
/// mp-lower-to-arith, bufferization, loops, exact bf16 expansion, LLVM.
void buildCPULoweringPipeline(mlir::OpPassManager &pm,
                              const CPULoweringOptions &options);

/// Registers `mp-cpu-lowering` and the other named pipelines.
void registerPipelines();

} // namespace mp

#endif // MP_PIPELINES_PIPELINES_H
