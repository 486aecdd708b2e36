//===- ConstantData.cpp - reading, converting and counting constants ------===//

#include "mp/Analysis/ConstantData.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mp/Dialect/MP/Utils/FloatRounding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mp;

std::optional<SmallVector<APFloat>> mp::readFloatConstant(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    if (dense.isSplat())
      return SmallVector<APFloat>{dense.getSplatValue<APFloat>()};
    return llvm::to_vector(dense.getValues<APFloat>());
  }
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    auto values = resource.tryGetAsArrayRef();
    if (!values || (int64_t)values->size() != type.getNumElements())
      return std::nullopt;
    SmallVector<APFloat> result;
    result.reserve(values->size());
    for (float v : *values)
      result.push_back(APFloat(v));
    return result;
  }
  return std::nullopt;
}

std::optional<std::vector<double>> mp::readFloatConstantAsDoubles(ElementsAttr attr) {
  Type element = attr.getElementType();
  bool splat = false;
  if (element.isF32() || element.isF64()) {
    if (std::optional<ArrayRef<char>> raw = rawConstantBytes(attr, splat)) {
      size_t width = element.isF32() ? 4 : 8;
      size_t count = splat ? 1 : size_t(cast<ShapedType>(attr.getType()).getNumElements());
      if (raw->size() == count * width) {
        std::vector<double> values(count);
        for (size_t i = 0; i < count; ++i) {
          if (width == 4) {
            float f;
            memcpy(&f, raw->data() + 4 * i, 4);
            values[i] = f;
          } else {
            memcpy(&values[i], raw->data() + 8 * i, 8);
          }
        }
        return values;
      }
    }
  }
  std::optional<SmallVector<APFloat>> values = readFloatConstant(attr);
  if (!values)
    return std::nullopt;
  std::vector<double> result;
  result.reserve(values->size());
  for (APFloat v : *values) {
    bool lost;
    v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
    result.push_back(v.convertToDouble());
  }
  return result;
}

std::optional<uint16_t> mp::convertF32BitsToHalf(uint32_t bits, FloatType type,
                                                 bool clampSentinels, bool &overflowed,
                                                 bool &clamped) {
  if (!type.isBF16() && !type.isF16())
    return std::nullopt;
  std::optional<uint16_t> result = roundF32BitsToHalf(bits, type.isBF16());
  if (!result)
    return std::nullopt;
  uint16_t infinity = type.isBF16() ? 0x7F80 : 0x7C00;
  uint16_t largest = type.isBF16() ? 0x7F7F : 0x7BFF;
  if ((*result & 0x7FFF) == infinity && (bits & 0x7FFFFFFFu) != 0x7F800000u) {
    float value;
    memcpy(&value, &bits, 4);
    if (clampSentinels && isInfinitySentinel(double(value))) {
      clamped = true;
      return uint16_t((*result & 0x8000) | largest);
    }
    overflowed = true;
  }
  return result;
}

double mp::finiteAbsMax(ArrayRef<APFloat> values) {
  double maxAbs = 0;
  for (const APFloat &v : values) {
    if (!v.isFinite())
      continue;
    APFloat wide = v;
    bool lost;
    wide.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
    maxAbs = std::max(maxAbs, std::fabs(wide.convertToDouble()));
  }
  return maxAbs;
}

double mp::largestFinite(FloatType type) {
  APFloat largest = APFloat::getLargest(type.getFloatSemantics());
  bool lost;
  largest.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return largest.convertToDouble();
}

std::optional<ArrayRef<char>> mp::rawConstantBytes(ElementsAttr elements, bool &splat) {
  splat = false;
  Type element = elements.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(elements)) {
    splat = dense.isSplat();
    return dense.getRawData();
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(elements))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return std::nullopt;
}

bool mp::isInfinitySentinel(const APFloat &value) {
  return value.isFinite() && finiteAbsMax(value) >= 1e38;
}

APFloat mp::convertConstant(const APFloat &value, FloatType type, bool clampSentinels,
                            bool &overflowed, bool &clamped) {
  APFloat converted =
      convertFloat(value, type.getFloatSemantics(), RoundingMode::NearestEven, false);
  if (value.isFinite() && !converted.isFinite()) {
    if (clampSentinels && isInfinitySentinel(value)) {
      clamped = true;
      return APFloat::getLargest(type.getFloatSemantics(), value.isNegative());
    }
    overflowed = true;
  }
  return converted;
}

ElementsAttr mp::getConstantThroughReshapes(Value value) {
  while (isa_and_present<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(value.getDefiningOp()))
    value = value.getDefiningOp()->getOperand(0);
  ElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return nullptr;
  return attr;
}

ConstantBytes mp::countConstantBytes(Operation *root) {
  ConstantBytes bytes;
  llvm::DenseSet<Attribute> seen;
  root->walk([&](arith::ConstantOp op) {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !type.hasStaticShape() ||
        !(isa<FloatType>(type.getElementType()) ||
          (isa<IntegerType>(type.getElementType()) && type.getElementTypeBitWidth() <= 8)))
      return;
    if (!seen.insert(op.getValue()).second)
      return;
    // Packed: i4 weights take half a byte each.
    int64_t size = (type.getNumElements() * type.getElementTypeBitWidth() + 7) / 8;
    std::string name;
    llvm::raw_string_ostream os(name);
    type.getElementType().print(os);
    bytes.total += size;
    bytes.perType[name] += size;
    bool weight = llvm::any_of(op->getUsers(), [](Operation *user) {
      for (Operation *op = user; op; op = op->getParentOp())
        if (op->hasAttr(MPDialect::getDecisionAttrName()) ||
            op->hasAttr(MPDialect::getScalingAttrName()))
          return true;
      return false;
    });
    if (weight)
      bytes.readByDecidedOps += size;
  });
  return bytes;
}
