//===- InsertScaling.cpp - f16 overflow guard, fp8 and int8/int4 scales ---===//
//
// Runs on decided IR before mp-materialize (see the pass description in
// Passes.td). Two independent parts:
//
// - quantization of decided contractions: operands quantized (weights at
//   compile time from the model's own values, activations at run time from
//   their amax or statically from calibration), the product formed exactly
//   and accumulated in f32 (i32 for int8 x int8), the scales applied to the
//   accumulator (fp8, w8a8) or inside the product (weight-only, f16 scales so
//   that q * s is exact in f32);
// - the f16 overflow guard: a power-of-two scale folded into the producer's
//   payload and undone in its consumers, or f32 when a consumer cannot undo it.
//
//===----------------------------------------------------------------------===//

#include "mp/Analysis/Calibration.h"
#include "mp/Analysis/Classification.h"
#include "mp/Analysis/ConstantData.h"
#include "mp/Analysis/DecisionCheck.h"
#include "mp/Analysis/RangeAnalysis.h"
#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Dialect/MP/Utils/FloatRounding.h"
#include "mp/Transforms/Passes.h"
#include "mp/Transforms/Policy.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>

namespace mp {
#define GEN_PASS_DEF_MPINSERTSCALING
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

enum class QuantMode { None, FP8, W8A8, W8A16, W4A16 };

struct QuantSpec {
  QuantMode mode = QuantMode::None;
  Type weightType;       ///< f8E4M3FN / f8E5M2 / i8 / i4
  Type activationType;   ///< the quantized activation type (fp8, w8a8)
  double qmax = 0;       ///< largest quantized magnitude used
  bool weightPerTensor = false;
  bool activationPerTensor = false;
  bool staticActivations = false;
  int64_t groupSize = 0; ///< weight-only: group along the reduction (0: none)
  /// Weight-only: unsigned codes q in [0, 2^bits - 1] on the grid q * s + m,
  /// with an f16 offset m (the slot's minimum) beside each f16 scale s.
  bool asymmetric = false;
  double smoothAlpha = 0;        ///< SmoothQuant migration strength (0: off)
  double outlierThreshold = 0;   ///< LLM.int8-style decomposition (0: off)
  bool biasCorrection = false;
  bool gptq = false;             ///< GPTQ error feedback (needs a calibrated gram)
  const llvm::StringMap<double> *calibration = nullptr;
  const llvm::StringMap<ChannelStats> *channels = nullptr;

  bool weightOnly() const { return mode == QuantMode::W8A16 || mode == QuantMode::W4A16; }
  bool integer() const { return isa<IntegerType>(weightType); }
  StringRef name() const {
    switch (mode) {
    case QuantMode::FP8: return "fp8";
    case QuantMode::W8A8: return "w8a8";
    case QuantMode::W8A16: return "w8a16";
    case QuantMode::W4A16: return "w4a16";
    case QuantMode::None: break;
    }
    return "none";
  }
};

/// A contraction as the rewrite sees it: two inputs, one init, projected
/// permutation maps, the reduction dims in both inputs and not in the output,
/// static shapes, and a payload `out + ext(a) * ext(b)`.
struct Contraction {
  linalg::LinalgOp op;
  Value lhs, rhs, init;
  SmallVector<AffineMap> maps;
  SmallVector<utils::IteratorType> iterators;
  SmallVector<int64_t> loopSizes;
};

bool isReduction(const Contraction &c, unsigned dim) {
  return c.iterators[dim] == utils::IteratorType::reduction;
}

/// Tensor positions of `map`'s results that are (not) reduction dims.
SmallVector<unsigned> positions(const Contraction &c, AffineMap map, bool reduction) {
  SmallVector<unsigned> result;
  for (auto [i, expr] : llvm::enumerate(map.getResults()))
    if (isReduction(c, cast<AffineDimExpr>(expr).getPosition()) == reduction)
      result.push_back(i);
  return result;
}

/// `v` through at most one extf (the payload's widening of an input).
Value throughExt(Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    return ext.getIn();
  return v;
}

FailureOr<Contraction> matchContraction(Operation *operation, std::string &why) {
  auto op = dyn_cast<linalg::LinalgOp>(operation);
  if (!op || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics()) {
    why = "not a two-input linalg contraction on tensors";
    return failure();
  }
  Contraction c;
  c.op = op;
  c.lhs = op.getDpsInputOperand(0)->get();
  c.rhs = op.getDpsInputOperand(1)->get();
  c.init = op.getDpsInitOperand(0)->get();
  c.maps = op.getIndexingMapsArray();
  c.iterators = op.getIteratorTypesArray();
  c.loopSizes = op.getStaticLoopRanges();
  for (Value v : {c.lhs, c.rhs, c.init}) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !isa<FloatType>(type.getElementType()) || !type.hasStaticShape()) {
      why = "operands are not statically shaped float tensors";
      return failure();
    }
  }
  for (AffineMap map : c.maps)
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false)) {
      why = "indexing maps are not projected permutations";
      return failure();
    }
  bool hasReduction = false;
  for (unsigned d = 0; d < c.iterators.size(); ++d) {
    if (!isReduction(c, d))
      continue;
    hasReduction = true;
    if (!c.maps[0].isFunctionOfDim(d) || !c.maps[1].isFunctionOfDim(d) ||
        c.maps[2].isFunctionOfDim(d)) {
      why = "a reduction dimension is not shared by both inputs";
      return failure();
    }
  }
  if (!hasReduction) {
    why = "no reduction dimension";
    return failure();
  }
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  Value out = body->getArgument(2);
  Value product = !add ? Value()
                  : add.getLhs() == out ? add.getRhs()
                  : add.getRhs() == out ? add.getLhs()
                                        : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  Value a = body->getArgument(0), b = body->getArgument(1);
  if (!mul || !((throughExt(mul.getLhs()) == a && throughExt(mul.getRhs()) == b) ||
                (throughExt(mul.getLhs()) == b && throughExt(mul.getRhs()) == a))) {
    why = "the payload is not out + a * b";
    return failure();
  }
  return c;
}

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type type,
             TypedAttr value) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, type);
  Value v = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, v, empty).getResult(0);
}

/// Extends or truncates a float scalar to `type` (nothing when equal).
Value convertScalar(OpBuilder &b, Location loc, Value v, Type type) {
  Type from = v.getType();
  if (from == type)
    return v;
  if (cast<FloatType>(from).getWidth() < cast<FloatType>(type).getWidth())
    return arith::ExtFOp::create(b, loc, type, v);
  return arith::TruncFOp::create(b, loc, type, v);
}

