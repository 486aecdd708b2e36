//===- PrintRanges.cpp - placeholder -----------------------------------------------===//

#include "mp/Transforms/Passes.h"

namespace mp {
#define GEN_PASS_DEF_MPPRINTRANGES
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

namespace {
struct MPPrintRangesPass : mp::impl::MPPrintRangesBase<MPPrintRangesPass> {
  using MPPrintRangesBase::MPPrintRangesBase;
  void runOnOperation() override {}
};
} // namespace
