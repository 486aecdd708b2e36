//===- MPOps.cpp - mp op verifiers, folders and canonicalizations ---------===//

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Dialect/MP/Utils/FloatRounding.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cstring>
#include <vector>

using namespace mlir;
using namespace mp;

#define GET_OP_CLASSES
#include "mp/Dialect/MP/IR/MPOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

llvm::APFloat mp::convertFloat(const llvm::APFloat &value,
                               const llvm::fltSemantics &dst,
                               RoundingMode rounding, bool saturate,
                               bool *lostInfo) {
  llvm::APFloat result = value;
  bool lost = false;
  if (value.isNaN()) {
    result = llvm::APFloat::getNaN(dst, value.isNegative());
    if (lostInfo)
      *lostInfo = false;
    return result;
  }
  llvm::APFloat largest = llvm::APFloat::getLargest(dst, value.isNegative());
  if (value.isInfinity()) {
    if (saturate || !llvm::APFloatBase::semanticsHasInf(dst))
      result = saturate ? largest : llvm::APFloat::getNaN(dst);
    else
      result = llvm::APFloat::getInf(dst, value.isNegative());
    if (lostInfo)
      *lostInfo = saturate;
    return result;
  }
  llvm::RoundingMode mode = rounding == RoundingMode::TowardZero
                                ? llvm::RoundingMode::TowardZero
                                : llvm::RoundingMode::NearestTiesToEven;
  llvm::APFloat::opStatus status = result.convert(dst, mode, &lost);
  if ((status & llvm::APFloat::opOverflow) || result.isInfinity() ||
      result.isNaN()) {
    // A finite input that overflowed.
    if (saturate || rounding == RoundingMode::TowardZero)
      result = largest;
    else if (llvm::APFloatBase::semanticsHasInf(dst))
      result = llvm::APFloat::getInf(dst, value.isNegative());
    else
      result = llvm::APFloat::getNaN(dst, value.isNegative());
    lost = true;
  }
  if (lostInfo)
    *lostInfo = lost;
  return result;
}

