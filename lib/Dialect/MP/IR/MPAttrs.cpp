//===- MPAttrs.cpp - mp attributes: format and policy ---------------------===//

#include <cmath>
#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mp;

#include "mp/Dialect/MP/IR/MPEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "mp/Dialect/MP/IR/MPAttrs.cpp.inc"

void MPDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "mp/Dialect/MP/IR/MPAttrs.cpp.inc"
      >();
}

bool mp::isSupportedFormatElementType(Type type) {
  if (type.isF64() || type.isF32() || type.isTF32() || type.isF16() || type.isBF16())
    return true;
  if (isa<Float8E4M3FNType, Float8E5M2Type>(type))
    return true;
  return type.isSignlessInteger(8) || type.isSignlessInteger(4);
}

bool mp::isExactlyRepresentable(Type from, Type to) {
  if (from == to)
    return true;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (!fromFloat || !toFloat)
    return false;
  const llvm::fltSemantics &src = fromFloat.getFloatSemantics();
  const llvm::fltSemantics &dst = toFloat.getFloatSemantics();
  if (!llvm::APFloatBase::isRepresentableBy(src, dst))
    return false;
  // isRepresentableBy ignores non-finite behaviour: infinities of the source
  // need infinities in the destination.
  bool srcHasInf = llvm::APFloatBase::semanticsHasInf(src);
  return !srcHasInf || llvm::APFloatBase::semanticsHasInf(dst);
}

//===----------------------------------------------------------------------===//
// FormatAttr
//===----------------------------------------------------------------------===//

Type FormatAttr::getStorageType() const {
  Type elementType = getElementType();
  if (elementType.isTF32())
    return Float32Type::get(elementType.getContext());
  return elementType;
}

