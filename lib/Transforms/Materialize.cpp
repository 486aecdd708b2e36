//===- Materialize.cpp - retype decided ops (a dialect conversion) --------===//
//
// mp-materialize is a partial dialect conversion. Its legality is the decision
// contract (mp::checkDecision), its type converter knows the decided type of
// every value (context-aware), and its patterns rebuild the ops that do not
// hold their decision yet. Later passes (scaling, compensation) add patterns
// to populateMaterializePatterns rather than edit an engine.
//
//===----------------------------------------------------------------------===//

#include "mp/Transforms/Materialize.h"

#include "mp/Analysis/ConstantData.h"
#include "mp/Analysis/DecisionCheck.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mp {
#define GEN_PASS_DEF_MPMATERIALIZE
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

static RankedTensorType floatTensorType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType()) ? tensor : RankedTensorType();
}

/// A float conversion rounding to nearest even (exact when widening).
static Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return CastOp::create(b, loc, type, value, RoundingMode::NearestEven,
                        /*saturate=*/false);
}

//===----------------------------------------------------------------------===//
// Decided types
//===----------------------------------------------------------------------===//

Type mp::getDecidedResultType(OpResult result) {
  Operation *owner = result.getOwner();
  if (auto pin = dyn_cast<PinOp>(owner)) {
    if (auto producer = dyn_cast<OpResult>(pin.getInput()))
      if (Type type = getDecidedResultType(producer))
        return type;
    return {};
  }
  DecisionAttr decision = getDecision(owner);
  RankedTensorType type = floatTensorType(result.getType());
  if (!decision || !type)
    return {};
  bool accumulates = decision.isContraction() && isa<linalg::LinalgOp>(owner);
  return type.clone(accumulates ? decision.getCompute() : decision.getStorageType());
}

MaterializeTypeConverter::MaterializeTypeConverter() {
  addConversion([](Type type) { return type; });
  // Context-aware: a value takes the type its producer's decision gives it,
  // an entry argument the type chosen for the signature.
  addConversion([this](Value value) -> std::optional<Type> {
    if (auto result = dyn_cast<OpResult>(value))
      if (Type type = getDecidedResultType(result))
        return type;
    if (auto it = argumentTypes.find(value); it != argumentTypes.end())
      return it->second;
    return std::nullopt;
  });
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs,
                        Location loc) -> Value {
    if (inputs.size() != 1)
      return {};
    auto from = floatTensorType(inputs.front().getType());
    auto to = floatTensorType(type);
    if (!from || !to || from.getShape() != to.getShape())
      return {};
    return castTo(b, loc, inputs.front(), type);
  };
  addSourceMaterialization(materialize);
  addTargetMaterialization(materialize);
}

//===----------------------------------------------------------------------===//
// Shared state: converted constants, counters
//===----------------------------------------------------------------------===//

namespace {

/// Converts float tensors for decided ops: constants at compile time (one copy
/// per constant and type), other values with an mp.cast.
class TensorConverter {
public:
  explicit TensorConverter(MaterializeCounters &counters) : counters(counters) {}

