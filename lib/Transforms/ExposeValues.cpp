//===- ExposeValues.cpp - return intermediate values for calibration ------===//

#include "mp/Analysis/Classification.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringMap.h"

namespace mp {
#define GEN_PASS_DEF_MPEXPOSEVALUES
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;

namespace {

struct MPExposeValuesPass : mp::impl::MPExposeValuesBase<MPExposeValuesPass> {
  using MPExposeValuesBase::MPExposeValuesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (entry.empty()) {
      module.emitError("mp-expose-values needs the 'entry' option");
      return signalPassFailure();
    }
    auto func = module.lookupSymbol<func::FuncOp>(entry);
    if (!func || func.isExternal()) {
      module.emitError() << "mp-expose-values: no function named '" << entry
                         << "' with a body";
      return signalPassFailure();
    }
    if (!func.getBody().hasOneBlock()) {
      func.emitError("mp-expose-values needs a single-block body");
      return signalPassFailure();
    }
    Block &body = func.getBody().front();
    auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
    if (!ret) {
      func.emitError("mp-expose-values needs a func.return terminator");
      return signalPassFailure();
    }
    if (!SymbolTable::symbolKnownUseEmpty(func, module)) {
      func.emitError("mp-expose-values changes the results of '")
          << entry << "', which has callers";
      return signalPassFailure();
    }
    SmallVector<Value> recorded;
    SmallVector<Attribute> names;
    llvm::StringMap<unsigned> seen;
    unsigned ordinal = 0;
    for (Operation &op : body.without_terminator()) {
      ++ordinal;
      if (isa<tensor::EmptyOp>(op)) // undefined contents
        continue;
      for (OpResult result : op.getResults()) {
        auto type = dyn_cast<RankedTensorType>(result.getType());
        if (!type || !isa<FloatType>(type.getElementType()) || !type.hasStaticShape())
          continue;
        std::string name = mp::getStableName(&op);
        if (name.empty())
          name = op.getName().getStringRef().str() + "@" + std::to_string(ordinal);
        if (op.getNumResults() > 1)
          name += "#" + std::to_string(result.getResultNumber());
        if (unsigned count = seen[name]++)
          name += "#" + std::to_string(count);
        names.push_back(StringAttr::get(&getContext(), name));
        recorded.push_back(result);
      }
    }
    ret->insertOperands(ret->getNumOperands(), recorded);
    SmallVector<Type> resultTypes(func.getResultTypes());
    for (Value v : recorded)
      resultTypes.push_back(v.getType());
    func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(), resultTypes));
    func->setAttr(mp::MPDialect::getExposedValuesAttrName(),
                  ArrayAttr::get(&getContext(), names));
  }
};

} // namespace
