//===- MPToArith.cpp - lower mp ops to arith/math/tensor/linalg -----------===//

#include "mp/Conversion/MPToArith/MPToArith.h"
#include "mp/Conversion/Passes.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mp {
#define GEN_PASS_DEF_MPLOWERTOARITH
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// Element-wise body: receives the scalar block arguments of the inputs.
using ScalarBody = function_ref<Value(ImplicitLocOpBuilder &, ValueRange)>;

/// Builds `tensor.empty` + an all-parallel `linalg.generic` producing
/// `resultType` from `inputs` read through `inputMaps`; `shapeSource` gives the
/// dynamic sizes. Returns the result tensor.
Value buildElementwise(OpBuilder &builder, Location loc,
                       RankedTensorType resultType, Value shapeSource,
                       ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                       ScalarBody body) {
  int64_t rank = resultType.getRank();
  SmallVector<Value> dynamicSizes;
  for (int64_t d = 0; d < rank; ++d)
    if (resultType.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(builder, loc, shapeSource, d));
  Value init = tensor::EmptyOp::create(builder, loc, resultType.getShape(),
                                       resultType.getElementType(), dynamicSizes);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(builder.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      builder, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        ImplicitLocOpBuilder b(nestedLoc, nested);
        linalg::YieldOp::create(b, body(b, args.drop_back()));
      });
  return generic.getResult(0);
}

/// The map from the data tensor's iteration space to its scale tensor.
AffineMap getScaleMap(FormatAttr format, int64_t rank, RankedTensorType scaleType,
                      MLIRContext *ctx) {
  int64_t axis = format.getAxis();
  switch (format.getScale()) {
  case ScaleKind::None:
  case ScaleKind::PerTensor:
    if (scaleType.getRank() == 0)
      return AffineMap::get(rank, 0, {}, ctx);
    return AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx);
  case ScaleKind::PerChannel:
    return AffineMap::get(rank, 0, {getAffineDimExpr(axis, ctx)}, ctx);
  case ScaleKind::PerGroup: {
    SmallVector<AffineExpr> results;
    for (int64_t d = 0; d < rank; ++d) {
      AffineExpr dim = getAffineDimExpr(d, ctx);
      results.push_back(d == axis ? dim.floorDiv(format.getGroupSize()) : dim);
    }
    return AffineMap::get(rank, 0, results, ctx);
  }
  }
  llvm_unreachable("unknown scale kind");
}

/// Builds the elementwise generic of a quantize or dequantize: the data read
/// with the identity map, the scale (and zero point) through the scheme's map.
template <typename OpTy>
Value buildScaledElementwise(OpTy op, typename OpTy::Adaptor adaptor,
                             ConversionPatternRewriter &rewriter, ScalarBody body) {
  RankedTensorType resultType = op.getResult().getType();
  int64_t rank = resultType.getRank();
  AffineMap scaleMap = getScaleMap(op.getFormat(), rank, op.getScale().getType(),
                                   rewriter.getContext());
  SmallVector<Value> inputs = {adaptor.getInput(), adaptor.getScale()};
  SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank), scaleMap};
  if (adaptor.getZeroPoint()) {
    inputs.push_back(adaptor.getZeroPoint());
    maps.push_back(scaleMap);
  }
  return buildElementwise(rewriter, op.getLoc(), resultType, adaptor.getInput(),
                          inputs, maps, body);
}

/// Converts a float scalar to f32 exactly (every supported type fits).
Value toF32(ImplicitLocOpBuilder &b, Value value) {
  return emitFloatCast(b, value, b.getF32Type(), RoundingMode::NearestEven,
                       /*saturate=*/false);
}

Value f32Const(ImplicitLocOpBuilder &b, double value) {
  return arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat((float)value));
}

/// Inclusive range of a signed integer format.
std::pair<int64_t, int64_t> integerRange(IntegerType type) {
  unsigned width = type.getWidth();
  return {-(int64_t(1) << (width - 1)), (int64_t(1) << (width - 1)) - 1};
}

//===----------------------------------------------------------------------===//
// mp.cast
//===----------------------------------------------------------------------===//