/// The identity map and the projection dropping `dropped` positions.
AffineMap projection(MLIRContext *ctx, unsigned rank, ArrayRef<unsigned> kept) {
  SmallVector<AffineExpr> exprs;
  for (unsigned p : kept)
    exprs.push_back(getAffineDimExpr(p, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// Quantizes the value `x` at run time: one scale per index of its `kept`
/// positions (per token), or one for the tensor when `kept` is empty. The
/// scale is amax / qmax (1 for an all-zero slice); q = round(clamp(x / s)).
/// Returns {q, scales (f32)}.
std::pair<Value, Value> quantizeAtRunTime(OpBuilder &b, Location loc, Value x,
                                          ArrayRef<unsigned> kept,
                                          const QuantSpec &spec,
                                          std::optional<double> staticAbsMax,
                                          StringRef mark) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  Type f32 = b.getF32Type();
  auto markOp = [&](Operation *op) { op->setAttr(MPDialect::getScalingAttrName(), b.getStringAttr(mark)); };

  SmallVector<int64_t> scaleShape;
  for (unsigned p : kept)
    scaleShape.push_back(type.getDimSize(p));
  auto scaleType = RankedTensorType::get(scaleShape, f32);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap toScale = projection(ctx, rank, kept);

  Value scales;
  if (staticAbsMax) {
    float s = static_cast<float>(*staticAbsMax) / static_cast<float>(spec.qmax);
    if (!(s > 0) || !std::isfinite(s))
      s = 1.0f;
    scales = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(scaleType, b.getF32FloatAttr(s)));
  } else {
    Value amax;
    if (kept.empty()) {
      auto op = AmaxOp::create(b, loc, scaleType, x);
      markOp(op);
      amax = op.getResult();
    } else {
      SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::reduction);
      for (unsigned p : kept)
        iterators[p] = utils::IteratorType::parallel;
      Value init = filled(b, loc, scaleShape, f32, b.getF32FloatAttr(0.0f));
      auto op = linalg::GenericOp::create(
          b, loc, TypeRange{scaleType}, ValueRange{x}, ValueRange{init},
          ArrayRef<AffineMap>{identity, toScale}, iterators,
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value v = convertScalar(nb, nloc, args[0], f32);
            Value abs = math::AbsFOp::create(nb, nloc, v);
            Value m = arith::MaximumFOp::create(nb, nloc, args[1], abs);
            linalg::YieldOp::create(nb, nloc, m);
          });
      markOp(op);
      amax = op.getResult(0);
    }
    // s = amax / qmax, 1 where amax is 0 (the slice quantizes to zeros).
    SmallVector<utils::IteratorType> parallel(scaleShape.size(), utils::IteratorType::parallel);
    AffineMap scaleIdentity = AffineMap::getMultiDimIdentityMap(scaleShape.size(), ctx);
    Value empty = tensor::EmptyOp::create(b, loc, scaleShape, f32);
    auto op = linalg::GenericOp::create(
        b, loc, TypeRange{scaleType}, ValueRange{amax}, ValueRange{empty},
        ArrayRef<AffineMap>{scaleIdentity, scaleIdentity}, parallel,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value qmax = floatConstant(nb, nloc, f32, spec.qmax);
          Value zero = floatConstant(nb, nloc, f32, 0.0);
          Value one = floatConstant(nb, nloc, f32, 1.0);
          Value s = arith::DivFOp::create(nb, nloc, args[0], qmax);
          Value isZero = arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OEQ, args[0], zero);
          linalg::YieldOp::create(nb, nloc, arith::SelectOp::create(nb, nloc, isZero, one, s).getResult());
        });
    markOp(op);
    scales = op.getResult(0);
  }

  // q = quantize(clamp(x / s, -qmax, qmax)).
  Type qType = spec.activationType;
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), qType);
  SmallVector<utils::IteratorType> parallel(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{RankedTensorType::get(type.getShape(), qType)}, ValueRange{x, scales},
      ValueRange{empty}, ArrayRef<AffineMap>{identity, toScale, identity}, parallel,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = convertScalar(nb, nloc, args[0], f32);
        v = arith::DivFOp::create(nb, nloc, v, args[1]);
        Value hi = floatConstant(nb, nloc, f32, spec.qmax);
        Value lo = floatConstant(nb, nloc, f32, -spec.qmax);
        v = arith::MaximumFOp::create(nb, nloc, v, lo);
        v = arith::MinimumFOp::create(nb, nloc, v, hi);
        Value q;
        if (isa<IntegerType>(qType)) {
          v = math::RoundEvenOp::create(nb, nloc, v);
          q = arith::FPToSIOp::create(nb, nloc, qType, v);
        } else {
          q = arith::TruncFOp::create(nb, nloc, qType, v);
        }
        linalg::YieldOp::create(nb, nloc, q);
      });
  markOp(op);
  return {op.getResult(0), scales};
}

/// GPTQ's input: the upper Cholesky factor U of H^-1 (K x K, row-major), H
/// the calibrated E[x x^T] of the activation, and the weight's position of K.
struct GPTQFactor {
  std::vector<double> upper;
  int64_t position = -1;
};

/// Lower Cholesky factor of the symmetric `a` (n x n) in place; false when
/// it is not positive definite.
bool choleskyLower(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k)
      d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (int64_t k = 0; k < j; ++k)
        v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / d;
    }
    for (int64_t k = j + 1; k < n; ++k)
      a[j * n + k] = 0.0;
  }
  return true;
}

/// U with U^T U = (H + damp)^-1, from H = E[x x^T] (n x n). Channels never
/// seen (H_kk = 0) get H_kk = 1; the damping is 1% of the mean diagonal,
/// raised tenfold until H is positive definite (at most three times).
std::optional<std::vector<double>> gptqFactor(std::vector<double> h, int64_t n) {
  double mean = 0;
  for (int64_t k = 0; k < n; ++k) {
    if (h[k * n + k] == 0)
      h[k * n + k] = 1;
    mean += h[k * n + k] / n;
  }
  for (double damp = 0.01; damp <= 10; damp *= 10) {
    std::vector<double> l = h;
    for (int64_t k = 0; k < n; ++k)
      l[k * n + k] += damp * mean;
    if (!choleskyLower(l, n))
      continue;
    // H^-1 = L^-T L^-1: invert L (lower), then multiply.
    std::vector<double> inv(n * n, 0.0);
    for (int64_t j = 0; j < n; ++j) {
      inv[j * n + j] = 1.0 / l[j * n + j];
      for (int64_t i = j + 1; i < n; ++i) {
        double v = 0;
        for (int64_t k = j; k < i; ++k)
          v -= l[i * n + k] * inv[k * n + j];
        inv[i * n + j] = v / l[i * n + i];
      }
    }
    std::vector<double> hinv(n * n, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j <= i; ++j) {
        double v = 0;
        for (int64_t k = i; k < n; ++k)
          v += inv[k * n + i] * inv[k * n + j];
        hinv[i * n + j] = hinv[j * n + i] = v;
      }
    if (!choleskyLower(hinv, n))
      continue;
    std::vector<double> upper(n * n, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j <= i; ++j)
        upper[j * n + i] = hinv[i * n + j];
    return upper;
  }
  return std::nullopt;
}

/// A weight quantized at compile time.
struct QuantizedWeight {
  DenseElementsAttr values; ///< in the (possibly group-expanded) shape
  DenseElementsAttr scales;
  DenseElementsAttr offsets; ///< asymmetric only: m per scale slot (else null)
  std::vector<float> error;  ///< dequantized - original, per element (row-major)
  float maxAbs = 0;          ///< max |original|
};

