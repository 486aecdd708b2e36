//===- FoldCasts.cpp - remove, merge, hoist and share mp.cast ops ---------===//

#include "mp/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseMap.h"

namespace mp {
#define GEN_PASS_DEF_MPFOLDCASTS
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// cast(cast(x : A -> B) : B -> A) with B narrower than A: the pair rounds x
/// to B. Removing it keeps x's excess precision; only done when allowed, and
/// reported.
struct RemoveNarrowingRoundTrip : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op,
                                PatternRewriter &rewriter) const override {
    auto producer = op.getInput().getDefiningOp<CastOp>();
    if (!producer || producer.getInput().getType() != op.getType() ||
        producer.isExact())
      return failure();
    std::string chain;
    llvm::raw_string_ostream os(chain);
    os << getElementTypeOrSelf(op.getType()) << " -> "
       << getElementTypeOrSelf(producer.getType()) << " -> "
       << getElementTypeOrSelf(op.getType());
    op.emitRemark() << "removed narrowing round trip " << chain
                    << " (allow-excess-precision): the value keeps its "
                       "wider precision";
    rewriter.replaceOp(op, producer.getInput());
    return success();
  }
};

/// Moves casts whose operand is defined in an enclosing region (loop
/// invariants) to right after the definition, then replaces every cast that
/// a same cast of the same value dominates.
void hoistAndShareCasts(Operation *root) {
  SmallVector<CastOp> casts;
  root->walk([&](CastOp op) { casts.push_back(op); });
  for (CastOp op : casts) {
    Value input = op.getInput();
    Region *inputRegion = input.getParentRegion();
    if (inputRegion == op->getParentRegion() ||
        !inputRegion->isAncestor(op->getParentRegion()))
      continue;
    if (Operation *def = input.getDefiningOp())
      op->moveAfter(def);
    else
      op->moveBefore(&input.getParentBlock()->front());
  }
  DominanceInfo dominance(root);
  // Casts of one value with the same result type and attributes.
  using Key = std::tuple<Value, Type, Attribute>;
  DenseMap<Key, SmallVector<CastOp>> groups;
  for (CastOp op : casts)
    groups[{op.getInput(), op.getType(), op->getAttrDictionary()}].push_back(op);
  for (auto &entry : groups) {
    SmallVector<CastOp> kept;
    for (CastOp op : entry.second) {
      bool merged = false;
      for (CastOp &leader : kept) {
        if (dominance.properlyDominates(leader.getOperation(), op)) {
          op.replaceAllUsesWith(leader.getResult());
          op.erase();
        } else if (dominance.properlyDominates(op.getOperation(), leader)) {
          leader.replaceAllUsesWith(op.getResult());
          leader.erase();
          leader = op;
        } else {
          continue;
        }
        merged = true;
        break;
      }
      if (!merged)
        kept.push_back(op);
    }
  }
}

struct MPFoldCastsPass : mp::impl::MPFoldCastsBase<MPFoldCastsPass> {
  using MPFoldCastsBase::MPFoldCastsBase;

  void runOnOperation() override {
    Operation *root = getOperation();
    auto countCasts = [&] {
      unsigned count = 0;
      // Tensor casts are what costs memory traffic; casts of scalars inside
      // kernels are counted apart by mp-precision-report.
      root->walk([&](CastOp op) { count += isa<RankedTensorType>(op.getType()); });
      return count;
    };
    unsigned before = countCasts();
    RewritePatternSet patterns(&getContext());
    populateFoldCastsPatterns(patterns, allowExcessPrecision);
    if (failed(applyPatternsGreedily(root, std::move(patterns))))
      return signalPassFailure();
    hoistAndShareCasts(root);
    unsigned removed = before - countCasts();
    numCastsRemoved += removed;
  }
};

} // namespace

void mp::populateFoldCastsPatterns(RewritePatternSet &patterns,
                                   bool allowExcessPrecision) {
  CastOp::getCanonicalizationPatterns(patterns, patterns.getContext());
  if (allowExcessPrecision)
    patterns.add<RemoveNarrowingRoundTrip>(patterns.getContext());
}
