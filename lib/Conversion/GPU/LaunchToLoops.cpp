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
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mp {
#define GEN_PASS_DEF_MPGPULAUNCHTOLOOPS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// Maps the launch's grid and block size arguments to its operands, and
/// opens loops over its blocks (z, y, x) with the builder in the innermost.
void openBlockLoops(OpBuilder &b, gpu::LaunchOp launch, IRMapping &mapping, Value zero,
                    Value one) {
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  auto gridArgs = launch.getGridSize(), blockArgs = launch.getBlockSize();
  mapping.map(gridArgs.x, grid.x);
  mapping.map(gridArgs.y, grid.y);
  mapping.map(gridArgs.z, grid.z);
  mapping.map(blockArgs.x, block.x);
  mapping.map(blockArgs.y, block.y);
  mapping.map(blockArgs.z, block.z);
  auto ids = launch.getBlockIds();
  for (auto [id, bound] : {std::pair(ids.z, grid.z), std::pair(ids.y, grid.y),
                           std::pair(ids.x, grid.x)}) {
    auto loop = scf::ForOp::create(b, launch.getLoc(), zero, bound, one);
    mapping.map(id, loop.getInductionVar());
    b.setInsertionPointToStart(loop.getBody());
  }
}

/// The combining op of a block-wide reduction kind, on two values.
FailureOr<Value> combine(OpBuilder &b, Location loc, gpu::AllReduceOperation kind, Value lhs,
                         Value rhs) {
  using K = gpu::AllReduceOperation;
  using C = vector::CombiningKind;
  std::optional<C> combining;
  switch (kind) {
  case K::ADD: combining = C::ADD; break;
  case K::MUL: combining = C::MUL; break;
  case K::MAXIMUMF: combining = C::MAXIMUMF; break;
  case K::MINIMUMF: combining = C::MINIMUMF; break;
  case K::MAXNUMF: combining = C::MAXNUMF; break;
  case K::MINNUMF: combining = C::MINNUMF; break;
  case K::MINSI: combining = C::MINSI; break;
  case K::MAXSI: combining = C::MAXSI; break;
  case K::MINUI: combining = C::MINUI; break;
  case K::MAXUI: combining = C::MAXUI; break;
  case K::AND: combining = C::AND; break;
  case K::OR: combining = C::OR; break;
  case K::XOR: combining = C::XOR; break;
  }
  if (!combining)
    return failure();
  return vector::makeArithReduction(b, loc, *combining, lhs, rhs);
}

/// Threads that meet only at top-level barriers and block-wide reductions
/// (the row kernels of mp-gpu-map-kernels): the body runs phase by phase,
/// each phase for every thread in turn (so every thread has passed a
/// barrier before any goes on), values a phase leaves to a later one kept
/// per thread in scratch buffers, and each `gpu.all_reduce` the combination
/// of the threads' values in thread order (the GPU combines them in a tree:
/// the same value up to the reassociation of the combining op).
LogicalResult sequentializePhases(gpu::LaunchOp launch, int64_t threads) {
  Block &body = launch.getBody().front();
  SmallVector<SmallVector<Operation *>> phases(1);
  SmallVector<Operation *> ends;
  DenseMap<Operation *, unsigned> phaseOf;
  for (Operation &op : body.without_terminator()) {
    phaseOf[&op] = phases.size() - 1;
    if (isa<gpu::BarrierOp, gpu::AllReduceOp>(op)) {
      if (auto reduce = dyn_cast<gpu::AllReduceOp>(op);
          reduce && (!reduce.getOp() || !reduce.getBody().empty()))
        return reduce.emitOpError("has a custom combining region; the emulation "
                                  "combines the named kinds only");
      ends.push_back(&op);
      phases.emplace_back();
      continue;
    }
    phases.back().push_back(&op);
  }
  ends.push_back(nullptr);

  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value numThreads = arith::ConstantIndexOp::create(b, loc, threads);
  // A per-thread buffer for each value a later phase reads.
  DenseMap<Value, Value> scratch;
  for (auto &[op, phase] : phaseOf) {
    if (isa<gpu::AllReduceOp>(op))
      continue; // uniform: the combined value itself is passed on
    for (Value result : op->getResults())
      for (OpOperand &use : result.getUses()) {
        Operation *user = body.findAncestorOpInBlock(*use.getOwner());
        unsigned userPhase = phaseOf.lookup(user);
        if (user && userPhase > phase && !scratch.count(result))
          scratch[result] = memref::AllocaOp::create(
              b, loc, MemRefType::get({threads}, result.getType()));
      }
  }

  IRMapping mapping;
  auto tids = launch.getThreadIds();
  mapping.map(tids.y, zero);
  mapping.map(tids.z, zero);
  openBlockLoops(b, launch, mapping, zero, one);
  for (auto [phase, ops] : llvm::enumerate(phases)) {
    auto reduce = dyn_cast_or_null<gpu::AllReduceOp>(ends[phase]);
    SmallVector<Value> inits;
    if (reduce)
      inits.push_back(ub::PoisonOp::create(b, loc, reduce.getType()));
    LogicalResult status = success();
    auto loop = scf::ForOp::create(
        b, loc, zero, numThreads, one, inits,
        [&](OpBuilder &nb, Location, Value tid, ValueRange iterArgs) {
          IRMapping local = mapping;
          local.map(tids.x, tid);
          // Values of earlier phases, this thread's copies.
          auto bringIn = [&](Operation *op) {
            op->walk([&](Operation *nested) {
              for (Value operand : nested->getOperands())
                if (auto it = scratch.find(operand);
                    it != scratch.end() && !local.contains(operand))
                  local.map(operand, memref::LoadOp::create(nb, loc, it->second, tid));
            });
          };
          for (Operation *op : ops) {
            bringIn(op);
            nb.clone(*op, local);
            for (Value result : op->getResults())
              if (auto it = scratch.find(result); it != scratch.end())
                memref::StoreOp::create(nb, loc, local.lookup(result), it->second, tid);
          }
          if (!reduce) {
            scf::YieldOp::create(nb, loc);
            return;
          }
          bringIn(reduce);
          Value mine = local.lookupOrDefault(reduce.getValue());
          FailureOr<Value> combined =
              combine(nb, loc, *reduce.getOp(), iterArgs[0], mine);
          if (failed(combined)) {
            status = reduce.emitOpError("has a kind the emulation cannot combine");
            scf::YieldOp::create(nb, loc, iterArgs[0]);
            return;
          }
          Value first = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq, tid, zero);
          scf::YieldOp::create(
              nb, loc, ValueRange{arith::SelectOp::create(nb, loc, first, mine, *combined)});
        });
    if (failed(status))
      return failure();
    if (reduce)
      mapping.map(reduce.getResult(), loop.getResult(0));
  }
  launch.erase();
  return success();
}

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
  // Threads that meet only at top-level barriers and reductions run in
  // phases.
  std::optional<int64_t> threadsX = getConstantIntValue(blockSizes.x);
  if (!singleThread && threadsX && isOne(blockSizes.y) && isOne(blockSizes.z) &&
      !launch->hasAttr(MPDialect::getWarpSynchronousAttrName())) {
    bool meets = false, phased = true;
    launch.getBody().walk([&](Operation *op) {
      if (isa<gpu::BarrierOp, gpu::AllReduceOp>(op)) {
        meets = true;
        phased &= op->getParentOp() == launch.getOperation();
      } else if (isa<gpu::ShuffleOp, gpu::LaneIdOp, gpu::SubgroupReduceOp>(op)) {
        phased = false;
      }
    });
    if (meets && phased)
      return sequentializePhases(launch, *threadsX);
  }
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
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  IRMapping mapping;
  Block &body = launch.getBody().front();
  auto tids = launch.getThreadIds();
  openBlockLoops(b, launch, mapping, zero, one);
  struct Level {
    Value id, bound, step;
  };
  SmallVector<Level> levels = {{tids.z, block.z, one},
                               {tids.y, block.y, one},
                               {tids.x, block.x, warpLevel ? warpStep : one}};
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
