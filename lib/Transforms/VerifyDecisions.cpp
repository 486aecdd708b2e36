//===- VerifyDecisions.cpp - check every decided op against its decision --===//

#include "mp/Analysis/DecisionCheck.h"
#include "mp/Transforms/Passes.h"

namespace mp {
#define GEN_PASS_DEF_MPVERIFYDECISIONS
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

struct MPVerifyDecisionsPass
    : mp::impl::MPVerifyDecisionsBase<MPVerifyDecisionsPass> {
  void runOnOperation() override {
    bool failedAny = false;
    getOperation()->walk([&](Operation *op) {
      DecisionAttr decision = getDecision(op);
      if (!decision)
        return;
      ++numChecked;
      failedAny |= failed(checkDecision(op, decision, /*emit=*/true));
    });
    if (failedAny)
      signalPassFailure();
    markAllAnalysesPreserved();
  }
};

} // namespace
