//===- PrintRanges.cpp - print the range analysis as remarks --------------===//
//
// A test pass: one remark per float function argument and per float result
// of every op outside linalg payloads, so lit tests can check the analysis.
//
//===----------------------------------------------------------------------===//

#include "mp/Analysis/Calibration.h"
#include "mp/Analysis/RangeAnalysis.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mp {
#define GEN_PASS_DEF_MPPRINTRANGES
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

static bool isFloatLike(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return isa<FloatType>(tensor.getElementType());
  return isa<FloatType>(type);
}

/// "range [lo, hi]" (" nan" appended when it may be NaN), or "unbounded".
static std::string describe(const FloatRange &range) {
  if (std::isinf(range.lo) && std::isinf(range.hi) && range.lo < range.hi)
    return "unbounded";
  return "range " + range.str();
}

static bool isInsideLinalgPayload(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent; parent = parent->getParentOp())
    if (isa<linalg::LinalgOp>(parent))
      return true;
  return false;
}

namespace {
struct MPPrintRangesPass : mp::impl::MPPrintRangesBase<MPPrintRangesPass> {
  using MPPrintRangesBase::MPPrintRangesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<double> recorded;
    if (!calibration.empty()) {
      auto parsed = readCalibration(calibration);
      if (!parsed) {
        module.emitError() << llvm::toString(parsed.takeError());
        return signalPassFailure();
      }
      recorded = std::move(*parsed);
    }
    ValueRanges ranges(module, calibration.empty() ? nullptr : &recorded);

    module.walk([&](Operation *op) {
      if (auto function = dyn_cast<FunctionOpInterface>(op)) {
        if (function.isExternal())
          return;
        for (BlockArgument arg : function.getArguments())
          if (isFloatLike(arg.getType()))
            op->emitRemark() << "arg " << arg.getArgNumber() << ": "
                             << describe(ranges.getRange(arg));
        return;
      }
      if (isInsideLinalgPayload(op))
        return;
      for (OpResult result : op->getResults())
        if (isFloatLike(result.getType()))
          op->emitRemark() << "result " << result.getResultNumber() << ": "
                           << describe(ranges.getRange(result));
    });
  }
};
} // namespace
