//===- LaunchToLoops.cpp - run mapped kernels on the CPU -------------------===//
//
// mp-gpu-launch-to-loops replaces each `gpu.launch` by loops over its grid and
// its block, so that the thread-mapped IR (index arithmetic, bounds guards,
// tile loops, warp-level tensor-core tiles) runs on the CPU through mp-run
// and can be compared with the IR before mapping. Launches marked
// `mp.warp_synchronous` run one lane per warp: their lanes all compute the
// same warp tile. Bodies that communicate between threads (barriers,
// shuffles, workgroup memory, lane ids) cannot be sequentialized this way and
// get a diagnostic, except in blocks of one thread, where a barrier is a no-op
// and a block-wide reduction (gpu.all_reduce) is its operand.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"
#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mp {
#define GEN_PASS_DEF_MPGPULAUNCHTOLOOPS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

LogicalResult sequentialize(gpu::LaunchOp launch) {
  if (!launch.getWorkgroupAttributions().empty() ||
      !launch.getPrivateAttributions().empty())
    return launch.emitOpError("has memory attributions; its threads cannot run "
                              "one after another");
  if (!launch.getBody().hasOneBlock())
    return launch.emitOpError("has a multi-block body; run it through "
                              "mp-gpu-launch-to-loops before control-flow lowering");
  // With one thread per block, a barrier is a no-op and a block-wide
  // reduction is its operand (the row kernels in emulation).
  auto isOne = [](Value v) {
    return getConstantIntValue(v) == std::optional<int64_t>(1);
  };
  gpu::KernelDim3 blockSizes = launch.getBlockSizeOperandValues();
  bool singleThread = isOne(blockSizes.x) && isOne(blockSizes.y) && isOne(blockSizes.z);
  WalkResult walk = launch.getBody().walk([&](Operation *op) {
    if (singleThread && isa<gpu::BarrierOp, gpu::AllReduceOp>(op))
      return WalkResult::advance();
    if (isa<gpu::BarrierOp, gpu::ShuffleOp, gpu::LaneIdOp, gpu::SubgroupReduceOp,
            gpu::AllReduceOp>(op)) {
      op->emitOpError("communicates between threads; the launch cannot run "
                      "one thread after another");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  bool warpLevel = launch->hasAttr(MPDialect::getWarpSynchronousAttrName());
  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value warpStep = arith::ConstantIndexOp::create(b, loc, 32);
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  IRMapping mapping;
  Block &body = launch.getBody().front();
  auto ids = launch.getBlockIds(), tids = launch.getThreadIds();
  auto gridArgs = launch.getGridSize(), blockArgs = launch.getBlockSize();
  mapping.map(gridArgs.x, grid.x);
  mapping.map(gridArgs.y, grid.y);
  mapping.map(gridArgs.z, grid.z);
  mapping.map(blockArgs.x, block.x);
  mapping.map(blockArgs.y, block.y);
  mapping.map(blockArgs.z, block.z);
  struct Level {
    Value id, bound, step;
  };
  SmallVector<Level> levels = {{ids.z, grid.z, one},   {ids.y, grid.y, one},
                               {ids.x, grid.x, one},   {tids.z, block.z, one},
                               {tids.y, block.y, one}, {tids.x, block.x, warpLevel ? warpStep : one}};
  for (Level &level : levels) {
    auto loop = scf::ForOp::create(b, loc, zero, level.bound, level.step);
    mapping.map(level.id, loop.getInductionVar());
    b.setInsertionPointToStart(loop.getBody());
  }
  for (Operation &op : body.without_terminator())
    b.clone(op, mapping);
  launch.erase();
  // Single-thread blocks: barriers go, block-wide reductions are their
  // operand (nested ones too: the walk clones whole regions).
  if (singleThread) {
    SmallVector<Operation *> dropped;
    b.getInsertionBlock()->getParentOp()->walk([&](Operation *op) {
      if (auto reduce = dyn_cast<gpu::AllReduceOp>(op)) {
        reduce.replaceAllUsesWith(reduce.getValue());
        dropped.push_back(op);
      } else if (isa<gpu::BarrierOp>(op)) {
        dropped.push_back(op);
      }
    });
    for (Operation *op : dropped)
      op->erase();
  }
  return success();
}

struct MPGPULaunchToLoopsPass
    : mp::impl::MPGPULaunchToLoopsBase<MPGPULaunchToLoopsPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation()->walk([&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches)
      if (failed(sequentialize(launch)))
        return signalPassFailure();
  }
};

} // namespace
