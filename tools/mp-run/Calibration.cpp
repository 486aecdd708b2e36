//===- Calibration.cpp - expose intermediate values for calibration -------===//

#include "Calibration.h"

#include "mp/Analysis/Classification.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;

LogicalResult mp::instrumentForCalibration(ModuleOp module, StringRef entry,
                                           std::vector<std::string> &names) {
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || !func.getBody().hasOneBlock())
    return module.emitError() << "calibration needs '" << entry
                              << "' with a single-block body";
  Block &body = func.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret)
    return func.emitError() << "calibration needs a func.return terminator";
  SmallVector<Value> recorded;
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
      std::string name = getStableName(&op);
      if (name.empty())
        name = op.getName().getStringRef().str() + "@" + std::to_string(ordinal);
      if (op.getNumResults() > 1)
        name += "#" + std::to_string(result.getResultNumber());
      unsigned count = seen[name]++;
      if (count)
        name += "#" + std::to_string(count);
      names.push_back(name);
      recorded.push_back(result);
    }
  }
  ret->insertOperands(ret->getNumOperands(), recorded);
  SmallVector<Type> resultTypes(func.getResultTypes());
  for (Value v : recorded)
    resultTypes.push_back(v.getType());
  func.setType(FunctionType::get(module.getContext(), func.getArgumentTypes(), resultTypes));
  return success();
}
