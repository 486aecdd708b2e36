//===- Outlining.h - what an op moved into a new function needs -*- C++ -*-===//
//
// Shared by mp-outline-loop-nests and mp-outline-parallel-loops.
//
//===----------------------------------------------------------------------===//

#ifndef MP_DIALECT_MP_UTILS_OUTLINING_H
#define MP_DIALECT_MP_UTILS_OUTLINING_H

#include "mlir/IR/Operation.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mp {

/// The values `op` reads from above (its operands and captures), split into
/// those the new function takes as `arguments` and the operand-free constants
/// (`cloned`) it repeats inside: static bounds stay static, and the
/// optimizer sees the constants.
inline void collectOutlinedInputs(mlir::Operation *op,
                                  llvm::SmallVectorImpl<mlir::Value> &arguments,
                                  llvm::SmallVectorImpl<mlir::Operation *> &cloned) {
  llvm::SetVector<mlir::Value> used;
  for (mlir::Value v : op->getOperands())
    used.insert(v);
  mlir::getUsedValuesDefinedAbove(op->getRegions(), used);
  for (mlir::Value v : used) {
    mlir::Operation *def = v.getDefiningOp();
    if (def && def->hasTrait<mlir::OpTrait::ConstantLike>() && def->getNumOperands() == 0 &&
        def->getNumResults() == 1)
      cloned.push_back(def);
    else
      arguments.push_back(v);
  }
}

} // namespace mp

#endif // MP_DIALECT_MP_UTILS_OUTLINING_H