  /// f32 weights (dense or dense_resource, not splat) to bf16 or f16 on
  /// their bits (convertF32BitsToHalf, the same results as convertConstant):
  /// nothing when there is no such fast path, a null value after an error.
  std::optional<Value> convertF32Weights(ConversionPatternRewriter &rewriter,
                                         Operation *user, arith::ConstantOp constant,
                                         ElementsAttr elements, RankedTensorType type,
                                         Type element) {
    auto dst = dyn_cast<FloatType>(element);
    bool splat = false;
    std::optional<ArrayRef<char>> raw = rawConstantBytes(elements, splat);
    if (!dst || !(dst.isBF16() || dst.isF16()) || !elements.getElementType().isF32() ||
        !raw || splat || raw->size() != size_t(type.getNumElements()) * 4)
      return std::nullopt;
    std::vector<uint16_t> converted(type.getNumElements());
    bool overflowed = false, clamped = false;
    double maxAbs = 0;
    for (size_t i = 0; i < converted.size(); ++i) {
      uint32_t bits;
      memcpy(&bits, raw->data() + 4 * i, 4);
      if (std::optional<uint16_t> half =
              convertF32BitsToHalf(bits, dst, /*clampSentinels=*/true, overflowed, clamped)) {
        converted[i] = *half;
      } else {
        float f;
        memcpy(&f, &bits, 4);
        APFloat v = convertConstant(APFloat(f), dst, /*clampSentinels=*/true, overflowed,
                                    clamped);
        converted[i] = uint16_t(v.bitcastToAPInt().getZExtValue());
      }
      float f;
      memcpy(&f, &bits, 4);
      if (std::isfinite(f))
        maxAbs = std::max(maxAbs, double(std::fabs(f)));
    }
    if (overflowed) {
      user->emitError() << "a constant operand does not fit " << element << " (max |x| = "
                        << maxAbs
                        << "); its decision should have kept it wider (run mp-assign-precision)";
      return Value();
    }
    auto attr = DenseElementsAttr::getFromRawBuffer(
        type.clone(element),
        ArrayRef<char>(reinterpret_cast<const char *>(converted.data()),
                       converted.size() * sizeof(uint16_t)));
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(constant);
    return arith::ConstantOp::create(rewriter, constant.getLoc(), attr).getResult();
  }

  FailureOr<Value> convert(ConversionPatternRewriter &rewriter, Operation *user,
                           Value value, Type element) {
    RankedTensorType type = floatTensorType(value.getType());
    if (!type || type.getElementType() == element)
      return value;
    auto constant = value.getDefiningOp<arith::ConstantOp>();
    auto elements = constant ? dyn_cast<ElementsAttr>(constant.getValue()) : ElementsAttr();
    if (elements && type.hasStaticShape()) {
      if (auto it = constants.find({value, element}); it != constants.end())
        return it->second;
      if (std::optional<Value> fast = convertF32Weights(rewriter, user, constant, elements,
                                                       type, element)) {
        if (!*fast)
          return failure();
        ++counters.constantsConverted;
        constants[{value, element}] = *fast;
        return *fast;
      }
      if (auto values = readFloatConstant(elements)) {
        auto dst = cast<FloatType>(element);
        bool overflowed = false, clamped = false;
        SmallVector<APFloat> converted;
        converted.reserve(values->size());
        for (const APFloat &v : *values)
          converted.push_back(convertConstant(v, dst, /*clampSentinels=*/true,
                                              overflowed, clamped));
        if (overflowed)
          return user->emitError()
                 << "a constant operand does not fit " << element << " (max |x| = "
                 << finiteAbsMax(*values)
                 << "); its decision should have kept it wider (run mp-assign-precision)";
        auto newType = type.clone(element);
        DenseElementsAttr attr =
            converted.size() == 1 && type.getNumElements() != 1
                ? DenseElementsAttr::get(newType, converted.front())
                : DenseElementsAttr::get(newType, converted);
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointAfter(constant);
        Value result = arith::ConstantOp::create(rewriter, constant.getLoc(), attr);
        ++counters.constantsConverted;
        constants[{value, element}] = result;
        return result;
      }
    }
    ++counters.castsInserted;
    return castTo(rewriter, value.getLoc(), value, type.clone(element));
  }

private:
  MaterializeCounters &counters;
  DenseMap<std::pair<Value, Type>, Value> constants;
};

//===----------------------------------------------------------------------===//
// Payload retyping
//===----------------------------------------------------------------------===//

/// Rebuilds a linalg payload so that its float arithmetic runs in `compute`.
class PayloadRetyper {
public:
  PayloadRetyper(ConversionPatternRewriter &rewriter, TensorConverter &tensors,
                 Operation *op, FloatType storage, Type compute)
      : rewriter(rewriter), tensors(tensors), op(op), storage(storage),
        compute(compute) {}

