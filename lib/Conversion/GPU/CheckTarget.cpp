//===- CheckTarget.cpp - reject targets the lowering cannot serve ---------===//
//
// mp-gpu-check-target validates the chip and PTX version that
// mp-lower-to-ptx was given before any work is done: the chips the lowering
// knows (sm_80, sm_86, sm_89, sm_90, sm_90a), and a PTX ISA version that
// supports the chip (7.0 for sm_80, 7.1 for sm_86, 7.8 for sm_89 and sm_90,
// 8.0 for sm_90a).
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringSwitch.h"

namespace mp {
#define GEN_PASS_DEF_MPGPUCHECKTARGET
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

struct MPGPUCheckTargetPass
    : mp::impl::MPGPUCheckTargetBase<MPGPUCheckTargetPass> {
  using MPGPUCheckTargetBase::MPGPUCheckTargetBase;

  void runOnOperation() override {
    int minimum = llvm::StringSwitch<int>(chip)
                      .Case("sm_80", 70)
                      .Case("sm_86", 71)
                      .Case("sm_89", 78)
                      .Case("sm_90", 78)
                      .Case("sm_90a", 80)
                      .Default(-1);
    if (minimum < 0) {
      getOperation().emitError() << "mp-lower-to-ptx: unsupported chip '" << chip
                                 << "' (supported: sm_80, sm_86, sm_89, sm_90, sm_90a)";
      return signalPassFailure();
    }
    if (ptxVersion < minimum) {
      getOperation().emitError() << "mp-lower-to-ptx: PTX ISA " << ptxVersion / 10 << "."
                                 << ptxVersion % 10 << " does not support " << chip
                                 << " (needs " << minimum / 10 << "." << minimum % 10
                                 << " or later)";
      return signalPassFailure();
    }
    if (format != "ptx" && format != "cubin") {
      getOperation().emitError() << "mp-lower-to-ptx: format must be 'ptx' or 'cubin', got '"
                                 << format << "'";
      return signalPassFailure();
    }
  }
};

} // namespace
