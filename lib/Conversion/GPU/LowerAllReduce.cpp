//===- LowerAllReduce.cpp - block-wide reductions in outlined kernels ------===//
//
// mp-gpu-lower-all-reduce runs upstream's `gpu.all_reduce` lowering on every
// kernel of a gpu.module: warp shuffles, then the warps' partials through
// shared memory. The row kernels of mp-gpu-map-kernels (softmax, norms) emit
// the reductions; the lowering needs the outlined `gpu.func` to attach its
// shared-memory buffers, so it runs after outlining.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mp {
#define GEN_PASS_DEF_MPGPULOWERALLREDUCE
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;

namespace {

struct MPGPULowerAllReducePass
    : mp::impl::MPGPULowerAllReduceBase<MPGPULowerAllReducePass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](gpu::AllReduceOp reduce) {
      if (!reduce.getUniform()) {
        reduce.emitOpError("is not uniform; mp-gpu-lower-all-reduce lowers "
                           "reductions that every thread of the block reaches");
        failed = true;
      } else if (!reduce->getParentOfType<gpu::GPUFuncOp>()) {
        reduce.emitOpError("is not in an outlined kernel (gpu.func); run "
                           "gpu-kernel-outlining first");
        failed = true;
      } else if (reduce->getParentOp() != reduce->getParentOfType<gpu::GPUFuncOp>()) {
        reduce.emitOpError("is nested in control flow inside its kernel; the "
                           "lowering splits the kernel's body at the reduction");
        failed = true;
      }
    });
    if (failed)
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateGpuAllReducePatterns(patterns);
    if (mlir::failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