  /// Fills `newBlock` (whose arguments match the new operands) from `oldBlock`.
  LogicalResult run(Block *oldBlock, Block *newBlock, TypeRange resultElements) {
    for (auto [oldArg, newArg] :
         llvm::zip(oldBlock->getArguments(), newBlock->getArguments()))
      mapping.map(oldArg, newArg);
    rewriter.setInsertionPointToStart(newBlock);
    for (Operation &old : oldBlock->without_terminator())
      if (failed(retype(&old, resultElements)))
        return failure();
    Operation *yield = oldBlock->getTerminator();
    SmallVector<Value> yielded;
    for (auto [value, element] : llvm::zip(yield->getOperands(), resultElements))
      yielded.push_back(as(lookup(value), element, yield->getLoc()));
    linalg::YieldOp::create(rewriter, yield->getLoc(), yielded);
    return success();
  }

private:
  ConversionPatternRewriter &rewriter;
  TensorConverter &tensors;
  Operation *op;
  FloatType storage;
  Type compute;
  IRMapping mapping;
  DenseMap<std::pair<Value, Type>, Value> converted;

  Value lookup(Value old) { return mapping.lookupOrDefault(old); }

  /// `value` as `type`: float values are cast (one cast per value and type).
  Value as(Value value, Type type, Location loc) {
    if (value.getType() == type || !isa<FloatType>(value.getType()) ||
        !isa<FloatType>(type))
      return value;
    auto [it, inserted] = converted.try_emplace({value, type}, Value());
    if (inserted)
      it->second = castTo(rewriter, loc, value, type);
    return it->second;
  }

  bool isNarrowerThanCompute(Type type) {
    return type != compute && isExactlyRepresentable(type, compute);
  }

  LogicalResult retype(Operation *old, TypeRange resultElements) {
    Location loc = old->getLoc();
    // Scalar float constants move to the compute type; infinity sentinels
    // beyond a narrower storage are clamped to its finite extreme.
    if (auto constant = dyn_cast<arith::ConstantOp>(old)) {
      auto value = dyn_cast<FloatAttr>(constant.getValue());
      if (!value) {
        rewriter.clone(*old, mapping);
        return success();
      }
      mapping.map(old->getResult(0), constantFor(value.getValue(), loc));
      return success();
    }
    // Conversions: keep the roundings the model wrote, drop widenings (the
    // value is already held at least as wide).
    if (isa<arith::ExtFOp, arith::TruncFOp, CastOp>(old) &&
        isa<FloatType>(old->getOperand(0).getType())) {
      Value input = captured(old->getOperand(0), loc);
      Type resultType = old->getResult(0).getType();
      bool narrowing = !isExactlyRepresentable(old->getOperand(0).getType(), resultType);
      Value result = input;
      if (narrowing && isNarrowerThanCompute(resultType)) {
        auto cast = dyn_cast<CastOp>(old);
        result = CastOp::create(rewriter, loc, resultType, as(input, compute, loc),
                                cast ? cast.getRounding() : RoundingMode::NearestEven,
                                cast ? cast.getSaturate() : false);
      }
      mapping.map(old->getResult(0), result);
      return success();
    }
    // Float arithmetic runs in the compute type.
    if (isFloatArithmetic(old) || isa<arith::SIToFPOp, arith::UIToFPOp>(old)) {
      if (old->getNumRegions())
        return op->emitError("cannot retype payload op with regions: ") << old->getName();
      SmallVector<Value> operands;
      for (Value operand : old->getOperands())
        operands.push_back(as(captured(operand, loc), compute, loc));
      SmallVector<Type> types;
      for (Type type : old->getResultTypes())
        types.push_back(isa<FloatType>(type) ? compute : type);
      OperationState state(loc, old->getName(), operands, types, old->getAttrs());
      Operation *created = rewriter.create(state);
      mapping.map(old->getResults(), created->getResults());
      return success();
    }
    // Gathers from a constant table whose values are only stored: the table
    // itself is converted (each gathered value is rounded once either way).
    if (auto extract = dyn_cast<tensor::ExtractOp>(old)) {
      if (Value table = narrowedTable(extract, resultElements)) {
        SmallVector<Value> indices;
        for (Value index : extract.getIndices())
          indices.push_back(lookup(index));
        Value gathered = tensor::ExtractOp::create(rewriter, loc, table, indices);
        mapping.map(extract.getResult(), gathered);
        return success();
      }
    }
    // Anything else keeps its types: its float operands are given back in
    // the types it was written for.
    if (old->getNumRegions())
      return op->emitError("cannot retype payload op with regions: ") << old->getName();
    IRMapping operands;
    for (Value operand : old->getOperands())
      operands.map(operand, as(captured(operand, loc), operand.getType(), loc));
    Operation *created = rewriter.clone(*old, operands);
    mapping.map(old->getResults(), created->getResults());
    return success();
  }