/// Quantizes the constant `values` of shape `shape`: one scale per index of
/// the positions in `kept`; with `groupPos` >= 0 the scale also varies along
/// that position in groups of `groupSize` (and the values take the shape with
/// that dimension split in (groups, groupSize)). `scaleType` is f32 or f16:
/// values are quantized with the scale as stored.
FailureOr<QuantizedWeight>
quantizeWeight(ArrayRef<APFloat> values, ArrayRef<int64_t> shape, ArrayRef<unsigned> kept,
               int64_t groupPos, int64_t groupSize, const QuantSpec &spec,
               FloatType scaleType, std::string &why, const GPTQFactor *gptq = nullptr) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  bool splat = values.size() == 1;
  // Scale slots: kept positions, plus the group index.
  SmallVector<int64_t> scaleShape, valueShape;
  for (auto [p, size] : llvm::enumerate(shape)) {
    if (static_cast<int64_t>(p) == groupPos) {
      scaleShape.push_back(size / groupSize);
      valueShape.push_back(size / groupSize);
      valueShape.push_back(groupSize);
    } else {
      if (llvm::is_contained(kept, p))
        scaleShape.push_back(size);
      valueShape.push_back(size);
    }
  }
  int64_t slots = 1;
  for (int64_t d : scaleShape)
    slots *= d;
  auto slotOf = [&](int64_t linear) {
    int64_t slot = 0;
    SmallVector<int64_t> index(shape.size());
    for (int64_t p = shape.size() - 1; p >= 0; --p) {
      index[p] = linear % shape[p];
      linear /= shape[p];
    }
    for (auto [p, size] : llvm::enumerate(shape)) {
      if (static_cast<int64_t>(p) == groupPos)
        slot = slot * (size / groupSize) + index[p] / groupSize;
      else if (llvm::is_contained(kept, p))
        slot = slot * size + index[p];
    }
    return slot;
  };
  auto valueAt = [&](int64_t i) -> float {
    APFloat v = values[splat ? 0 : i];
    bool lost;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    return v.convertToFloat();
  };
  // Symmetric: s = amax / qmax on [-qmax, qmax]. Asymmetric: s = (max -
  // min) / (2^bits - 1) and m = min on [0, 2^bits - 1], so a slot whose
  // values already lie on such a grid (a GGUF Q4_1 block) is reproduced.
  std::vector<float> amax(slots, 0.0f), lo(slots, INFINITY), hi(slots, -INFINITY);
  for (int64_t i = 0; i < count; ++i) {
    float v = valueAt(i);
    if (!std::isfinite(v)) {
      why = "the weight has a non-finite value";
      return failure();
    }
    int64_t slot = slotOf(i);
    amax[slot] = std::max(amax[slot], std::fabs(v));
    lo[slot] = std::min(lo[slot], v);
    hi[slot] = std::max(hi[slot], v);
  }
  auto intType = dyn_cast<IntegerType>(spec.weightType);
  bool asymmetric = spec.asymmetric && intType;
  double levels = asymmetric ? std::ldexp(1.0, intType.getWidth()) - 1 : 0;
  // Rounds `value` to `scaleType` (f32 stays as is); false when the result
  // is not finite.
  auto store = [&](float value, APFloat &stored, float &back) {
    stored = APFloat(value);
    back = value;
    if (scaleType.isF32())
      return true;
    bool lost;
    stored.convert(scaleType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    APFloat wide = stored;
    wide.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    back = wide.convertToFloat();
    return wide.isFinite();
  };
  std::vector<float> scales(slots), offsets(asymmetric ? slots : 0);
  SmallVector<APFloat> scaleValues, offsetValues;
  for (int64_t s = 0; s < slots; ++s) {
    float scale = asymmetric ? static_cast<float>((static_cast<double>(hi[s]) - lo[s]) / levels)
                             : amax[s] / static_cast<float>(spec.qmax);
    if (scale == 0.0f)
      scale = 1.0f;
    APFloat stored(scale);
    if (!store(scale, stored, scale) || scale == 0.0f) {
      why = "a weight scale does not fit " + std::string(scaleType.isF16() ? "f16" : "its type");
      return failure();
    }
    scales[s] = scale;
    scaleValues.push_back(stored);
    if (asymmetric) {
      APFloat offset(0.0f);
      if (!store(lo[s], offset, offsets[s])) {
        why = "a weight offset does not fit " +
              std::string(scaleType.isF16() ? "f16" : "its type");
        return failure();
      }
      offsetValues.push_back(offset);
    }
  }
  auto valueType = RankedTensorType::get(valueShape, spec.weightType);
  // One element: the stored value and its dequantization q * s (+ m).
  SmallVector<APInt> qInt(intType ? count : 0, APInt(intType ? intType.getWidth() : 1, 0));
  SmallVector<APFloat> qFloat;
  if (!intType)
    qFloat.assign(count, APFloat(0.0f));
  auto quantizeOne = [&](int64_t i, double value) -> double {
    int64_t slot = slotOf(i);
    float scale = scales[slot];
    if (asymmetric) {
      // Codes 0 .. 2^bits - 1 in the unsigned reading of the iN pattern;
      // the dequantization rounds q * s (exact) + m once in f32, as the
      // product's payload does.
      float v = (static_cast<float>(value) - offsets[slot]) / scale;
      v = std::min(std::max(v, 0.0f), static_cast<float>(levels));
      uint64_t q = static_cast<uint64_t>(std::nearbyint(v));
      qInt[i] = APInt(intType.getWidth(), q, /*isSigned=*/false);
      return static_cast<float>(q) * scale + offsets[slot];
    }
    float v = static_cast<float>(value) / scale;
    v = std::min(std::max(v, static_cast<float>(-spec.qmax)), static_cast<float>(spec.qmax));
    if (intType) {
      int64_t q = static_cast<int64_t>(std::nearbyint(v));
      qInt[i] = APInt(intType.getWidth(), q, /*isSigned=*/true);
      return static_cast<float>(q) * scale;
    }
    qFloat[i] = convertFloat(APFloat(v), cast<FloatType>(spec.weightType).getFloatSemantics(),
                             RoundingMode::NearestEven, /*saturate=*/true);
    APFloat back = qFloat[i];
    bool lost;
    back.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    return back.convertToFloat() * scale;
  };
  std::vector<float> error(count);
  if (gptq) {
    // GPTQ: quantize input channel by input channel and push each rounding
    // error onto the channels not yet quantized, weighted by the upper
    // Cholesky factor U of the inverse Hessian (H = E[x x^T]).
    int64_t numK = shape[gptq->position], inner = 1;
    for (int64_t p = shape.size() - 1; p > gptq->position; --p)
      inner *= shape[p];
    int64_t outer = count / (numK * inner);
    std::vector<double> work(count);
    for (int64_t i = 0; i < count; ++i)
      work[i] = valueAt(i);
    const std::vector<double> &u = gptq->upper;
    for (int64_t k = 0; k < numK; ++k)
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t in = 0; in < inner; ++in) {
          int64_t i = (o * numK + k) * inner + in;
          double deq = quantizeOne(i, work[i]);
          double e = (work[i] - deq) / u[k * numK + k];
          for (int64_t j = k + 1; j < numK; ++j)
            work[(o * numK + j) * inner + in] -= e * u[k * numK + j];
          error[i] = static_cast<float>(deq - valueAt(i));
        }
  } else {
    for (int64_t i = 0; i < count; ++i)
      error[i] = static_cast<float>(quantizeOne(i, valueAt(i)) - valueAt(i));
  }
  DenseElementsAttr quantized = intType ? DenseElementsAttr::get(valueType, qInt)
                                        : DenseElementsAttr::get(valueType, qFloat);
  auto scaleTensor = RankedTensorType::get(scaleShape, scaleType);
  return QuantizedWeight{quantized, DenseElementsAttr::get(scaleTensor, scaleValues),
                         asymmetric ? DenseElementsAttr::get(scaleTensor, offsetValues)
                                    : DenseElementsAttr(),
                         std::move(error), *std::max_element(amax.begin(), amax.end())};
}

/// The map `map` (over the contraction's loops) over its parallel loops only.
AffineMap dropReductionDims(const Contraction &c, AffineMap map) {
  MLIRContext *ctx = map.getContext();
  SmallVector<AffineExpr> replacements;
  unsigned next = 0;
  for (unsigned d = 0; d < c.iterators.size(); ++d)
    replacements.push_back(isReduction(c, d) ? getAffineConstantExpr(0, ctx)
                                             : getAffineDimExpr(next++, ctx));
  return map.replaceDimsAndSymbols(replacements, {}, next, 0);
}

/// True when `init` is all zeros (a fill of 0 or a zero constant).
bool isZeroInit(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(init, m_AnyZeroFloat());
}

std::string typeName(Type type);

class Quantizer {
public:
  Quantizer(const QuantSpec &base, bool remarks) : base(base), remarks(remarks) {}

  /// Rewrites `op` when it is a quantizable decided contraction. Returns
  /// true when rewritten.
  bool run(Operation *op);

private:
  /// Not rewritten: a remark, or an error when the decision itself asked for
  /// a quantized format (nothing else could honor it).
  void skip(Operation *op, const Twine &why) {
    if (required) {
      op->emitError() << "mp-insert-scaling: cannot quantize as " << getDecision(op).getFormat()
                      << ": " << why;
      failedAny = true;
    } else if (remarks) {
      op->emitRemark() << "mp-insert-scaling: " << spec.name() << " not applied: " << why;
    }
  }

public:
  bool failedAny = false;

private:
  std::optional<double> staticAbsMax(Value v);
  /// Sets `spec` from a decision whose format is itself quantized (fp8, i8,
  /// i4: a per-op request from a policy file, an attribute or a pin); false
  /// with a remark when the format cannot be honored for `op`.
  bool specFromFormat(Operation *op, FormatAttr format, const Contraction &c);

  const QuantSpec &base; ///< from the pass options / policy
  QuantSpec spec;        ///< for the op being rewritten
  bool required = false; ///< the decision names a quantized format
  bool remarks;
};

/// The calibration name of a value: "<function>.arg<N>" for an entry
/// argument (as mp-run --calibrate writes it), else its op's stable name.
std::optional<std::string> calibrationName(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (!func || arg.getOwner() != &func.getBody().front())
      return std::nullopt;
    return (func.getSymName() + ".arg" + Twine(arg.getArgNumber())).str();
  }
  return getStableName(v.getDefiningOp());
}

std::optional<double> Quantizer::staticAbsMax(Value v) {
  if (!spec.calibration)
    return std::nullopt;
  std::optional<std::string> name = calibrationName(v);
  if (!name)
    return std::nullopt;
  auto it = spec.calibration->find(*name);
  if (it == spec.calibration->end())
    return std::nullopt;
  return it->second;
}

std::string typeName(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// Multiplies `x` by `factors` along its last dimension (a generic).
Value scaleLastDim(OpBuilder &b, Location loc, Value x, ArrayRef<double> factors,
                   StringRef mark) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  Type element = type.getElementType();
  SmallVector<Attribute> values;
  for (double f : factors)
    values.push_back(b.getFloatAttr(element, f));
  auto factorType = RankedTensorType::get({static_cast<int64_t>(factors.size())}, element);
  Value table = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(factorType, values));
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap last = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx), ctx);
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), element);
  SmallVector<utils::IteratorType> parallel(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{x, table}, ValueRange{empty},
      ArrayRef<AffineMap>{identity, last, identity}, parallel,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, arith::MulFOp::create(nb, nloc, args[0], args[1]).getResult());
      });
  op->setAttr(MPDialect::getScalingAttrName(), b.getStringAttr(mark));
  return op.getResult(0);
}

