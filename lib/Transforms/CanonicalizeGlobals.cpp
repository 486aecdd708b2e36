//===- CanonicalizeGlobals.cpp - deterministic names for constant globals -===//

#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "llvm/ADT/DenseSet.h"
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
    // New names, avoiding symbols that keep theirs; then every reference is
    // updated in one walk (renaming one symbol at a time walks the module per
    // global: quadratic on a model with hundreds of weights).
    MLIRContext *ctx = &getContext();
    llvm::DenseSet<StringAttr> kept;
    for (Operation &op : module.getBody()->getOperations())
      if (auto name = op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName()))
        if (!order.count(&op))
          kept.insert(name);
    DenseMap<StringAttr, StringAttr> renamed;
    for (auto [op, index] : order) {
      auto global = cast<memref::GlobalOp>(op);
      std::string name = ("__constant_" + Twine(index)).str();
      while (kept.contains(StringAttr::get(ctx, name)))
        name += "_mp"; // a user symbol already has this name
      StringAttr newName = StringAttr::get(ctx, name);
      renamed[global.getSymNameAttr()] = newName;
    }
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](FlatSymbolRefAttr ref) -> std::optional<Attribute> {
      auto it = renamed.find(ref.getAttr());
      if (it == renamed.end())
        return std::nullopt;
      return FlatSymbolRefAttr::get(it->second);
    });
    module.walk([&](Operation *op) {
      if (!order.count(op) && op->getAttrDictionary().size())
        replacer.replaceElementsIn(op, /*replaceAttrs=*/true, /*replaceLocs=*/false,
                                   /*replaceTypes=*/false);
    });
    for (auto [op, index] : order) {
      auto global = cast<memref::GlobalOp>(op);
      global.setSymNameAttr(renamed[global.getSymNameAttr()]);
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