  /// The mapped value of `old`; a scalar float constant captured from above
  /// gets the same treatment as one in the payload.
  Value captured(Value old, Location loc) {
    if (mapping.contains(old))
      return mapping.lookup(old);
    if (auto constant = old.getDefiningOp<arith::ConstantOp>())
      if (auto value = dyn_cast<FloatAttr>(constant.getValue())) {
        Value result = constantFor(value.getValue(), loc);
        mapping.map(old, result);
        return result;
      }
    return old;
  }

  Value constantFor(const APFloat &value, Location loc) {
    APFloat v = value;
    if (storage.getWidth() < 32 && isInfinitySentinel(v) &&
        finiteAbsMax(v) > largestFinite(storage))
      v = APFloat::getLargest(storage.getFloatSemantics(), v.isNegative());
    auto type = cast<FloatType>(compute);
    bool lost;
    v.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return arith::ConstantOp::create(rewriter, loc, type, rewriter.getFloatAttr(type, v));
  }

  Value narrowedTable(tensor::ExtractOp extract, TypeRange resultElements) {
    Value table = extract.getTensor();
    auto tableType = floatTensorType(table.getType());
    if (!tableType || !table.getDefiningOp<arith::ConstantOp>())
      return {};
    Type element;
    for (OpOperand &use : extract.getResult().getUses()) {
      if (!isa<linalg::YieldOp>(use.getOwner()))
        return {};
      Type want = resultElements[use.getOperandNumber()];
      if (element && element != want)
        return {};
      element = want;
    }
    if (!element || element == tableType.getElementType() ||
        isExactlyRepresentable(tableType.getElementType(), element))
      return {};
    // A table with values the storage cannot hold stays as it is (each
    // gathered value is then rounded at the yield, as the decision says).
    auto constant = table.getDefiningOp<arith::ConstantOp>();
    auto elements = dyn_cast<ElementsAttr>(constant.getValue());
    auto values = elements ? readFloatConstantAsDoubles(elements) : std::nullopt;
    if (!values)
      return {};
    // Every value fits when the largest finite one does (sentinels clamp).
    double largest = largestFinite(cast<FloatType>(element));
    for (double v : *values) {
      if (!std::isfinite(v) || std::fabs(v) <= largest || isInfinitySentinel(v))
        continue;
      bool overflowed = false, clamped = false;
      convertConstant(APFloat(v), cast<FloatType>(element), /*clampSentinels=*/true,
                      overflowed, clamped);
      if (overflowed)
        return {};
    }
    FailureOr<Value> narrowed = tensors.convert(rewriter, op, table, element);
    if (failed(narrowed))
      return {};
    return *narrowed;
  }
};

/// Rebuilds a decided op that does not hold its decision.
struct MaterializeDecidedOp : ConversionPattern {
  MaterializeDecidedOp(const TypeConverter &converter, MLIRContext *ctx,
                       TensorConverter &tensors, MaterializeCounters &counters)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        tensors(tensors), counters(counters) {}

  LogicalResult matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                                ConversionPatternRewriter &rewriter) const override {
    DecisionAttr decision = getDecision(op);
    if (!decision)
      return failure();
    ++counters.opsRetyped;
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      return rewriteLinalg(linalgOp, decision, operands, rewriter);
    return rewriteOther(op, decision, operands, rewriter);
  }

private:
  TensorConverter &tensors;
  MaterializeCounters &counters;

