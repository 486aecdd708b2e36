//===- Classification.cpp - op classes and stable value names -------------===//

#include "mp/Analysis/Classification.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mp;

static bool isFloatTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

bool mp::isSensitivePayloadOp(Operation *op) {
  if (isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::LogOp, math::Log2Op,
          math::Log10Op, math::Log1pOp, math::PowFOp, math::FPowIOp, math::ErfOp,
          math::ErfcOp, math::TanhOp, math::RsqrtOp, math::SqrtOp, math::CbrtOp,
          math::AtanOp, math::Atan2Op>(op))
    return true;
  if (auto div = dyn_cast<arith::DivFOp>(op))
    return !div.getRhs().getDefiningOp<arith::ConstantOp>();
  return false;
}

std::optional<OpClass> mp::classifyOp(Operation *op) {
  if (isa_and_nonnull<MPDialect>(op->getDialect()))
    return std::nullopt;
  bool floatResult = llvm::any_of(op->getResultTypes(), isFloatTensor);
  bool floatOperand = llvm::any_of(op->getOperandTypes(), isFloatTensor);
  if (!floatResult || !floatOperand)
    return std::nullopt;
  if (isa<linalg::SoftmaxOp>(op))
    return OpClass::Sensitive;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (isa<linalg::FillOp>(op))
      return std::nullopt;
    if (isConstantGather(op))
      return OpClass::DataMovement;
    if (linalg::isaContractionOpInterface(linalgOp) ||
        linalg::isaConvolutionOpInterface(linalgOp))
      return OpClass::Contraction;
    if (linalgOp.getNumReductionLoops() > 0)
      return OpClass::Sensitive;
    Block *body = linalgOp.getBlock();
    if (!body)
      return OpClass::Elementwise;
    bool sensitive = false, computes = false, indexed = false;
    body->walk([&](Operation *payload) {
      if (isa<linalg::IndexOp>(payload))
        indexed = true;
      if (payload->hasTrait<OpTrait::IsTerminator>() || isa<linalg::IndexOp>(payload))
        return;
      computes = true;
      sensitive |= isSensitivePayloadOp(payload);
      // Floats made from iteration indices (positions, rotary angles) are
      // integers that bf16 holds exactly only up to 256 and f16 up to 2048:
      // computed in f32, and what follows from them follows f32.
      sensitive |= indexed && isa<arith::SIToFPOp, arith::UIToFPOp>(payload);
    });
    if (sensitive)
      return OpClass::Sensitive;
    return computes ? OpClass::Elementwise : OpClass::DataMovement;
  }
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ExtractSliceOp,
          tensor::InsertSliceOp, tensor::CastOp>(op))
    return OpClass::DataMovement;
  // Math and arith on whole tensors (usually converted to linalg first).
  if (op->getNumRegions() == 0 &&
      isa_and_nonnull<arith::ArithDialect, math::MathDialect>(op->getDialect()))
    return isSensitivePayloadOp(op) || isa<math::MathDialect>(op->getDialect())
               ? OpClass::Sensitive
               : OpClass::Elementwise;
  return std::nullopt;
}

bool mp::isConstantGather(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.getBlock() ||
      !llvm::any_of(op->getResultTypes(), isFloatTensor) ||
      llvm::any_of(linalgOp.getDpsInputs(),
                   [](Value v) { return isFloatTensor(v.getType()); }))
    return false;
  bool gathers = false;
  linalgOp.getBlock()->walk([&](tensor::ExtractOp extract) {
    Value table = extract.getTensor();
    gathers |= isFloatTensor(table.getType()) && table.getDefiningOp<arith::ConstantOp>() &&
               !op->isAncestor(table.getDefiningOp());
  });
  return gathers;
}

std::optional<OpClass> mp::parseOpClass(StringRef name) {
  if (name == "data-movement")
    return OpClass::DataMovement;
  return symbolizeOpClass(name);
}

static std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (llvm::sys::path::filename(file.getFilename().getValue()) + ":" +
            Twine(file.getLine()) + ":" + Twine(file.getColumn()))
        .str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string name = locationName(inner); !name.empty())
        return name;
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return locationName(callSite.getCallee());
  return "";
}

std::string mp::getStableName(Operation *op) {
  if (auto name = op->getAttrOfType<StringAttr>(MPDialect::getNameAttrName()))
    return name.str();
  return locationName(op->getLoc());
}
