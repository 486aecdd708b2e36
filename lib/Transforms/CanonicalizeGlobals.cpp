//===- CanonicalizeGlobals.cpp - deterministic names for constant globals -===//

#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"

namespace mp {
#define GEN_PASS_DEF_MPCANONICALIZEGLOBALS
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;

namespace {

struct MPCanonicalizeGlobalsPass
    : mp::impl::MPCanonicalizeGlobalsBase<MPCanonicalizeGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // Private constants in order of first use, then the unused ones.
    llvm::MapVector<Operation *, unsigned> order;
    auto isCandidate = [](memref::GlobalOp global) {
      return global && global.getConstant() && global.isPrivate();
    };
    module.walk([&](memref::GetGlobalOp get) {
      auto global = symbols.lookup<memref::GlobalOp>(get.getName());
      if (isCandidate(global))
        order.insert({global, order.size()});
    });
    for (auto global : module.getOps<memref::GlobalOp>())
      if (isCandidate(global))
        order.insert({global, order.size()});
    if (order.empty())
      return;
    // Rename in two steps so that no new name collides with an old one.
    MLIRContext *ctx = &getContext();
    for (auto phase : {StringRef("__mp_renaming_"), StringRef("__constant_")}) {
      for (auto [op, index] : order) {
        auto global = cast<memref::GlobalOp>(op);
        std::string name = (phase + Twine(index)).str();
        if (phase == "__constant_" && symbols.lookup(name) &&
            symbols.lookup(name) != op) {
          // A user symbol already has this name: keep a unique suffix.
          name += "_mp";
        }
        if (failed(symbols.rename(global, StringAttr::get(ctx, name)))) {
          global.emitError("cannot rename this global");
          return signalPassFailure();
        }
      }
    }
    // Place them first, in order.
    Block *body = module.getBody();
    Operation *insertBefore = &body->front();
    for (auto [op, index] : order) {
      if (op == insertBefore) {
        insertBefore = op->getNextNode();
        continue;
      }
      op->moveBefore(insertBefore);
    }
  }
};

} // namespace