  /// The init for a result of element type `element`: a fresh tensor.empty
  /// when it was empty, else the converted value.
  FailureOr<Value> convertInit(ConversionPatternRewriter &rewriter, Operation *op,
                               Value original, Value value, Type element) const {
    RankedTensorType type = floatTensorType(value.getType());
    if (!type || type.getElementType() == element)
      return value;
    if (auto empty = original.getDefiningOp<tensor::EmptyOp>())
      return Value(tensor::EmptyOp::create(rewriter, empty.getLoc(), type.getShape(),
                                           element, empty.getDynamicSizes()));
    return tensors.convert(rewriter, op, value, element);
  }

  LogicalResult rewriteLinalg(linalg::LinalgOp op, DecisionAttr decision,
                              ArrayRef<Value> operands,
                              ConversionPatternRewriter &rewriter) const {
    auto storage = dyn_cast<FloatType>(decision.getStorageType());
    Type compute = decision.getCompute();
    if (!storage)
      return op->emitError() << "cannot materialize " << decision;
    Type resultElement = decision.isContraction() ? compute : Type(storage);
    SmallVector<Value> ins, outs;
    for (OpOperand *input : op.getDpsInputOperands()) {
      Value operand = operands[input->getOperandNumber()];
      // An epilogue reads its contraction's accumulator as it is (the
      // payload computes in that type): one rounding, at the epilogue's yield.
      if (auto type = dyn_cast<ShapedType>(operand.getType());
          type && type.getElementType() == compute &&
          isEpilogueAccumulatorInput(input->get(), decision, /*checkType=*/false) &&
          getDecidedResultType(cast<OpResult>(input->get())) == operand.getType()) {
        ins.push_back(operand);
        continue;
      }
      FailureOr<Value> value = tensors.convert(rewriter, op, operand, storage);
      if (failed(value))
        return failure();
      ins.push_back(*value);
    }
    for (OpOperand &init : op.getDpsInitsMutable()) {
      FailureOr<Value> value = convertInit(rewriter, op, init.get(),
                                           operands[init.getOperandNumber()], resultElement);
      if (failed(value))
        return failure();
      outs.push_back(*value);
    }
    SmallVector<Type> resultTypes;
    for (Value out : outs)
      if (isa<RankedTensorType>(out.getType()))
        resultTypes.push_back(out.getType());
    SmallVector<NamedAttribute> discardable(op->getDiscardableAttrs());

    // Named contractions keep their name: their payload is built in the
    // result (accumulator) type from the operand types.
    if (decision.isContraction() && !op.hasUserDefinedMaps() &&
        isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::MatvecOp,
            linalg::VecmatOp, linalg::BatchMatvecOp>(op)) {
      Operation *named =
          llvm::TypeSwitch<Operation *, Operation *>(op)
              .Case<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::MatvecOp,
                    linalg::VecmatOp, linalg::BatchMatvecOp>([&](auto namedOp) {
                using OpTy = decltype(namedOp);
                return OpTy::create(rewriter, op.getLoc(), resultTypes, ins, outs,
                                    linalg::getPrunedAttributeList(namedOp))
                    .getOperation();
              });
      for (NamedAttribute attr : discardable)
        named->setAttr(attr.getName(), attr.getValue());
      rewriter.replaceOp(op, named->getResults());
      return success();
    }

    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), resultTypes, ins, outs, op.getIndexingMapsArray(),
        op.getIteratorTypesArray());
    for (NamedAttribute attr : discardable)
      generic->setAttr(attr.getName(), attr.getValue());
    SmallVector<Type> argTypes;
    SmallVector<Location> argLocs;
    for (Value operand : llvm::concat<Value>(ins, outs)) {
      argTypes.push_back(getElementTypeOrSelf(operand.getType()));
      argLocs.push_back(operand.getLoc());
    }
    Block *block = rewriter.createBlock(&generic.getRegion(), {}, argTypes, argLocs);
    SmallVector<Type> resultElements;
    for (Value out : outs)
      resultElements.push_back(getElementTypeOrSelf(out.getType()));
    PayloadRetyper retyper(rewriter, tensors, op, storage, compute);
    if (failed(retyper.run(op.getBlock(), block, resultElements)))
      return failure();
    rewriter.replaceOp(op, generic->getResults());
    return success();
  }

  LogicalResult rewriteOther(Operation *op, DecisionAttr decision,
                             ArrayRef<Value> operands,
                             ConversionPatternRewriter &rewriter) const {
    if (op->getNumRegions())
      return op->emitError() << "cannot change the precision of an op with regions "
                                "that is not a linalg op";
    Type storage = decision.getStorageType();
    auto dps = dyn_cast<DestinationStyleOpInterface>(op);
    SmallVector<Value> newOperands;
    for (OpOperand &operand : op->getOpOperands()) {
      Value value = operands[operand.getOperandNumber()];
      FailureOr<Value> converted =
          dps && dps.isDpsInit(&operand)
              ? convertInit(rewriter, op, operand.get(), value, storage)
              : tensors.convert(rewriter, op, value, storage);
      if (failed(converted))
        return failure();
      newOperands.push_back(*converted);
    }
    SmallVector<Type> types;
    for (Type type : op->getResultTypes()) {
      RankedTensorType tensor = floatTensorType(type);
      types.push_back(tensor ? tensor.clone(storage) : type);
    }
    OperationState state(op->getLoc(), op->getName(), newOperands, types, op->getAttrs());
    Operation *created = rewriter.create(state);
    if (failed(verify(created, /*verifyRecursively=*/false))) {
      rewriter.eraseOp(created);
      return op->emitError() << "cannot change the precision of this op to "
                             << storage;
    }
    rewriter.replaceOp(op, created->getResults());
    return success();
  }
};

