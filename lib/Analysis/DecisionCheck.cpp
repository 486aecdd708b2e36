//===- DecisionCheck.cpp - does an op compute what its decision says ------===//

#include "mp/Analysis/DecisionCheck.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mp;

DecisionAttr mp::getDecision(Operation *op) {
  return op->getAttrOfType<DecisionAttr>(MPDialect::getDecisionAttrName());
}

static bool isFloat(Type type) { return isa<FloatType>(type); }

bool mp::isFloatArithmetic(Operation *op) {
  if (!isa_and_nonnull<arith::ArithDialect, math::MathDialect>(op->getDialect()))
    return false;
  if (isa<arith::ConstantOp, arith::ExtFOp, arith::TruncFOp, arith::BitcastOp,
          arith::FPToSIOp, arith::FPToUIOp, arith::SIToFPOp, arith::UIToFPOp,
          arith::ScalingExtFOp, arith::ScalingTruncFOp>(op))
    return false;
  return llvm::any_of(op->getOperandTypes(), isFloat) ||
         llvm::any_of(op->getResultTypes(), isFloat);
}

bool mp::hasRetypablePayload(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getBlock();
}

Type mp::defaultComputeType(Operation *op, FormatAttr format) {
  if (Type acc = format.getAccumulator())
    return acc;
  Type storage = format.getStorageType();
  if (!hasRetypablePayload(op))
    return storage;
  auto floatType = dyn_cast<FloatType>(storage);
  if (floatType && floatType.getWidth() <= 32)
    return Float32Type::get(op->getContext());
  if (format.isInteger())
    return IntegerType::get(op->getContext(), 32);
  return storage;
}

namespace {
/// Reports violations at one op, or only counts them.
struct Checker {
  Operation *op;
  bool emit;
  bool failed = false;

  InFlightDiagnostic report() {
    failed = true;
    return op->emitError();
  }

  void expectElement(Value value, Type want, StringRef what, unsigned index) {
    auto type = dyn_cast<ShapedType>(value.getType());
    if (!type || !isFloat(type.getElementType()) || type.getElementType() == want)
      return;
    failed = true;
    if (emit)
      op->emitError() << "decision says " << what << " #" << index << " is " << want
                      << ", but it is " << type.getElementType();
  }
};
} // namespace

bool mp::isEpilogueAccumulatorInput(Value input, DecisionAttr consumer, bool checkType) {
  if (!consumer || consumer.isContraction() || !input.hasOneUse())
    return false;
  auto producer = input.getDefiningOp<linalg::LinalgOp>();
  DecisionAttr decision = producer ? getDecision(producer) : DecisionAttr();
  auto type = dyn_cast<ShapedType>(input.getType());
  return decision && decision.isContraction() && type &&
         decision.getCompute() == consumer.getCompute() &&
         (!checkType || type.getElementType() == consumer.getCompute());
}

LogicalResult mp::checkDecision(Operation *op, DecisionAttr decision, bool emit) {
  Checker checker{op, emit};
  Type storage = decision.getStorageType();
  Type compute = decision.getCompute();
  bool contraction = decision.isContraction();
  if (decision.getFormat().isScaled()) {
    if (emit)
      op->emitError() << "decision " << decision
                      << " needs scaling, which mp does not materialize yet";
    return failure();
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp) {
    for (auto [index, operand] : llvm::enumerate(op->getOperands()))
      checker.expectElement(operand, storage, "operand", index);
    for (auto [index, result] : llvm::enumerate(op->getResults()))
      checker.expectElement(result, storage, "result", index);
    // Without a payload the op computes in its storage type.
    if (compute != storage && !checker.failed) {
      checker.failed = true;
      if (emit)
        op->emitError() << "decision says the op computes in " << compute
                        << ", but it has no payload and computes in " << storage;
    }
    return failure(checker.failed);
  }
  Type resultType = contraction ? compute : storage;
  for (OpOperand *input : linalgOp.getDpsInputOperands())
    if (!isEpilogueAccumulatorInput(input->get(), decision))
      checker.expectElement(input->get(), storage, "input", input->getOperandNumber());
  for (OpOperand &init : linalgOp.getDpsInitsMutable())
    checker.expectElement(init.get(), resultType, "init", init.getOperandNumber());
  for (auto [index, result] : llvm::enumerate(op->getResults()))
    checker.expectElement(result, resultType, "result", index);
  if (Block *body = linalgOp.getBlock()) {
    body->walk([&](Operation *payload) {
      if (!isFloatArithmetic(payload))
        return;
      auto wrong = [&](Type type) { return isFloat(type) && type != compute; };
      auto bad = llvm::find_if(payload->getOperandTypes(), wrong);
      Type badType;
      if (bad != payload->getOperandTypes().end())
        badType = *bad;
      else if (auto res = llvm::find_if(payload->getResultTypes(), wrong);
               res != payload->getResultTypes().end())
        badType = *res;
      if (!badType)
        return;
      checker.failed = true;
      if (emit) {
        InFlightDiagnostic diag = op->emitError()
                                  << "decision says the payload computes in " << compute
                                  << ", but '" << payload->getName() << "' computes in "
                                  << badType;
        diag.attachNote(payload->getLoc()) << "payload op here";
      }
    });
  }
  return failure(checker.failed);
}
