//===- SelectParallelLoops.cpp - which CPU loops run on threads -----------===//
//
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"

namespace mp {
#define GEN_PASS_DEF_MPSELECTPARALLELLOOPS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// Trip count assumed for a loop whose bounds are not constants.
constexpr int64_t kUnknownTrips = 64;

int64_t saturatingMul(int64_t a, int64_t b) {
  if (a != 0 && b > INT64_MAX / a)
    return INT64_MAX;
  return a * b;
}

int64_t saturatingAdd(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

int64_t tripCount(OpFoldResult lb, OpFoldResult ub, OpFoldResult step) {
  std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                         s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return kUnknownTrips;
  return *u > *l ? (*u - *l + *s - 1) / *s : 0;
}

/// Operations executed by `region`: each op without regions counts one,
/// loop bodies count once per iteration.
int64_t work(Region &region);

int64_t work(Operation *op) {
  int64_t inner = 0;
  for (Region &region : op->getRegions())
    inner = saturatingAdd(inner, work(region));
  if (op->getNumRegions() == 0)
    return 1;
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return saturatingMul(tripCount(loop.getLowerBound(), loop.getUpperBound(),
                                   loop.getStep()),
                         inner);
  if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
    int64_t trips = 1;
    for (auto [lb, ub, step] :
         llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep()))
      trips = saturatingMul(trips, tripCount(lb, ub, step));
    return saturatingMul(trips, inner);
  }
  if (isa<LoopLikeOpInterface>(op))
    return saturatingMul(kUnknownTrips, inner);
  return inner;
}

int64_t work(Region &region) {
  int64_t total = 0;
  for (Block &block : region)
    for (Operation &op : block)
      total = saturatingAdd(total, work(&op));
  return total;
}

/// Replaces `op` (no reductions) by a nest of scf.for over its dimensions,
/// outermost first, with the body unchanged.
void sequentialize(RewriterBase &rewriter, scf::ParallelOp op) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  SmallVector<Value> ivs;
  Operation *innermostTerminator = nullptr;
  for (auto [lb, ub, step] :
       llvm::zip(op.getLowerBound(), op.getUpperBound(), op.getStep())) {
    auto loop = scf::ForOp::create(rewriter, op.getLoc(), lb, ub, step);
    ivs.push_back(loop.getInductionVar());
    innermostTerminator = loop.getBody()->getTerminator();
    rewriter.setInsertionPoint(innermostTerminator);
  }
  Block *body = op.getBody();
  rewriter.eraseOp(body->getTerminator()); // the empty scf.reduce
  rewriter.inlineBlockBefore(body, innermostTerminator, ivs);
  rewriter.eraseOp(op);
}

struct MPSelectParallelLoopsPass
    : mp::impl::MPSelectParallelLoopsBase<MPSelectParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> sequential;
    getOperation().walk([&](scf::ParallelOp op) {
      if (op.getNumResults() != 0)
        return; // reductions: left to the sequential lowering of scf.parallel
      bool nested = false;
      for (Operation *parent = op->getParentOp(); parent && !isa<func::FuncOp>(parent);
           parent = parent->getParentOp())
        nested |= isa<LoopLikeOpInterface>(parent);
      if (!nested && work(op) >= minWork) {
        ++numParallel;
        return;
      }
      sequential.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    // The walk is post-order: inner loops are rewritten before the loops
    // around them.
    for (scf::ParallelOp op : sequential) {
      sequentialize(rewriter, op);
      ++numSequential;
    }
  }
};

} // namespace