/// mp.pin has done its work in mp-assign-precision.
struct RemovePin : OpConversionPattern<PinOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(PinOp pin, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(pin, adaptor.getInput());
    return success();
  }
};

/// Entry arguments take the types the converter chose for them.
struct NarrowArguments : OpConversionPattern<func::FuncOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(func::FuncOp func, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (func.isExternal())
      return failure();
    Block &entry = func.getBody().front();
    TypeConverter::SignatureConversion signature(entry.getNumArguments());
    if (failed(getTypeConverter()->convertSignatureArgs(
            ValueRange(entry.getArguments()), signature)))
      return failure();
    rewriter.applySignatureConversion(&entry, signature, getTypeConverter());
    rewriter.modifyOpInPlace(func, [&] {
      func.setType(FunctionType::get(func.getContext(), signature.getConvertedTypes(),
                                     func.getResultTypes()));
    });
    return success();
  }
};

/// Results leave in their producer's storage type (rounded once).
struct RetypeReturn : OpConversionPattern<func::ReturnOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(func::ReturnOp ret, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> operands;
    for (auto [original, value] : llvm::zip(ret.getOperands(), adaptor.getOperands()))
      operands.push_back(castTo(rewriter, ret.getLoc(), value,
                                getReturnedType(original)));
    rewriter.replaceOpWithNewOp<func::ReturnOp>(ret, operands);
    return success();
  }
};

} // namespace