bool Quantizer::specFromFormat(Operation *op, FormatAttr format, const Contraction &c) {
  Type element = format.getElementType();
  Type acc = format.getAccumulator();
  if (isa<Float8E4M3FNType, Float8E5M2Type>(element)) {
    spec.mode = QuantMode::FP8;
    spec.weightType = spec.activationType = element;
    spec.qmax = largestFinite(cast<FloatType>(element));
  } else if (element.isInteger(8) && acc && acc.isInteger(32)) {
    spec.mode = QuantMode::W8A8;
    spec.weightType = spec.activationType = element;
    spec.qmax = 127;
  } else if (element.isInteger(8)) {
    spec.mode = QuantMode::W8A16;
    spec.weightType = element;
    spec.qmax = 127;
  } else if (element.isInteger(4)) {
    spec.mode = QuantMode::W4A16;
    spec.weightType = element;
    spec.qmax = 7;
  } else {
    return false;
  }
  // The scheme describes the weight (the constant operand): per_channel on an
  // output dimension, per_group along the reduction.
  int weightIndex = getConstantThroughReshapes(c.rhs)   ? 1
                    : getConstantThroughReshapes(c.lhs) ? 0
                                                        : -1;
  spec.weightPerTensor = format.getScale() == ScaleKind::PerTensor;
  if (weightIndex >= 0 && format.getScale() != ScaleKind::PerTensor) {
    int64_t axis = format.getAxis();
    AffineMap map = c.maps[weightIndex];
    if (axis < 0 || axis >= map.getNumResults()) {
      skip(op, "the format's axis " + Twine(axis) + " is not a dimension of the weight");
      return false;
    }
    bool reduction = isReduction(c, cast<AffineDimExpr>(map.getResult(axis)).getPosition());
    if (format.getScale() == ScaleKind::PerChannel && reduction) {
      skip(op, "per_channel(axis = " + Twine(axis) +
                   ") runs along the reduction; scales must vary over output channels");
      return false;
    }
    if (format.getScale() == ScaleKind::PerGroup) {
      if (!reduction || !spec.weightOnly()) {
        skip(op, "per_group scales are supported for weight-only i8/i4 weights (no "
                 "quantized accumulator) along the reduction only");
        return false;
      }
      spec.groupSize = format.getGroupSize();
    }
  }
  if (!spec.weightOnly())
    spec.asymmetric = false; // fp8 / w8a8 products need symmetric operands
  if (format.getScale() != ScaleKind::PerGroup) {
    // i4 per channel: one group spanning the whole reduction; i8: no groups.
    spec.groupSize = spec.mode == QuantMode::W4A16 ? std::numeric_limits<int64_t>::max() : 0;
  }
  return true;
}