/// #mp.format<TYPE [, per_tensor | per_channel(axis = A) |
///                    per_group(axis = A, size = G)] [, static | dynamic]
///                  [, acc = TYPE]>
Attribute FormatAttr::parse(AsmParser &parser, Type) {
  Type elementType, accumulator;
  ScaleKind scale = ScaleKind::None;
  int64_t axis = -1, groupSize = 0;
  bool dynamic = false;
  if (parser.parseLess() || parser.parseType(elementType))
    return {};
  while (succeeded(parser.parseOptionalComma())) {
    StringRef keyword;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseKeyword(&keyword))
      return {};
    if (keyword == "per_tensor") {
      scale = ScaleKind::PerTensor;
    } else if (keyword == "per_channel") {
      scale = ScaleKind::PerChannel;
      if (parser.parseLParen() || parser.parseKeyword("axis") ||
          parser.parseEqual() || parser.parseInteger(axis) ||
          parser.parseRParen())
        return {};
    } else if (keyword == "per_group") {
      scale = ScaleKind::PerGroup;
      if (parser.parseLParen() || parser.parseKeyword("axis") ||
          parser.parseEqual() || parser.parseInteger(axis) ||
          parser.parseComma() || parser.parseKeyword("size") ||
          parser.parseEqual() || parser.parseInteger(groupSize) ||
          parser.parseRParen())
        return {};
    } else if (keyword == "dynamic") {
      dynamic = true;
    } else if (keyword == "static") {
      dynamic = false;
    } else if (keyword == "acc") {
      if (parser.parseEqual() || parser.parseType(accumulator))
        return {};
    } else {
      parser.emitError(loc) << "unknown format field '" << keyword
                            << "'; expected per_tensor, per_channel, "
                               "per_group, static, dynamic or acc";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<FormatAttr>(parser.getContext(), elementType, scale,
                                       axis, groupSize, dynamic, accumulator);
}

void FormatAttr::print(AsmPrinter &printer) const {
  printer << '<' << getElementType();
  switch (getScale()) {
  case ScaleKind::None:
    break;
  case ScaleKind::PerTensor:
    printer << ", per_tensor";
    break;
  case ScaleKind::PerChannel:
    printer << ", per_channel(axis = " << getAxis() << ')';
    break;
  case ScaleKind::PerGroup:
    printer << ", per_group(axis = " << getAxis() << ", size = " << getGroupSize()
            << ')';
    break;
  }
  if (getDynamic())
    printer << ", dynamic";
  if (getAccumulator())
    printer << ", acc = " << getAccumulator();
  printer << '>';
}

LogicalResult
FormatAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                   Type elementType, ScaleKind scale, int64_t axis,
                   int64_t groupSize, bool dynamic, Type accumulator) {
  if (!isSupportedFormatElementType(elementType))
    return emitError() << "unsupported format element type " << elementType
                       << "; expected f64, f32, tf32, f16, bf16, f8E4M3FN, "
                          "f8E5M2, i8 or i4";
  bool isInt = isa<IntegerType>(elementType);
  if (isInt && scale == ScaleKind::None)
    return emitError() << "integer format " << elementType
                       << " needs a scale scheme (per_tensor, per_channel or "
                          "per_group)";
  if (scale == ScaleKind::None && dynamic)
    return emitError() << "'dynamic' needs a scale scheme";
  bool hasAxis = scale == ScaleKind::PerChannel || scale == ScaleKind::PerGroup;
  if (hasAxis && axis < 0)
    return emitError() << "scale axis must be non-negative, got " << axis;
  if (!hasAxis && axis != -1)
    return emitError() << "only per_channel and per_group scales take an axis";
  if (scale == ScaleKind::PerGroup && groupSize <= 0)
    return emitError() << "group size must be positive, got " << groupSize;
  if (scale != ScaleKind::PerGroup && groupSize != 0)
    return emitError() << "only per_group scales take a group size";
  if (accumulator) {
    unsigned elementWidth = elementType.isTF32() ? 32 : elementType.getIntOrFloatBitWidth();
    if (!accumulator.isIntOrFloat() || accumulator.isTF32())
      return emitError() << "accumulator must be an integer or IEEE float type, got "
                         << accumulator;
    if (accumulator.getIntOrFloatBitWidth() < elementWidth)
      return emitError() << "accumulator type " << accumulator
                         << " is narrower than the element type " << elementType;
    if (!isInt && isa<IntegerType>(accumulator))
      return emitError() << "float format " << elementType
                         << " cannot accumulate in integer type " << accumulator;
    if (isa<FloatType>(accumulator) &&
        !isExactlyRepresentable(elementType.isTF32()
                                    ? Float32Type::get(elementType.getContext())
                                    : elementType,
                                accumulator) &&
        !isInt)
      return emitError() << "accumulator type " << accumulator
                         << " cannot hold every value of " << elementType;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// PolicyAttr
//===----------------------------------------------------------------------===//

LogicalResult
PolicyAttr::verify(function_ref<InFlightDiagnostic()> emitError, StringRef name,
                   FormatAttr contraction, FormatAttr elementwise,
                   FormatAttr sensitive, DictionaryAttr overrides) {
  if (name.empty())
    return emitError() << "policy name must not be empty";
  if (!contraction || !elementwise || !sensitive)
    return emitError() << "policy needs contraction, elementwise and sensitive formats";
  if (overrides) {
    for (NamedAttribute entry : overrides) {
      if (!isa<FormatAttr>(entry.getValue()))
        return emitError() << "policy override '" << entry.getName().getValue()
                           << "' must map to a #mp.format, got "
                           << entry.getValue();
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// DecisionAttr
//===----------------------------------------------------------------------===//

LogicalResult
DecisionAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     OpClass opClass, FormatAttr format, Type compute,
                     StringRef rule, bool forced) {
  if (!format)
    return emitError() << "decision needs a #mp.format";
  if (rule.empty())
    return emitError() << "decision needs the rule that made it";
  if (!compute || !compute.isIntOrFloat() || compute.isTF32())
    return emitError() << "compute type must be an integer or IEEE float type, got "
                       << compute;
  Type storage = format.getStorageType();
  if (isa<FloatType>(storage) && !isExactlyRepresentable(storage, compute))
    return emitError() << "compute type " << compute
                       << " cannot hold every value of the storage type " << storage;
  if (format.isInteger() && !compute.isSignlessInteger(32) && !isa<FloatType>(compute))
    return emitError() << "integer format " << format.getElementType()
                       << " computes in i32 or a float type, got " << compute;
  if (Type acc = format.getAccumulator(); acc && acc != compute)
    return emitError() << "compute type " << compute
                       << " differs from the format's accumulator " << acc;
  return success();
}

//===----------------------------------------------------------------------===//
// Discardable attributes of the mp namespace
//===----------------------------------------------------------------------===//

/// `mp.range = [lo, hi]`: two float attributes, lo <= hi, neither NaN.
static LogicalResult
verifyRangeAnnotation(Attribute value,
                      llvm::function_ref<InFlightDiagnostic()> emitError) {
  auto array = dyn_cast<ArrayAttr>(value);
  if (!array || array.size() != 2 || !isa<FloatAttr>(array[0]) ||
      !isa<FloatAttr>(array[1]))
    return emitError() << "'mp.range' must be [lo, hi] with two float values, got "
                       << value;
  double lo = cast<FloatAttr>(array[0]).getValueAsDouble();
  double hi = cast<FloatAttr>(array[1]).getValueAsDouble();
  if (std::isnan(lo) || std::isnan(hi) || lo > hi)
    return emitError() << "'mp.range' needs lo <= hi (and no NaN), got " << value;
  return success();
}

LogicalResult MPDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                  unsigned argIndex,
                                                  NamedAttribute attribute) {
  StringRef name = attribute.getName().getValue();
  if (name == getRangeAttrName())
    return verifyRangeAnnotation(attribute.getValue(), [&] {
      return op->emitError() << "argument " << argIndex << ": ";
    });
  if (name == getNameAttrName() && isa<StringAttr>(attribute.getValue()))
    return success();
  return op->emitError() << "unknown argument attribute '" << name
                         << "' in the mp namespace (known: " << getRangeAttrName()
                         << ", " << getNameAttrName() << ")";
}

LogicalResult MPDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attribute) {
  StringRef name = attribute.getName().getValue();
  Attribute value = attribute.getValue();
  if (name == getDecisionAttrName()) {
    if (!isa<DecisionAttr>(value))
      return op->emitError() << "'" << name << "' must be a #mp.decision, got " << value;
    return success();
  }
  if (name == getFormatAttrName()) {
    if (!isa<FormatAttr>(value))
      return op->emitError() << "'" << name
                             << "' (a requested format) must be a #mp.format, got "
                             << value;
    return success();
  }
  if (name == getPolicyAttrName()) {
    if (!isa<PolicyAttr>(value))
      return op->emitError() << "'" << name << "' must be a #mp.policy, got " << value;
    if (!isa<ModuleOp, FunctionOpInterface>(op))
      return op->emitError() << "'" << name
                             << "' applies to a module or a function only";
    return success();
  }
  if (name == getNameAttrName()) {
    if (!isa<StringAttr>(value))
      return op->emitError() << "'" << name << "' must be a string, got " << value;
    return success();
  }
  if (name == getExposedValuesAttrName()) {
    auto names = dyn_cast<ArrayAttr>(value);
    if (!names || !llvm::all_of(names, [](Attribute a) { return isa<StringAttr>(a); }))
      return op->emitError() << "'" << name << "' must be an array of strings, got " << value;
    return success();
  }
  if (name == getWarpSynchronousAttrName()) {
    if (!isa<UnitAttr>(value) || op->getName().getStringRef() != "gpu.launch")
      return op->emitError() << "'" << name << "' is a unit attribute of gpu.launch";
    return success();
  }
  if (name == getCompensationAttrName()) {
    auto method = dyn_cast<StringAttr>(value);
    if (!method || (method.getValue() != "kahan" && method.getValue() != "neumaier" &&
                    method.getValue() != "pairwise"))
      return op->emitError() << "'" << name
                             << "' must be \"kahan\", \"neumaier\" or \"pairwise\", got "
                             << value;
    return success();
  }
  if (name == getRangeAttrName())
    return verifyRangeAnnotation(value, [&] { return op->emitError(); });
  if (name == getScalingAttrName()) {
    if (!isa<StringAttr>(value))
      return op->emitError() << "'" << name << "' must be a string, got " << value;
    return success();
  }
  if (name == getOutlinedAttrName() || name == getParallelBodyAttrName()) {
    if (!isa<UnitAttr>(value) || !isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << name << "' is a unit attribute of functions";
    return success();
  }
  if (name == getKernelCostsAttrName()) {
    auto dict = dyn_cast<DictionaryAttr>(value);
    if (!dict || !isa_and_nonnull<ArrayAttr>(dict.get("launches")) ||
        !isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << name
                             << "' is a dictionary with a 'launches' array, on functions";
    return success();
  }
  InFlightDiagnostic diag = op->emitError() << "unknown attribute '" << name
                                            << "' in the mp namespace";
  if (name == "mp.class" || name == "mp.rule")
    diag.attachNote() << "decisions are recorded as '" << getDecisionAttrName()
                      << "' = #mp.decision<...>";
  else
    diag.attachNote() << "known: " << getDecisionAttrName() << ", "
                      << getFormatAttrName() << ", " << getPolicyAttrName() << ", "
                      << getNameAttrName() << ", " << getExposedValuesAttrName()
                      << ", " << getWarpSynchronousAttrName() << ", "
                      << getCompensationAttrName() << ", " << getRangeAttrName()
                      << ", " << getScalingAttrName() << ", " << getOutlinedAttrName()
                      << ", " << getParallelBodyAttrName() << ", "
                      << getKernelCostsAttrName();
  return diag;
}
