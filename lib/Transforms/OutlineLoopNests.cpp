//===- OutlineLoopNests.cpp - one function per top-level loop nest --------===//
//
// See the pass description in Passes.td: keeps LLVM's per-function loop
// analyses linear on whole-model functions.
//
//===----------------------------------------------------------------------===//

#include "mp/Transforms/Passes.h"

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Dialect/MP/Utils/Outlining.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mp {
#define GEN_PASS_DEF_MPOUTLINELOOPNESTS
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;

namespace {

/// The function's text with a fixed name: equal texts are the same kernel.
static std::string bodyKey(func::FuncOp func) {
  std::string text;
  llvm::raw_string_ostream os(text);
  StringAttr name = func.getSymNameAttr();
  func.setSymName("kernel");
  // Local scope: printing a nested op must not number the whole module.
  func->print(os, OpPrintingFlags().useLocalScope().printGenericOpForm());
  func.setSymNameAttr(name);
  return text;
}

struct MPOutlineLoopNestsPass
    : mp::impl::MPOutlineLoopNestsBase<MPOutlineLoopNestsPass> {
  using Base::Base;
  Pass::Statistic numDeduplicated{this, "deduplicated", "nests that reuse an earlier kernel"};

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      if (func.isExternal() || func->hasAttr(mp::MPDialect::getOutlinedAttrName()))
        continue;
      if (failed(outline(func, symbols)))
        return signalPassFailure();
    }
  }

  /// Kernels outlined so far by their text: the layers of a model repeat the
  /// same nests on different weights (passed as arguments), kept once.
  llvm::StringMap<func::FuncOp> kernels;

  LogicalResult outline(func::FuncOp func, SymbolTable &symbols) {
    if (!func.getBody().hasOneBlock())
      return success(); // already in CFG form: nothing structured to outline
    SmallVector<Operation *> nests;
    for (Operation &op : func.getBody().front())
      if (op.getNumRegions() > 0 && !op.hasTrait<OpTrait::IsIsolatedFromAbove>())
        nests.push_back(&op);
    unsigned counter = 0;
    Operation *insertAfter = func; // new functions follow in nest order
    for (Operation *nest : nests) {
      unsigned size = 0;
      nest->walk([&](Operation *) { ++size; });
      if (size < minOps + 1)
        continue;
      // Values the nest reads from above: its operands and captures.
      SmallVector<Value> arguments;
      SmallVector<Operation *> cloned;
      mp::collectOutlinedInputs(nest, arguments, cloned);
      OpBuilder b(func);
      b.setInsertionPointAfter(insertAfter);
      std::string name = (func.getSymName() + "_nest" + Twine(counter++)).str();
      auto type = b.getFunctionType(ValueRange(arguments).getTypes(),
                                    nest->getResultTypes());
      auto outlined = func::FuncOp::create(b, nest->getLoc(), name, type);
      outlined.setPrivate();
      outlined->setAttr(mp::MPDialect::getOutlinedAttrName(), b.getUnitAttr());
      outlined->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
      symbols.insert(outlined); // uniquifies the name if it is taken
      Block *entry = outlined.addEntryBlock();
      b.setInsertionPointToStart(entry);
      IRMapping map;
      for (auto [v, arg] : llvm::zip(arguments, entry->getArguments()))
        map.map(v, arg);
      for (Operation *op : cloned)
        b.clone(*op, map);
      Operation *copy = b.clone(*nest, map);
      func::ReturnOp::create(b, nest->getLoc(), copy->getResults());

      auto [it, inserted] = kernels.try_emplace(bodyKey(outlined), outlined);
      if (!inserted) {
        symbols.erase(outlined);
        outlined = it->second;
        ++numDeduplicated;
      } else {
        insertAfter = outlined;
      }
      OpBuilder call(nest);
      auto callOp = func::CallOp::create(call, nest->getLoc(), outlined, arguments);
      nest->replaceAllUsesWith(callOp.getResults());
      nest->erase();
    }
    return success();
  }
};

} // namespace