bool Quantizer::run(Operation *op) {
  DecisionAttr decision = getDecision(op);
  if (!decision || !decision.isContraction())
    return false;
  spec = base;
  required = false;
  std::string why;
  FailureOr<Contraction> match = matchContraction(op, why);
  FormatAttr format = decision.getFormat();
  Type element = format.getElementType();
  bool quantizedFormat = isa<IntegerType, Float8E4M3FNType, Float8E5M2Type>(element);
  if (quantizedFormat) {
    required = true;
    if (failed(match)) {
      skip(op, why);
      return false;
    }
    if (!specFromFormat(op, format, *match))
      return false;
  } else {
    if (spec.mode == QuantMode::None)
      return false;
    if (decision.getForced()) {
      skip(op, "the user forced " + typeName(element));
      return false;
    }
    if (element.isF32() || element.isF64() || !decision.getCompute().isF32()) {
      skip(op, "its decision keeps it in " + typeName(element));
      return false;
    }
    if (failed(match)) {
      skip(op, why);
      return false;
    }
  }
  // Activations that stay 16-bit (weight-only formats, outlier channels)
  // take the decision's type, bf16 when the decision names a quantized one.
  Type storage = quantizedFormat ? Type(BFloat16Type::get(op->getContext()))
                                 : decision.getStorageType();
  Contraction &c = *match;
  MLIRContext *ctx = op->getContext();
  Location loc = op->getLoc();
  OpBuilder b(op);
  Type f32 = b.getF32Type();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());

  // The weight: a constant operand (the right one when both are).
  int weightIndex = -1;
  ElementsAttr weightAttr;
  if ((weightAttr = getConstantThroughReshapes(c.rhs)))
    weightIndex = 1;
  else if ((weightAttr = getConstantThroughReshapes(c.lhs)))
    weightIndex = 0;
  std::optional<SmallVector<APFloat>> weightValues;
  if (weightIndex >= 0)
    weightValues = readFloatConstant(weightAttr);
  if (weightIndex >= 0 && !weightValues) {
    skip(op, "its constant operand cannot be read");
    return false;
  }
  if (spec.weightOnly() && weightIndex < 0) {
    skip(op, "no operand is a constant weight (weight-only quantization)");
    return false;
  }

  std::string mark;
  llvm::raw_string_ostream markOs(mark);
  auto setMark = [&](Operation *o) {
    o->setAttr(MPDialect::getScalingAttrName(), b.getStringAttr(mark));
    if (Attribute name = op->getAttr(MPDialect::getNameAttrName()))
      o->setAttr(MPDialect::getNameAttrName(), name);
  };

  // The weight's values (a splat expanded), adjusted below.
  Value operands[2] = {c.lhs, c.rhs};
  SmallVector<APFloat> weightVals;
  int actIndex = weightIndex >= 0 ? 1 - weightIndex : -1;
  if (weightIndex >= 0) {
    int64_t count = cast<RankedTensorType>(operands[weightIndex].getType()).getNumElements();
    weightVals.reserve(count);
    for (int64_t i = 0; i < count; ++i)
      weightVals.push_back((*weightValues)[weightValues->size() == 1 ? 0 : i]);
  }
  // Calibration-driven adjustments (SmoothQuant, outlier channels, bias
  // correction) read the activation's per-channel statistics over its last
  // dimension, which must be the one reduction dimension.
  const ChannelStats *actStats = nullptr;
  int64_t weightK = -1, numK = 0;
  std::vector<double> smooth;
  auto kOf = [&](int64_t linear) {
    auto shape = cast<RankedTensorType>(operands[weightIndex].getType()).getShape();
    int64_t stride = 1;
    for (int64_t p = shape.size() - 1; p > weightK; --p)
      stride *= shape[p];
    return (linear / stride) % shape[weightK];
  };
  bool adjusts = spec.biasCorrection || spec.gptq ||
                 (!spec.weightOnly() && (spec.smoothAlpha > 0 || spec.outlierThreshold > 0));
  if (adjusts && weightIndex >= 0) {
    SmallVector<unsigned> actReduced = positions(c, c.maps[actIndex], /*reduction=*/true);
    SmallVector<unsigned> weightReduced = positions(c, c.maps[weightIndex], /*reduction=*/true);
    auto actType = cast<RankedTensorType>(operands[actIndex].getType());
    if (actReduced.size() != 1 || weightReduced.size() != 1 ||
        actReduced[0] != actType.getRank() - 1) {
      skip(op, "calibration-based adjustments need one reduction dimension, the "
               "activation's last");
      return false;
    }
    weightK = weightReduced[0];
    numK = actType.getDimSize(actReduced[0]);
    std::optional<std::string> name = calibrationName(operands[actIndex]);
    if (spec.channels && name) {
      auto it = spec.channels->find(*name);
      if (it != spec.channels->end() && static_cast<int64_t>(it->second.absMax.size()) == numK)
        actStats = &it->second;
    }
    if (!actStats) {
      skip(op, "no per-channel calibration of its activation '" +
                   (name ? *name : std::string("?")) + "' (mp-run --calibrate)");
      return false;
    }
    smooth.assign(numK, 1.0);
  }
  auto weightFloat = [&](int64_t i) {
    APFloat v = weightVals[i];
    bool lost;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    return v.convertToFloat();
  };
  if (actStats && !spec.weightOnly() && spec.smoothAlpha > 0) {
    // SmoothQuant: x_k / s_k and s_k * w_k, with s_k = ax_k^a / aw_k^(1-a)
    // rounded to a power of two, so both rescalings are exact.
    std::vector<double> weightMax(numK, 0.0);
    for (int64_t i = 0, e = weightVals.size(); i < e; ++i)
      weightMax[kOf(i)] = std::max<double>(weightMax[kOf(i)], std::fabs(weightFloat(i)));
    std::vector<double> inverse(numK, 1.0);
    for (int64_t k = 0; k < numK; ++k) {
      double ax = actStats->absMax[k], aw = weightMax[k];
      if (ax > 0 && aw > 0) {
        double t = std::pow(ax, spec.smoothAlpha) / std::pow(aw, 1.0 - spec.smoothAlpha);
        int e = std::clamp(static_cast<int>(std::lround(std::log2(t))), -30, 30);
        smooth[k] = std::ldexp(1.0, e);
        inverse[k] = std::ldexp(1.0, -e);
      }
    }
    for (int64_t i = 0, e = weightVals.size(); i < e; ++i)
      weightVals[i] = APFloat(static_cast<float>(weightFloat(i) * smooth[kOf(i)]));
    operands[actIndex] = scaleLastDim(b, loc, operands[actIndex], inverse,
                                      "smoothquant: activation / s (powers of two)");
    markOs << "smoothquant alpha=" << spec.smoothAlpha << "; ";
  }
  if (actStats && !spec.weightOnly() && spec.outlierThreshold > 0) {
    // LLM.int8-style: activation channels whose calibrated |x| (after
    // smoothing) exceeds the threshold go through a bf16 product with f32
    // accumulation; the quantized product sees them as zeros.
    SmallVector<int64_t> outliers;
    for (int64_t k = 0; k < numK; ++k)
      if (actStats->absMax[k] / smooth[k] > spec.outlierThreshold)
        outliers.push_back(k);
    if (!outliers.empty()) {
      int64_t numOut = outliers.size();
      auto actType = cast<RankedTensorType>(operands[actIndex].getType());
      unsigned rank = actType.getRank();
      SmallVector<int64_t> compactShape(actType.getShape());
      compactShape.back() = numOut;
      auto indexType = RankedTensorType::get({numOut}, b.getIndexType());
      Value table = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(indexType, llvm::to_vector(llvm::map_range(
                                                        outliers, [&](int64_t k) -> Attribute {
                                                          return b.getIndexAttr(k);
                                                        }))));
      Value source = operands[actIndex];
      Value empty = tensor::EmptyOp::create(b, loc, compactShape, storage);
      SmallVector<utils::IteratorType> parallel(rank, utils::IteratorType::parallel);
      auto gather = linalg::GenericOp::create(
          b, loc, TypeRange{RankedTensorType::get(compactShape, storage)}, ValueRange{},
          ValueRange{empty}, ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, ctx)},
          parallel, [&](OpBuilder &nb, Location nloc, ValueRange) {
            SmallVector<Value> indices;
            for (unsigned d = 0; d < rank; ++d)
              indices.push_back(linalg::IndexOp::create(nb, nloc, d));
            indices.back() = tensor::ExtractOp::create(nb, nloc, table, indices.back());
            Value v = tensor::ExtractOp::create(nb, nloc, source, indices);
            linalg::YieldOp::create(nb, nloc, convertScalar(nb, nloc, v, storage));
          });
      gather->setAttr(MPDialect::getScalingAttrName(),
                      b.getStringAttr("outlier channels: gather"));
      // The weight's outlier rows, rounded to the storage type.
      auto weightType = cast<RankedTensorType>(operands[weightIndex].getType());
      SmallVector<int64_t> rowShape(weightType.getShape());
      rowShape[weightK] = numOut;
      SmallVector<APFloat> rows;
      llvm::DenseMap<int64_t, int64_t> outlierSlot;
      for (auto [j, k] : llvm::enumerate(outliers))
        outlierSlot[k] = j;
      // Row-major over rowShape: walk the full weight and keep outlier rows.
      std::vector<std::pair<int64_t, APFloat>> kept;
      int64_t stride = 1;
      for (int64_t p = weightType.getRank() - 1; p > weightK; --p)
        stride *= weightType.getDimSize(p);
      for (int64_t i = 0, e = weightVals.size(); i < e; ++i) {
        auto it = outlierSlot.find(kOf(i));
        if (it == outlierSlot.end())
          continue;
        int64_t outer = i / (stride * weightType.getDimSize(weightK));
        int64_t inner = i % stride;
        int64_t position = (outer * numOut + it->second) * stride + inner;
        APFloat v(weightFloat(i));
        bool lost;
        v.convert(cast<FloatType>(storage).getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &lost);
        kept.push_back({position, v});
        weightVals[i] = APFloat(0.0f);
      }
      llvm::sort(kept, [](const auto &x, const auto &y) { return x.first < y.first; });
      for (auto &entry : kept)
        rows.push_back(entry.second);
      Value rowConst = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(RankedTensorType::get(rowShape, storage), rows));
      Value init = c.init;
      if (!getElementTypeOrSelf(init.getType()).isF32())
        init = CastOp::create(b, loc, RankedTensorType::get(resultType.getShape(), f32), init);
      SmallVector<Value> ins = actIndex == 0 ? SmallVector<Value>{gather.getResult(0), rowConst}
                                             : SmallVector<Value>{rowConst, gather.getResult(0)};
      auto outlierProduct = linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, c.maps, c.iterators,
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value p = arith::MulFOp::create(nb, nloc, convertScalar(nb, nloc, args[0], f32),
                                            convertScalar(nb, nloc, args[1], f32));
            linalg::YieldOp::create(nb, nloc, arith::AddFOp::create(nb, nloc, args[2], p).getResult());
          });
      outlierProduct->setAttr(MPDialect::getScalingAttrName(),
                              b.getStringAttr("outlier channels: " + Twine(numOut) + " in " +
                                              typeName(storage) + ", f32 accumulation"));
      c.init = outlierProduct.getResult(0);
      if (c.init.getType() != resultType)
        c.init = CastOp::create(b, loc, resultType, c.init);
      // The quantized product sees the outlier channels as zeros.
      std::vector<double> mask(numK, 1.0);
      for (int64_t k : outliers)
        mask[k] = 0.0;
      operands[actIndex] =
          scaleLastDim(b, loc, operands[actIndex], mask, "outlier channels: masked");
      markOs << numOut << " outlier channel(s) (|x| > " << spec.outlierThreshold << ") in "
             << storage << "; ";
    }
  }

  std::optional<GPTQFactor> gptq;
  if (actStats && spec.gptq) {
    if (actStats->gram.empty()) {
      skip(op, "gptq needs the activation's second moments (mp-run --calibrate "
               "--calibrate-gram)");
      return false;
    }
    // The smoothed activation is x / s: its second moments are H_kj / (s_k s_j).
    std::vector<double> h = actStats->gram;
    for (int64_t k = 0; k < numK; ++k)
      for (int64_t j = 0; j < numK; ++j)
        h[k * numK + j] /= smooth[k] * smooth[j];
    std::optional<std::vector<double>> upper = gptqFactor(std::move(h), numK);
    if (!upper) {
      skip(op, "the calibrated second-moment matrix is not positive definite even with damping");
      return false;
    }
    gptq = GPTQFactor{std::move(*upper), weightK};
    markOs << "gptq; ";
  }

  Value result;
  std::vector<float> weightError;
  float weightMaxAbs = 0;
  if (spec.weightOnly()) {
    // Activation rounded to the decision's storage; weight q * s (f16 s:
    // exact in f32) formed inside the product.
    Value act = operands[actIndex];
    AffineMap actMap = c.maps[actIndex], weightMap = c.maps[weightIndex];
    auto weightType = cast<RankedTensorType>(operands[weightIndex].getType());
    SmallVector<unsigned> weightReduced = positions(c, weightMap, /*reduction=*/true);
    SmallVector<unsigned> weightKept = positions(c, weightMap, /*reduction=*/false);
    int64_t groupPos = -1, group = 0;
    if (spec.groupSize > 0) {
      if (weightReduced.size() != 1) {
        skip(op, "group quantization needs exactly one reduction dimension");
        return false;
      }
      int64_t k = weightType.getDimSize(weightReduced[0]);
      group = std::min<int64_t>(spec.groupSize, k);
      // A reduction size the group does not divide (SmolLM2's 576 with
      // groups of 128) takes the largest divisor below the group size, as
      // long as the scales stay at most 4x as many.
      int64_t wanted = group;
      while (k % group != 0)
        --group;
      if (group * 4 < wanted) {
        skip(op, "the reduction size " + Twine(k) + " has no divisor between " +
                     Twine((wanted + 3) / 4) + " and the group size " + Twine(wanted));
        return false;
      }
      groupPos = weightReduced[0];
    }
    if (spec.weightPerTensor && groupPos < 0)
      weightKept.clear();
    FailureOr<QuantizedWeight> quantized =
        quantizeWeight(weightVals, weightType.getShape(), weightKept, groupPos, group, spec,
                       b.getF16Type(), why, gptq ? &*gptq : nullptr);
    if (failed(quantized)) {
      skip(op, why);
      return false;
    }
    weightError = std::move(quantized->error);
    weightMaxAbs = quantized->maxAbs;
    if (auto actType = cast<RankedTensorType>(act.getType()); actType.getElementType() != storage) {
      act = CastOp::create(b, loc, RankedTensorType::get(actType.getShape(), storage), act);
    }
    Value q = arith::ConstantOp::create(b, loc, quantized->values);
    Value scales = arith::ConstantOp::create(b, loc, quantized->scales);
    Value offsets = quantized->offsets
                        ? arith::ConstantOp::create(b, loc, quantized->offsets).getResult()
                        : Value();

    SmallVector<AffineMap> maps;
    SmallVector<utils::IteratorType> iterators = c.iterators;
    AffineMap scaleMap;
    if (groupPos >= 0) {
      // Split the reduction loop k into (k, i): the group index stays k, the
      // position inside the group is a new innermost loop.
      unsigned kDim = cast<AffineDimExpr>(weightMap.getResult(groupPos)).getPosition();
      unsigned numDims = c.iterators.size() + 1;
      AffineExpr inner = getAffineDimExpr(numDims - 1, ctx);
      auto split = [&](AffineMap map) {
        SmallVector<AffineExpr> exprs;
        for (AffineExpr e : map.getResults()) {
          exprs.push_back(e);
          if (cast<AffineDimExpr>(e).getPosition() == kDim)
            exprs.push_back(inner);
        }
        return AffineMap::get(numDims, 0, exprs, ctx);
      };
      auto widen = [&](AffineMap map) { return AffineMap::get(numDims, 0, map.getResults(), ctx); };
      // The activation takes the split shape through expand_shape.
      auto actType = cast<RankedTensorType>(act.getType());
      unsigned actPos = *actMap.getResultPosition(getAffineDimExpr(kDim, ctx));
      SmallVector<int64_t> expanded;
      SmallVector<ReassociationIndices> reassociation;
      for (unsigned p = 0; p < actType.getRank(); ++p) {
        if (p == actPos) {
          reassociation.push_back({static_cast<int64_t>(expanded.size()),
                                   static_cast<int64_t>(expanded.size() + 1)});
          expanded.push_back(actType.getDimSize(p) / group);
          expanded.push_back(group);
        } else {
          reassociation.push_back({static_cast<int64_t>(expanded.size())});
          expanded.push_back(actType.getDimSize(p));
        }
      }
      act = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get(expanded, actType.getElementType()), act, reassociation);
      AffineMap actSplit = split(actMap), weightSplit = split(weightMap);
      scaleMap = widen(weightMap); // k indexes the group
      maps = {actIndex == 0 ? actSplit : weightSplit, actIndex == 0 ? weightSplit : actSplit,
              scaleMap, widen(c.maps[2])};
      iterators.push_back(utils::IteratorType::reduction);
    } else {
      scaleMap = weightMap.getSubMap(weightKept);
      maps = {c.maps[0], c.maps[1], scaleMap, c.maps[2]};
    }
    if (offsets) // the offsets share the scales' shape and map
      maps.insert(maps.begin() + 3, scaleMap);
    Value init = c.init;
    if (!getElementTypeOrSelf(init.getType()).isF32())
      init = CastOp::create(b, loc, RankedTensorType::get(resultType.getShape(), f32), init);
    SmallVector<Value> inputs = actIndex == 0 ? SmallVector<Value>{act, q, scales}
                                              : SmallVector<Value>{q, act, scales};
    if (offsets)
      inputs.push_back(offsets);
    auto product = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iterators,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value a = convertScalar(nb, nloc, args[actIndex], f32);
          // Symmetric: sitofp(q) * s. Asymmetric: uitofp(q) * s + m (the
          // product q * s is exact in f32, the sum rounds once).
          Value w = offsets ? arith::UIToFPOp::create(nb, nloc, f32, args[weightIndex]).getResult()
                            : arith::SIToFPOp::create(nb, nloc, f32, args[weightIndex]).getResult();
          w = arith::MulFOp::create(nb, nloc, w, convertScalar(nb, nloc, args[2], f32));
          if (offsets)
            w = arith::AddFOp::create(nb, nloc, w, convertScalar(nb, nloc, args[3], f32));
          Value p = arith::MulFOp::create(nb, nloc, a, w);
          linalg::YieldOp::create(nb, nloc,
                                  arith::AddFOp::create(nb, nloc, args.back(), p).getResult());
        });
    markOs << spec.name() << ": " << spec.weightType << " weights "
           << (groupPos >= 0 ? "per group of " + std::to_string(group)
               : spec.weightPerTensor ? std::string("per tensor") : std::string("per channel"))
           << (offsets ? " (asymmetric: f16 scales and offsets)" : " (f16 scales)") << ", "
           << storage << " activations, f32 accumulation";
    setMark(product);
    result = product.getResult(0);
  } else {
    // fp8 / w8a8: both operands quantized; scales on the accumulator.
    Value quantized[2], scales[2];
    SmallVector<AffineMap> scaleMaps(2);
    for (int i = 0; i < 2; ++i) {
      Value operand = operands[i];
      auto type = cast<RankedTensorType>(operand.getType());
      SmallVector<unsigned> kept = positions(c, c.maps[i], /*reduction=*/false);
      if (i == weightIndex) {
        if (spec.weightPerTensor)
          kept.clear();
        FailureOr<QuantizedWeight> q =
            quantizeWeight(weightVals, type.getShape(), kept, -1, 0, spec, cast<FloatType>(f32),
                           why, gptq ? &*gptq : nullptr);
        if (failed(q)) {
          skip(op, why);
          return false;
        }
        weightError = std::move(q->error);
        weightMaxAbs = q->maxAbs;
        quantized[i] = arith::ConstantOp::create(b, loc, q->values);
        scales[i] = arith::ConstantOp::create(b, loc, q->scales);
      } else {
        std::optional<double> absMax;
        if (spec.staticActivations) {
          absMax = staticAbsMax(operand);
          if (!absMax) {
            skip(op, "static activation scales need a calibrated range for operand " + Twine(i));
            return false;
          }
          kept.clear();
        } else if (spec.activationPerTensor) {
          kept.clear();
        }
        markOs.flush();
        std::string actMark = (spec.name() + " activation scales").str();
        std::tie(quantized[i], scales[i]) =
            quantizeAtRunTime(b, loc, operand, kept, spec, absMax, actMark);
      }
      scaleMaps[i] = dropReductionDims(c, c.maps[i].getSubMap(kept));
    }
    bool integer = spec.integer();
    Type accType = integer ? Type(b.getI32Type()) : f32;
    Value accInit = filled(b, loc, resultType.getShape(), accType,
                           integer ? TypedAttr(b.getI32IntegerAttr(0)) : TypedAttr(b.getF32FloatAttr(0.0f)));
    auto product = linalg::GenericOp::create(
        b, loc, TypeRange{accInit.getType()}, ValueRange{quantized[0], quantized[1]},
        ValueRange{accInit}, c.maps, c.iterators,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value p;
          if (integer) {
            Value a = arith::ExtSIOp::create(nb, nloc, accType, args[0]);
            Value w = arith::ExtSIOp::create(nb, nloc, accType, args[1]);
            p = arith::AddIOp::create(nb, nloc, args[2], arith::MulIOp::create(nb, nloc, a, w));
          } else {
            Value a = arith::ExtFOp::create(nb, nloc, f32, args[0]);
            Value w = arith::ExtFOp::create(nb, nloc, f32, args[1]);
            p = arith::AddFOp::create(nb, nloc, args[2], arith::MulFOp::create(nb, nloc, a, w));
          }
          linalg::YieldOp::create(nb, nloc, p);
        });
    markOs << spec.name() << ": " << spec.activationType << " x " << spec.weightType << ", "
           << (integer ? "i32" : "f32") << " accumulation; activation scales "
           << (spec.staticActivations ? "static per tensor"
               : spec.activationPerTensor ? "dynamic per tensor" : "dynamic per token")
           << ", weight scales " << (spec.weightPerTensor ? "per tensor" : "per channel");
    setMark(product);

    // Epilogue: acc * s_lhs * s_rhs (+ the original init), in f32.
    bool zeroInit = isZeroInit(c.init);
    AffineMap outMap = dropReductionDims(c, c.maps[2]);
    SmallVector<Value> inputs = {product.getResult(0), scales[0], scales[1]};
    SmallVector<AffineMap> maps = {outMap, scaleMaps[0], scaleMaps[1]};
    if (!zeroInit) {
      inputs.push_back(c.init);
      maps.push_back(outMap);
    }
    maps.push_back(outMap);
    Value empty = tensor::EmptyOp::create(b, loc, resultType.getShape(), resultType.getElementType());
    SmallVector<utils::IteratorType> parallel(outMap.getNumDims(), utils::IteratorType::parallel);
    auto epilogue = linalg::GenericOp::create(
        b, loc, TypeRange{resultType}, inputs, ValueRange{empty}, maps, parallel,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value acc = integer ? arith::SIToFPOp::create(nb, nloc, f32, args[0]).getResult() : args[0];
          Value v = arith::MulFOp::create(nb, nloc, acc, args[1]);
          v = arith::MulFOp::create(nb, nloc, v, args[2]);
          if (!zeroInit)
            v = arith::AddFOp::create(nb, nloc, convertScalar(nb, nloc, args[3], f32), v);
          linalg::YieldOp::create(nb, nloc, convertScalar(nb, nloc, v, resultType.getElementType()));
        });
    setMark(epilogue);
    result = epilogue.getResult(0);
  }
  if (actStats && spec.biasCorrection && !weightError.empty()) {
    // Bias correction: the weight's quantization error times the
    // activation's calibrated channel means, subtracted per output channel:
    // E[x (W_q - W)] = E[x] (W_q - W).
    auto weightShape = cast<RankedTensorType>(operands[weightIndex].getType()).getShape();
    SmallVector<unsigned> kept = positions(c, c.maps[weightIndex], /*reduction=*/false);
    SmallVector<int64_t> corrShape;
    for (unsigned p : kept)
      corrShape.push_back(weightShape[p]);
    int64_t slots = 1;
    for (int64_t d : corrShape)
      slots *= d;
    std::vector<double> correction(slots, 0.0);
    SmallVector<int64_t> index(weightShape.size());
    for (int64_t i = 0, e = weightError.size(); i < e; ++i) {
      int64_t linear = i;
      for (int64_t p = weightShape.size() - 1; p >= 0; --p) {
        index[p] = linear % weightShape[p];
        linear /= weightShape[p];
      }
      int64_t slot = 0;
      for (unsigned p : kept)
        slot = slot * weightShape[p] + index[p];
      int64_t k = index[weightK];
      correction[slot] -= actStats->mean[k] / smooth[k] * weightError[i];
    }
    SmallVector<Attribute> values;
    for (double v : correction)
      values.push_back(b.getF32FloatAttr(static_cast<float>(v)));
    Value corr = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(RankedTensorType::get(corrShape, f32), values));
    auto type = cast<RankedTensorType>(result.getType());
    AffineMap outMap = dropReductionDims(c, c.maps[2]);
    AffineMap corrMap = dropReductionDims(c, c.maps[weightIndex].getSubMap(kept));
    Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
    SmallVector<utils::IteratorType> parallel(outMap.getNumDims(), utils::IteratorType::parallel);
    auto add = linalg::GenericOp::create(
        b, loc, TypeRange{type}, ValueRange{result, corr}, ValueRange{empty},
        ArrayRef<AffineMap>{outMap, corrMap, outMap}, parallel,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value v = arith::AddFOp::create(nb, nloc, convertScalar(nb, nloc, args[0], f32), args[1]);
          linalg::YieldOp::create(nb, nloc, convertScalar(nb, nloc, v, type.getElementType()));
        });
    add->setAttr(MPDialect::getScalingAttrName(),
                 b.getStringAttr("bias correction (calibrated channel means)"));
    markOs << "; bias-corrected";
    result = add.getResult(0);
  }
  if (result.getType() != resultType)
    result = CastOp::create(b, loc, resultType, result);
  if (remarks) {
    // The weights' own rounding (what bias correction and gptq act on),
    // measured against the values the model shipped.
    float maxError = 0;
    for (float e : weightError)
      maxError = std::max(maxError, std::fabs(e));
    InFlightDiagnostic remark = op->emitRemark() << "mp-insert-scaling: " << mark;
    if (!weightError.empty())
      remark << "; weight error: max |dequantized - original| = " << maxError << " ("
             << (weightMaxAbs > 0 ? maxError / weightMaxAbs : 0.0f) << " of max |w|)";
  }
  op->getResult(0).replaceAllUsesWith(result);
  op->erase();
  return true;
}