/// mp.cast -> scalar conversion code, in a linalg.generic for tensors.
struct CastOpLowering : OpConversionPattern<CastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto dstElement = cast<FloatType>(getElementTypeOrSelf(op.getType()));
    RoundingMode rounding = op.getRounding();
    bool saturate = op.getSaturate();
    auto body = [&](ImplicitLocOpBuilder &b, ValueRange args) {
      return emitFloatCast(b, args[0], dstElement, rounding, saturate);
    };
    auto tensorType = dyn_cast<RankedTensorType>(op.getType());
    if (!tensorType) {
      ImplicitLocOpBuilder b(op.getLoc(), rewriter);
      rewriter.replaceOp(op, body(b, adaptor.getInput()));
      return success();
    }
    AffineMap identity = rewriter.getMultiDimIdentityMap(tensorType.getRank());
    rewriter.replaceOp(op, buildElementwise(rewriter, op.getLoc(), tensorType,
                                            adaptor.getInput(), adaptor.getInput(),
                                            {identity}, body));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// mp.quantize / mp.dequantize
//===----------------------------------------------------------------------===//

/// Integers: q = clamp(roundeven(x / s) + zp, qmin, qmax), NaN -> zp.
/// Floats:   q = cast(x / s) with saturation.
struct QuantizeOpLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type storage = op.getResult().getType().getElementType();
    auto body = [&](ImplicitLocOpBuilder &b, ValueRange args) -> Value {
      Value scaled = arith::DivFOp::create(b, toF32(b, args[0]), toF32(b, args[1]));
      if (auto floatType = dyn_cast<FloatType>(storage))
        return emitFloatCast(b, scaled, floatType, RoundingMode::NearestEven,
                             /*saturate=*/true);
      auto intType = cast<IntegerType>(storage);
      auto [qmin, qmax] = integerRange(intType);
      Value zeroPoint = args.size() > 2
                            ? Value(arith::SIToFPOp::create(b, b.getF32Type(), args[2]))
                            : f32Const(b, 0.0);
      Value rounded = arith::AddFOp::create(b, math::RoundEvenOp::create(b, scaled),
                                            zeroPoint);
      Value clamped = arith::MinimumFOp::create(
          b, arith::MaximumFOp::create(b, rounded, f32Const(b, qmin)),
          f32Const(b, qmax));
      Value isNaN = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, scaled, scaled);
      Value safeZeroPoint = arith::MinimumFOp::create(
          b, arith::MaximumFOp::create(b, zeroPoint, f32Const(b, qmin)),
          f32Const(b, qmax));
      clamped = arith::SelectOp::create(b, isNaN, safeZeroPoint, clamped);
      return arith::FPToSIOp::create(b, intType, clamped);
    };
    rewriter.replaceOp(op, buildScaledElementwise(op, adaptor, rewriter, body));
    return success();
  }
};

/// x = (q - zp) * s (integers) or q * s (floats), in f32, rounded once to the
/// result type.
struct DequantizeOpLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultElement = cast<FloatType>(op.getResult().getType().getElementType());
    auto body = [&](ImplicitLocOpBuilder &b, ValueRange args) -> Value {
      Value value;
      if (isa<IntegerType>(args[0].getType())) {
        Value q = arith::SIToFPOp::create(b, b.getF32Type(), args[0]);
        if (args.size() > 2)
          q = arith::SubFOp::create(
              b, q, arith::SIToFPOp::create(b, b.getF32Type(), args[2]));
        value = q;
      } else {
        value = toF32(b, args[0]);
      }
      value = arith::MulFOp::create(b, value, toF32(b, args[1]));
      return emitFloatCast(b, value, resultElement, RoundingMode::NearestEven,
                           /*saturate=*/false);
    };
    rewriter.replaceOp(op, buildScaledElementwise(op, adaptor, rewriter, body));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// mp.amax, mp.pin
//===----------------------------------------------------------------------===//