Type mp::getReturnedType(Value value) {
  if (auto result = dyn_cast<OpResult>(value)) {
    DecisionAttr decision = getDecision(result.getOwner());
    if (auto pin = dyn_cast<PinOp>(result.getOwner()))
      return getReturnedType(pin.getInput());
    if (RankedTensorType type = floatTensorType(value.getType()); type && decision)
      return type.clone(decision.getStorageType());
  }
  return value.getType();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

void mp::populateMaterializePatterns(MaterializeTypeConverter &converter,
                                     RewritePatternSet &patterns,
                                     MaterializeCounters &counters) {
  // The tensor converter lives as long as the patterns that share it.
  auto tensors = std::make_shared<TensorConverter>(counters);
  converter.keepAlive = tensors;
  patterns.add<MaterializeDecidedOp>(converter, patterns.getContext(), *tensors,
                                     counters);
  patterns.add<RemovePin, NarrowArguments, RetypeReturn>(converter,
                                                         patterns.getContext());
}

void mp::chooseArgumentTypes(func::FuncOp func, MaterializeTypeConverter &converter) {
  if (func.isExternal())
    return;
  for (BlockArgument arg : func.getBody().front().getArguments()) {
    RankedTensorType type = floatTensorType(arg.getType());
    if (!type || arg.use_empty())
      continue;
    Type element;
    bool uniform = true;
    for (OpOperand &use : arg.getUses()) {
      Operation *user = use.getOwner();
      DecisionAttr decision = getDecision(user);
      auto dps = dyn_cast<DestinationStyleOpInterface>(user);
      if (!decision || (dps && dps.isDpsInit(&use)) ||
          (element && element != decision.getStorageType())) {
        uniform = false;
        break;
      }
      element = decision.getStorageType();
    }
    if (uniform && element && element != type.getElementType() &&
        isExactlyRepresentable(element, type.getElementType()))
      converter.argumentTypes[arg] = type.clone(element);
  }
}

void mp::configureMaterializeTarget(ConversionTarget &target,
                                    const DenseSet<Operation *> &keptSignatures,
                                    const MaterializeTypeConverter &converter) {
  target.addLegalDialect<MPDialect>();
  target.addIllegalOp<PinOp>();
  target.markUnknownOpDynamicallyLegal([](Operation *op) -> std::optional<bool> {
    if (DecisionAttr decision = getDecision(op))
      return succeeded(checkDecision(op, decision, /*emit=*/false));
    return true;
  });
  target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp func) {
    if (func.isExternal() || keptSignatures.contains(func))
      return true;
    return llvm::all_of(func.getBody().front().getArguments(), [&](BlockArgument arg) {
      return converter.convertType(Value(arg)) == arg.getType();
    });
  });
  target.addDynamicallyLegalOp<func::ReturnOp>([&](func::ReturnOp ret) {
    if (keptSignatures.contains(ret->getParentOp()))
      return true;
    return llvm::all_of(ret.getOperands(),
                        [](Value value) { return getReturnedType(value) == value.getType(); });
  });
}

namespace {

struct MPMaterializePass : mp::impl::MPMaterializeBase<MPMaterializePass> {
  using MPMaterializeBase::MPMaterializeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Formats this pass cannot produce are errors before anything changes.
    WalkResult unsupported = module.walk([](Operation *op) {
      DecisionAttr decision = getDecision(op);
      if (decision && (decision.getFormat().isScaled() || decision.getFormat().isInteger())) {
        op->emitError() << "format " << decision.getFormat()
                        << " needs scaling, which mp-materialize does not insert "
                           "yet; use an unscaled float format";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();

    MaterializeTypeConverter converter;
    DenseSet<Operation *> kept;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (keepIOTypes || !SymbolTable::symbolKnownUseEmpty(func, module))
        kept.insert(func);
      else
        chooseArgumentTypes(func, converter);
    }
    ConversionTarget target(getContext());
    configureMaterializeTarget(target, kept, converter);
    RewritePatternSet patterns(&getContext());
    MaterializeCounters counters;
    populateMaterializePatterns(converter, patterns, counters);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    // Function results follow what the returns now return.
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || kept.contains(func))
        continue;
      std::optional<SmallVector<Type>> results;
      WalkResult walked = func.walk([&](func::ReturnOp ret) {
        SmallVector<Type> types(ret.getOperandTypes());
        if (results && *results != types) {
          ret.emitError("returns disagree on the types of the results after "
                        "materialization");
          return WalkResult::interrupt();
        }
        results = types;
        return WalkResult::advance();
      });
      if (walked.wasInterrupted())
        return signalPassFailure();
      if (results)
        func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                       *results));
    }
    numCastsInserted += counters.castsInserted;
    numConstantsConverted += counters.constantsConverted;
    numOpsRetyped += counters.opsRetyped;
  }
};

} // namespace