//===----------------------------------------------------------------------===//
// The f16 overflow guard
//===----------------------------------------------------------------------===//

class F16Guard {
public:
  F16Guard(ModuleOp module, const llvm::StringMap<double> *calibration, bool remarks)
      : ranges(module, calibration), remarks(remarks) {}

  /// Guards the f16 results of `op` (decided f16, not a contraction).
  void run(Operation *op);

private:
  /// True when `use` can undo a scale of its operand: an input of a
  /// linalg.generic (multiplied back after the widening in its payload) or
  /// of a contraction whose accumulator starts at zero (its result is
  /// multiplied back).
  bool canUndo(OpOperand &use) const;
  void undo(OpOperand &use, double factor, StringRef mark);
  /// Keeps `op` in f32, and the ops that follow it or contract it.
  void widen(Operation *op, StringRef why);

  ValueRanges ranges;
  bool remarks;
  llvm::SmallPtrSet<Operation *, 16> widened;
};

bool F16Guard::canUndo(OpOperand &use) const {
  Operation *user = use.getOwner();
  auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
  if (!linalgOp || !linalgOp.isDpsInput(&use) || !linalgOp.hasPureTensorSemantics())
    return false;
  if (isa<linalg::GenericOp>(user))
    return true;
  std::string why;
  return succeeded(matchContraction(user, why)) &&
         isZeroInit(linalgOp.getDpsInitOperand(0)->get());
}