/// mp.amax -> linalg.fill(0) + a full reduction of maximumf(acc, |x|).
struct AmaxOpLowering : OpConversionPattern<AmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    int64_t rank = inputType.getRank();
    RankedTensorType resultType = op.getResult().getType();
    Value zero = arith::ConstantFloatOp::create(rewriter, loc, rewriter.getF32Type(),
                                                APFloat(0.0f));
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                          resultType.getElementType());
    Value init = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank),
                                   AffineMap::get(rank, 0, {}, getContext())};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{adaptor.getInput()},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
          ImplicitLocOpBuilder b(nestedLoc, nested);
          Value magnitude = math::AbsFOp::create(b, toF32(b, args[0]));
          linalg::YieldOp::create(b, Value(arith::MaximumFOp::create(b, args[1], magnitude)));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// mp.pin only informs mp-assign-precision; at run time it is the identity.
struct PinOpLowering : OpConversionPattern<PinOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PinOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// arith.truncf / arith.extf on fp8 scalars
//===----------------------------------------------------------------------===//

bool isFloat8(Type type) { return isa<Float8E4M3FNType, Float8E5M2Type>(type); }

/// True for scalar arith casts to or from fp8, which the LLVM lowering lacks.
bool isScalarFloat8Cast(Operation *op) {
  Type in = op->getOperand(0).getType(), out = op->getResult(0).getType();
  return in.isIntOrFloat() && (isFloat8(in) || isFloat8(out));
}

template <typename ArithCastOp>
struct Float8ArithCastLowering : OpConversionPattern<ArithCastOp> {
  using OpConversionPattern<ArithCastOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ArithCastOp op, typename ArithCastOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isScalarFloat8Cast(op))
      return failure();
    RoundingMode rounding = RoundingMode::NearestEven;
    if constexpr (std::is_same_v<ArithCastOp, arith::TruncFOp>) {
      if (std::optional<arith::RoundingMode> mode = op.getRoundingmode()) {
        if (*mode == arith::RoundingMode::toward_zero)
          rounding = RoundingMode::TowardZero;
        else if (*mode != arith::RoundingMode::to_nearest_even)
          return rewriter.notifyMatchFailure(op, "unsupported rounding mode");
      }
    }
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op, emitFloatCast(b, adaptor.getIn(),
                                         cast<FloatType>(op.getType()), rounding,
                                         /*saturate=*/false));
    return success();
  }
};

/// Reports mp ops whose float types the CPU lowering cannot represent.
LogicalResult checkLowerable(Operation *root) {
  WalkResult result = root->walk([](Operation *op) {
    if (!isa_and_nonnull<MPDialect>(op->getDialect()) &&
        !isa<arith::TruncFOp, arith::ExtFOp>(op))
      return WalkResult::advance();
    for (Type type : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
      Type element = getElementTypeOrSelf(type);
      if (isa<FloatType>(element) && !isEmulatableFloatType(element)) {
        if (isa<arith::TruncFOp, arith::ExtFOp>(op) && !isScalarFloat8Cast(op))
          continue;
        op->emitOpError("cannot be lowered exactly on the CPU: element type ")
            << element
            << " is not one of f64, f32, f16, bf16, f8E4M3FN, f8E5M2";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

struct MPLowerToArithPass : mp::impl::MPLowerToArithBase<MPLowerToArithPass> {
  void runOnOperation() override {
    if (failed(checkLowerable(getOperation())))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<MPDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addDynamicallyLegalOp<arith::TruncFOp, arith::ExtFOp>(
        [](Operation *op) { return !isScalarFloat8Cast(op); });
    RewritePatternSet patterns(ctx);
    populateMPToArithConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
    // Argument annotations of the mp namespace (mp.range) have served the
    // analyses; nothing below mp knows them (the LLVM translation would warn).
    getOperation()->walk([](FunctionOpInterface func) {
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        for (NamedAttribute attr : llvm::to_vector(func.getArgAttrs(i)))
          if (attr.getName().getValue().starts_with("mp."))
            func.removeArgAttr(i, attr.getName());
    });
  }
};

} // namespace

void mp::populateMPToArithConversionPatterns(RewritePatternSet &patterns) {
  patterns.add<CastOpLowering, QuantizeOpLowering, DequantizeOpLowering,
               AmaxOpLowering, PinOpLowering, Float8ArithCastLowering<arith::TruncFOp>,
               Float8ArithCastLowering<arith::ExtFOp>>(patterns.getContext());
}