LogicalResult mp::verifyScaleShape(function_ref<InFlightDiagnostic()> emitError,
                                   FormatAttr format, RankedTensorType dataType,
                                   RankedTensorType scaleType,
                                   RankedTensorType zeroPointType) {
  auto sameOrDynamic = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
  };
  ArrayRef<int64_t> data = dataType.getShape();
  ArrayRef<int64_t> scale = scaleType.getShape();
  int64_t axis = format.getAxis();
  switch (format.getScale()) {
  case ScaleKind::None:
    return emitError() << "format " << format
                       << " has no scale scheme; quantize and dequantize need "
                          "per_tensor, per_channel or per_group";
  case ScaleKind::PerTensor:
    if (!(scale.empty() || (scale.size() == 1 && sameOrDynamic(scale[0], 1))))
      return emitError() << "per_tensor scale must be a rank-0 (or 1-element) "
                            "tensor, got "
                         << scaleType;
    break;
  case ScaleKind::PerChannel:
    if (axis >= dataType.getRank())
      return emitError() << "scale axis " << axis << " is out of range for "
                         << dataType;
    if (scale.size() != 1 || !sameOrDynamic(scale[0], data[axis]))
      return emitError() << "per_channel(axis = " << axis
                         << ") scale must be tensor<" << data[axis]
                         << "x...> (the size of dimension " << axis << " of "
                         << dataType << "), got " << scaleType;
    break;
  case ScaleKind::PerGroup: {
    if (axis >= dataType.getRank())
      return emitError() << "scale axis " << axis << " is out of range for "
                         << dataType;
    int64_t groupSize = format.getGroupSize();
    if (!ShapedType::isDynamic(data[axis]) && data[axis] % groupSize != 0)
      return emitError() << "dimension " << axis << " of " << dataType
                         << " (size " << data[axis]
                         << ") is not a multiple of the group size " << groupSize;
    bool ok = scale.size() == data.size();
    for (int64_t d = 0; ok && d < (int64_t)data.size(); ++d) {
      int64_t expected = d == axis && !ShapedType::isDynamic(data[d])
                             ? data[d] / groupSize
                             : data[d];
      ok = sameOrDynamic(scale[d], expected);
    }
    if (!ok)
      return emitError() << "per_group(axis = " << axis << ", size = "
                         << groupSize << ") scale for " << dataType
                         << " must have its shape with dimension " << axis
                         << " divided by " << groupSize << ", got " << scaleType;
    break;
  }
  }
  if (zeroPointType) {
    if (!format.isInteger())
      return emitError() << "zero points are only allowed for integer formats";
    if (zeroPointType.getShape() != scaleType.getShape())
      return emitError() << "zero point shape " << zeroPointType
                         << " must match the scale shape " << scaleType;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

bool CastOp::isExact() {
  return isExactlyRepresentable(getElementTypeOrSelf(getInput().getType()),
                                getElementTypeOrSelf(getResult().getType()));
}

LogicalResult CastOp::verify() {
  // Shapes (and tensor-vs-scalar) are checked by SameOperandsAndResultShape.
  Type inType = getInput().getType(), outType = getResult().getType();
  for (Type t : {getElementTypeOrSelf(inType), getElementTypeOrSelf(outType)})
    if (t.isTF32())
      return emitOpError("tf32 is a compute-only format (stored as f32) and "
                         "cannot be a cast operand or result");
  return success();
}

std::optional<uint16_t> mp::roundF32BitsToHalf(uint32_t bits, bool bf16) {
  uint32_t magnitude = bits & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u)
    return std::nullopt; // NaN
  uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
  uint16_t infinity = bf16 ? 0x7F80 : 0x7C00;
  if (magnitude == 0x7F800000u)
    return uint16_t(sign | infinity);
  if (bf16) // nearest even on the 16 bits dropped; a carry reaches the exponent
    return uint16_t(sign | (((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16) & 0x7FFF));
  if (magnitude >= 0x477FF000u)
    return uint16_t(sign | infinity); // 65520 and above round to infinity
  if (magnitude <= 0x33000000u)
    return sign; // at most 2^-25: nearest even is zero
  uint32_t exponent = magnitude >> 23;
  uint32_t kept, rest, half;
  if (exponent < 113) {
    // Subnormal in f16: units of 2^-24.
    uint32_t mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
    uint32_t shift = 126 - exponent;
    kept = mantissa >> shift;
    rest = mantissa & ((1u << shift) - 1);
    half = 1u << (shift - 1);
  } else {
    kept = ((exponent - 112) << 10) | ((magnitude & 0x7FFFFFu) >> 13);
    rest = magnitude & 0x1FFFu;
    half = 0x1000u;
  }
  if (rest > half || (rest == half && (kept & 1u)))
    ++kept; // a carry into the exponent is the right result
  return uint16_t(sign | kept);
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  // Identity cast.
  if (getInput().getType() == getResult().getType())
    return getInput();
  // Exact round trip: A -> B -> A where B holds every value of A.
  if (auto producer = getInput().getDefiningOp<CastOp>())
    if (producer.getInput().getType() == getType() && producer.isExact())
      return producer.getInput();
  // Constants: convert with the op's own rounding and saturation.
  auto dense = dyn_cast_if_present<DenseFPElementsAttr>(adaptor.getInput());
  auto resultType = dyn_cast<RankedTensorType>(getType());
  if (!dense || !resultType)
    return {};
  auto dstType = cast<FloatType>(resultType.getElementType());
  RoundingMode rounding = getRounding();
  bool saturate = getSaturate();
  // f32 weights to bf16/f16 with nearest even: on the raw bits.
  if (dense.getElementType().isF32() && (dstType.isBF16() || dstType.isF16()) &&
      rounding == RoundingMode::NearestEven && !saturate && !dense.isSplat()) {
    ArrayRef<char> raw = dense.getRawData();
    std::vector<uint16_t> converted(raw.size() / 4);
    for (size_t i = 0; i < converted.size(); ++i) {
      uint32_t bits;
      memcpy(&bits, raw.data() + 4 * i, 4);
      if (std::optional<uint16_t> half = roundF32BitsToHalf(bits, dstType.isBF16())) {
        converted[i] = *half;
        continue;
      }
      float f;
      memcpy(&f, &bits, 4);
      converted[i] = uint16_t(
          convertFloat(APFloat(f), dstType.getFloatSemantics(), rounding, saturate)
              .bitcastToAPInt()
              .getZExtValue());
    }
    return DenseElementsAttr::getFromRawBuffer(
        resultType, ArrayRef<char>(reinterpret_cast<const char *>(converted.data()),
                                   converted.size() * sizeof(uint16_t)));
  }
  return dense.mapValues(dstType, [&](const APFloat &value) {
    return convertFloat(value, dstType.getFloatSemantics(), rounding, saturate)
        .bitcastToAPInt();
  });
}

namespace {
/// cast(cast(x : A -> B) : B -> C) with A exactly representable in B equals
/// cast(x : A -> C): the first cast changes no value.
struct MergeExactCastChain : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op,
                                PatternRewriter &rewriter) const override {
    auto producer = op.getInput().getDefiningOp<CastOp>();
    if (!producer || !producer.isExact())
      return failure();
    rewriter.modifyOpInPlace(
        op, [&] { op.getInputMutable().assign(producer.getInput()); });
    return success();
  }
};
} // namespace

void CastOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<MergeExactCastChain>(context);
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

static RankedTensorType optionalTensorType(Value value) {
  return value ? cast<RankedTensorType>(value.getType()) : RankedTensorType();
}

LogicalResult QuantizeOp::verify() {
  FormatAttr format = getFormat();
  auto inType = getInput().getType();
  auto outType = getResult().getType();
  if (inType.getShape() != outType.getShape())
    return emitOpError("result shape must match the input shape, got ")
           << inType << " and " << outType;
  if (outType.getElementType() != format.getStorageType())
    return emitOpError("result element type ")
           << outType.getElementType() << " does not match the format "
           << format;
  if (format.getElementType().isF32() || format.getElementType().isTF32())
    return emitOpError("quantizing to ") << format.getElementType()
                                         << " is not a narrowing; use an f16, "
                                            "bf16, fp8 or integer format";
  return verifyScaleShape([&] { return emitOpError(); }, format, inType,
                          getScale().getType(),
                          optionalTensorType(getZeroPoint()));
}

LogicalResult DequantizeOp::verify() {
  FormatAttr format = getFormat();
  auto inType = getInput().getType();
  auto outType = getResult().getType();
  if (inType.getShape() != outType.getShape())
    return emitOpError("result shape must match the input shape, got ")
           << inType << " and " << outType;
  if (inType.getElementType() != format.getStorageType())
    return emitOpError("input element type ")
           << inType.getElementType() << " does not match the format " << format;
  return verifyScaleShape([&] { return emitOpError(); }, format, inType,
                          getScale().getType(),
                          optionalTensorType(getZeroPoint()));
}

//===----------------------------------------------------------------------===//
// PinOp
//===----------------------------------------------------------------------===//

LogicalResult PinOp::verify() {
  if (!isa<FloatType>(getElementTypeOrSelf(getInput().getType())))
    return emitOpError("can only pin float values or tensors, got ")
           << getInput().getType();
  return success();
}