void F16Guard::undo(OpOperand &use, double factor, StringRef mark) {
  Operation *user = use.getOwner();
  if (auto generic = dyn_cast<linalg::GenericOp>(user)) {
    BlockArgument arg = generic.getMatchingBlockArgument(&use);
    OpBuilder b = OpBuilder::atBlockBegin(generic.getBody());
    Value c = floatConstant(b, user->getLoc(), arg.getType(), factor);
    Value scaled = arith::MulFOp::create(b, user->getLoc(), arg, c);
    arg.replaceAllUsesExcept(scaled, scaled.getDefiningOp());
    user->setAttr(MPDialect::getScalingAttrName(), b.getStringAttr(mark));
    return;
  }
  // A contraction is linear in each input: scale its result back.
  OpBuilder b(user->getContext());
  b.setInsertionPointAfter(user);
  Location loc = user->getLoc();
  Value result = user->getResult(0);
  auto type = cast<RankedTensorType>(result.getType());
  AffineMap identity = AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  Value empty = tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<utils::IteratorType> parallel(type.getRank(), utils::IteratorType::parallel);
  auto back = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{result}, ValueRange{empty},
      ArrayRef<AffineMap>{identity, identity}, parallel,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value c = floatConstant(nb, nloc, args[0].getType(), factor);
        linalg::YieldOp::create(nb, nloc, arith::MulFOp::create(nb, nloc, args[0], c).getResult());
      });
  back->setAttr(MPDialect::getScalingAttrName(), b.getStringAttr(mark));
  result.replaceAllUsesExcept(back.getResult(0), back);
}

void F16Guard::widen(Operation *op, StringRef why) {
  if (!widened.insert(op).second)
    return;
  DecisionAttr decision = getDecision(op);
  MLIRContext *ctx = op->getContext();
  Type f32 = Float32Type::get(ctx);
  FormatAttr format = decision.isContraction()
                          ? FormatAttr::get(ctx, f32, ScaleKind::None, -1, 0, false, f32)
                          : FormatAttr::get(ctx, f32);
  op->setAttr(MPDialect::getDecisionAttrName(),
              DecisionAttr::get(ctx, decision.getOpClass(), format, f32,
                                (decision.getRule() + "," + why).str(), decision.getForced()));
  if (remarks)
    op->emitRemark() << "mp-insert-scaling: f16 guard keeps this op in f32 (" << why << ")";
  if (decision.isContraction())
    return; // its result is the f32 accumulator
  for (Operation *user : op->getUsers()) {
    DecisionAttr d = getDecision(user);
    if (!d || d.getForced() || !d.getStorageType().isF16())
      continue;
    // Followers would round the wide value back to f16; contractions would
    // read it through a cast to f16.
    if (d.isContraction() || d.getRule().starts_with("follows-producers"))
      widen(user, "keeps-f32:range-of-input");
  }
}

