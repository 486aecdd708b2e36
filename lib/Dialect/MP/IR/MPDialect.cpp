//===- MPDialect.cpp - mp dialect registration ----------------------------===//

#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mp;

#include "mp/Dialect/MP/IR/MPOpsDialect.cpp.inc"

void MPDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "mp/Dialect/MP/IR/MPOps.cpp.inc"
      >();
}

/// Folded casts of constants become arith.constant.
Operation *MPDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}