void F16Guard::run(Operation *op) {
  const double f16Max = 65504.0;
  double absMax = 0;
  bool unbounded = false;
  for (Value result : op->getResults()) {
    if (!isa<FloatType>(getElementTypeOrSelf(result.getType())))
      continue;
    FloatRange range = ranges.getRange(result);
    if (!range.isBounded() || range.mayBeNaN)
      unbounded = true;
    else
      absMax = std::max(absMax, range.absMax());
  }
  if (unbounded) {
    if (remarks)
      op->emitRemark() << "mp-insert-scaling: f16 guard: the range of this f16 value is "
                          "unbounded (annotate inputs with mp.range, give a calibration file, or check "
                          "it at run time with f16-runtime-guard)";
    return;
  }
  if (absMax <= f16Max)
    return;
  // The smallest power of two that brings the range into f16.
  int k = static_cast<int>(std::ceil(std::log2(absMax / f16Max)));
  while (std::ldexp(absMax, -k) > f16Max)
    ++k;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  bool scalable = generic && generic.hasPureTensorSemantics() &&
                  generic.getNumReductionLoops() == 0 &&
                  llvm::all_of(generic.getDpsInitsMutable(), [&](OpOperand &init) {
                    return generic.getMatchingBlockArgument(&init).use_empty();
                  });
  SmallVector<OpOperand *> uses;
  for (Value result : op->getResults())
    for (OpOperand &use : result.getUses())
      uses.push_back(&use);
  for (OpOperand *use : uses)
    scalable &= canUndo(*use);
  std::string range = "|x| <= " + std::to_string(absMax);
  if (!scalable) {
    widen(op, "keeps-f32:range(" + range + ")");
    return;
  }
  std::string mark = "f16-guard 2^-" + std::to_string(k);
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  OpBuilder b(yield);
  for (OpOperand &operand : yield->getOpOperands()) {
    Value v = operand.get();
    Value c = floatConstant(b, yield.getLoc(), v.getType(), std::ldexp(1.0, -k));
    operand.set(arith::MulFOp::create(b, yield.getLoc(), v, c));
  }
  op->setAttr(MPDialect::getScalingAttrName(), b.getStringAttr(mark));
  std::string undoMark = "f16-guard undoes 2^-" + std::to_string(k);
  for (OpOperand *use : uses)
    undo(*use, std::ldexp(1.0, k), undoMark);
  if (remarks)
    op->emitRemark() << "mp-insert-scaling: f16 guard: " << range
                     << " exceeds 65504; stored scaled by 2^-" << k << ", undone in "
                     << uses.size() << " consumer(s)";
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct MPInsertScalingPass : mp::impl::MPInsertScalingBase<MPInsertScalingPass> {
  using MPInsertScalingBase::MPInsertScalingBase;

  void runOnOperation() override;
  LogicalResult buildSpec(QuantSpec &spec);
};

LogicalResult MPInsertScalingPass::buildSpec(QuantSpec &spec) {
  MLIRContext *ctx = &getContext();
  ModuleOp module = getOperation();
  auto fail = [&](const Twine &message) {
    module.emitError() << "mp-insert-scaling: " << message;
    return failure();
  };
  StringRef mode = quantize;
  if (mode.empty())
    if (auto policy = module->getAttrOfType<PolicyAttr>(MPDialect::getPolicyAttrName()))
      if (isQuantizationPolicy(policy.getName()))
        mode = policy.getName();
  if (mode == "none" || mode.empty())
    spec.mode = QuantMode::None;
  else if (mode == "fp8")
    spec.mode = QuantMode::FP8;
  else if (mode == "w8a8")
    spec.mode = QuantMode::W8A8;
  else if (mode == "w8a16")
    spec.mode = QuantMode::W8A16;
  else if (mode == "w4a16")
    spec.mode = QuantMode::W4A16;
  else
    return fail("unknown quantize mode '" + mode + "'; expected none, fp8, w8a8, w8a16 or w4a16");

  Type fp8;
  if (fp8Format == "e4m3")
    fp8 = Float8E4M3FNType::get(ctx);
  else if (fp8Format == "e5m2")
    fp8 = Float8E5M2Type::get(ctx);
  else
    return fail("unknown fp8-format '" + fp8Format + "'; expected e4m3 or e5m2");
  switch (spec.mode) {
  case QuantMode::FP8:
    spec.weightType = spec.activationType = fp8;
    spec.qmax = largestFinite(cast<FloatType>(fp8));
    break;
  case QuantMode::W8A8:
  case QuantMode::W8A16:
    spec.weightType = spec.activationType = IntegerType::get(ctx, 8);
    spec.qmax = 127;
    break;
  case QuantMode::W4A16:
    spec.weightType = IntegerType::get(ctx, 4);
    spec.qmax = 7;
    break;
  case QuantMode::None:
    break;
  }
  if (weightGranularity != "per-channel" && weightGranularity != "per-tensor" &&
      weightGranularity != "per-group")
    return fail("unknown weight-granularity '" + weightGranularity +
                "'; expected per-channel, per-tensor or per-group");
  spec.weightPerTensor = weightGranularity == "per-tensor";
  if (weightGranularity == "per-group" && spec.mode != QuantMode::None && !spec.weightOnly())
    return fail("weight-granularity=per-group applies to the weight-only modes w8a16 and w4a16");
  if (asymmetric && spec.mode != QuantMode::None && !spec.weightOnly())
    return fail("asymmetric applies to the weight-only modes w8a16 and w4a16 (fp8 and w8a8 "
                "products need symmetric operands)");
  spec.asymmetric = asymmetric;
  if (activationGranularity != "per-token" && activationGranularity != "per-tensor")
    return fail("unknown activation-granularity '" + activationGranularity +
                "'; expected per-token or per-tensor");
  spec.activationPerTensor = activationGranularity == "per-tensor";
  if (activationScales != "dynamic" && activationScales != "static")
    return fail("unknown activation-scales '" + activationScales +
                "'; expected dynamic or static");
  spec.staticActivations = activationScales == "static";
  if (spec.staticActivations && calibration.empty())
    return fail("activation-scales=static needs a calibration file (calibration=...)");
  if (groupSize <= 0)
    return fail("group-size must be positive, not " + Twine(groupSize));
  // w4a16 always groups (per channel is a format's choice); w8a16 on request.
  spec.groupSize =
      spec.mode == QuantMode::W4A16 || weightGranularity == "per-group" ? groupSize : 0;
  bool activationQuantized = spec.mode == QuantMode::FP8 || spec.mode == QuantMode::W8A8;
  if (!(smoothAlpha >= 0.0 && smoothAlpha <= 1.0))
    return fail("smooth-alpha must be in [0, 1], not " + Twine(std::to_string(static_cast<double>(smoothAlpha))));
  if (smoothAlpha > 0 && !activationQuantized)
    return fail("smooth-alpha applies to quantize=fp8 or w8a8 (quantized activations)");
  if (!(outlierThreshold >= 0.0))
    return fail("outlier-threshold must be >= 0, not " + Twine(std::to_string(static_cast<double>(outlierThreshold))));
  if (outlierThreshold > 0 && !activationQuantized)
    return fail("outlier-threshold applies to quantize=fp8 or w8a8 (quantized activations)");
  if ((biasCorrection || gptq) && spec.mode == QuantMode::None)
    return fail(Twine(gptq ? "gptq" : "bias-correction") + " needs a quantize mode");
  if ((smoothAlpha > 0 || outlierThreshold > 0 || biasCorrection || gptq) && calibration.empty())
    return fail("smooth-alpha, outlier-threshold, bias-correction and gptq need a calibration "
                "file with per-channel statistics (mp-run --calibrate)");
  spec.gptq = gptq;
  spec.smoothAlpha = smoothAlpha;
  spec.outlierThreshold = outlierThreshold;
  spec.biasCorrection = biasCorrection;
  return success();
}

void MPInsertScalingPass::runOnOperation() {
  ModuleOp module = getOperation();
  QuantSpec spec;
  if (failed(buildSpec(spec)))
    return signalPassFailure();
  llvm::StringMap<double> calibrationRanges;
  if (!calibration.empty()) {
    auto parsed = readCalibration(calibration);
    if (!parsed) {
      module.emitError() << "mp-insert-scaling: " << llvm::toString(parsed.takeError());
      return signalPassFailure();
    }
    calibrationRanges = std::move(*parsed);
    spec.calibration = &calibrationRanges;
  }
  llvm::StringMap<ChannelStats> channelStats;
  if (!calibration.empty() && (spec.smoothAlpha > 0 || spec.outlierThreshold > 0 ||
                               spec.biasCorrection || spec.gptq)) {
    auto parsed = readChannelCalibration(calibration);
    if (!parsed) {
      module.emitError() << "mp-insert-scaling: " << llvm::toString(parsed.takeError());
      return signalPassFailure();
    }
    channelStats = std::move(*parsed);
    spec.channels = &channelStats;
  }

  {
    // Every decided contraction: the policy's mode, or a quantized format the
    // decision itself names.
    SmallVector<Operation *> candidates;
    module.walk([&](linalg::LinalgOp op) {
      if (getDecision(op))
        candidates.push_back(op);
    });
    Quantizer quantizer(spec, remarks);
    for (Operation *op : candidates)
      quantizer.run(op);
    if (quantizer.failedAny)
      return signalPassFailure();
  }
  if (f16Guard) {
    SmallVector<Operation *> candidates;
    module.walk([&](Operation *op) {
      DecisionAttr decision = getDecision(op);
      if (decision && !decision.isContraction() && decision.getStorageType().isF16())
        candidates.push_back(op);
    });
    if (!candidates.empty()) {
      F16Guard guard(module, spec.calibration, remarks);
      for (Operation *op : candidates)
        guard.run(op);
    }
  }
}

} // namespace
