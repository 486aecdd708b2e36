//===- RangeAnalysis.cpp - value ranges of float tensors ------------------===//
//
// A sparse forward dataflow analysis over FloatRangeLattice. Interval ends
// are doubles rounded outward: exact operations stay exact (checked with
// error-free transformations), inexact ones move one ulp outward, libm
// results two ulps, and every result is rounded outward to its element type
// (so an f16 value beyond 65504 becomes infinite, as the hardware does).
//
// Linalg payloads are not solved by the framework: each linalg op evaluates
// its payload block by interval arithmetic, which lets it recognize sum and
// max/min reductions (init + N * term) where plain propagation through the
// loop-carried output argument would be unbounded.
//
//===----------------------------------------------------------------------===//

#include "mp/Analysis/RangeAnalysis.h"
#include "mp/Analysis/Classification.h"
#include "mp/Analysis/ConstantData.h"

#include "mlir/Analysis/DataFlow/ConstantPropagationAnalysis.h"
#include "mlir/Analysis/DataFlow/DeadCodeAnalysis.h"
#include "mlir/Analysis/DataFlow/SparseAnalysis.h"
#include "mlir/Analysis/DataFlowFramework.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Format.h"

#include <cfloat>
#include <climits>
#include <cmath>

using namespace mlir;
using namespace mp;

static constexpr double kInf = std::numeric_limits<double>::infinity();

//===----------------------------------------------------------------------===//
// FloatRange
//===----------------------------------------------------------------------===//

bool FloatRange::isBounded() const {
  return std::isfinite(lo) && std::isfinite(hi);
}

double FloatRange::absMax() const { return std::max(std::fabs(lo), std::fabs(hi)); }

FloatRange FloatRange::join(const FloatRange &other) const {
  return {std::min(lo, other.lo), std::max(hi, other.hi),
          mayBeNaN || other.mayBeNaN};
}

static std::string formatBound(double value) {
  if (value == 0)
    return "0"; // also -0
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

std::string FloatRange::str() const {
  return "[" + formatBound(lo) + ", " + formatBound(hi) + "]" +
         (mayBeNaN ? " nan" : "");
}

//===----------------------------------------------------------------------===//
// Outward-rounded interval arithmetic
//===----------------------------------------------------------------------===//

static FloatRange top() { return FloatRange::unbounded(); }

/// An unbounded range says nothing, NaN included; NaN ends widen.
static FloatRange normalize(FloatRange r) {
  if (std::isnan(r.lo))
    r.lo = -kInf;
  if (std::isnan(r.hi))
    r.hi = kInf;
  if (r.lo == -kInf && r.hi == kInf)
    r.mayBeNaN = false;
  return r;
}

static bool contains(const FloatRange &r, double v) { return r.lo <= v && v <= r.hi; }
static bool hasInfiniteEnd(const FloatRange &r) {
  return std::isinf(r.lo) || std::isinf(r.hi);
}

static double nextUp(double v) { return std::nextafter(v, kInf); }
static double nextDown(double v) { return std::nextafter(v, -kInf); }
static double nextOutward(double v, bool upward) {
  return upward ? nextUp(v) : nextDown(v);
}

/// The bound for a result that overflowed to `inf` from finite operands: the
/// infinity itself on its side, the largest double on the other.
static double overflowBound(double inf, bool upward) {
  return upward == (inf > 0) ? inf : std::copysign(DBL_MAX, inf);
}

/// True when `v` is so small that an error term computed with fma may
/// underflow: the result is then moved one ulp outward unconditionally.
static bool nearUnderflow(double v) { return std::fabs(v) < 0x1p-960; }

static double addRounded(double a, double b, bool upward) {
  double s = a + b;
  if (std::isnan(s))
    return s;
  if (std::isinf(s))
    return std::isfinite(a) && std::isfinite(b) ? overflowBound(s, upward) : s;
  // TwoSum: a + b == s + err exactly.
  double bb = s - a;
  double err = (a - (s - bb)) + (b - bb);
  if (err == 0)
    return s;
  return (err > 0) == upward ? nextOutward(s, upward) : s;
}

static double mulRounded(double a, double b, bool upward) {
  double p = a * b;
  if (std::isnan(p) || !std::isfinite(a) || !std::isfinite(b))
    return p;
  if (std::isinf(p))
    return overflowBound(p, upward);
  if (nearUnderflow(p))
    return a == 0 || b == 0 ? p : nextOutward(p, upward);
  double err = std::fma(a, b, -p);
  if (err == 0)
    return p;
  return (err > 0) == upward ? nextOutward(p, upward) : p;
}

static double divRounded(double a, double b, bool upward) {
  double q = a / b;
  if (std::isnan(q) || !std::isfinite(a) || !std::isfinite(b))
    return q;
  if (std::isinf(q))
    return overflowBound(q, upward);
  if (nearUnderflow(q))
    return a == 0 ? q : nextOutward(q, upward);
  // a == q * b + r exactly, so a / b == q + r / b.
  double r = std::fma(-q, b, a);
  if (r == 0)
    return q;
  return ((r > 0) == (b > 0)) == upward ? nextOutward(q, upward) : q;
}

static FloatRange add(const FloatRange &a, const FloatRange &b) {
  // inf + -inf is NaN: nothing is known.
  if ((a.hi == kInf && b.lo == -kInf) || (a.lo == -kInf && b.hi == kInf))
    return top();
  return normalize({addRounded(a.lo, b.lo, false), addRounded(a.hi, b.hi, true),
                    a.mayBeNaN || b.mayBeNaN});
}

static FloatRange neg(const FloatRange &a) { return {-a.hi, -a.lo, a.mayBeNaN}; }

static FloatRange sub(const FloatRange &a, const FloatRange &b) {
  return add(a, neg(b));
}

static FloatRange mul(const FloatRange &a, const FloatRange &b) {
  // 0 * inf is NaN: nothing is known.
  if ((contains(a, 0) && hasInfiniteEnd(b)) || (contains(b, 0) && hasInfiniteEnd(a)))
    return top();
  double lo = kInf, hi = -kInf;
  for (double x : {a.lo, a.hi})
    for (double y : {b.lo, b.hi}) {
      lo = std::min(lo, mulRounded(x, y, false));
      hi = std::max(hi, mulRounded(x, y, true));
    }
  return normalize({lo, hi, a.mayBeNaN || b.mayBeNaN});
}

static FloatRange div(const FloatRange &a, const FloatRange &b) {
  // Division by zero (inf or NaN) and inf / inf: nothing is known.
  if (contains(b, 0) || (hasInfiniteEnd(a) && hasInfiniteEnd(b)))
    return top();
  double lo = kInf, hi = -kInf;
  for (double x : {a.lo, a.hi})
    for (double y : {b.lo, b.hi}) {
      lo = std::min(lo, divRounded(x, y, false));
      hi = std::max(hi, divRounded(x, y, true));
    }
  return normalize({lo, hi, a.mayBeNaN || b.mayBeNaN});
}

/// `range` scaled by a count `n` >= 0.
static FloatRange scale(const FloatRange &range, int64_t n) {
  if (n == 0)
    return FloatRange::point(0);
  return mul(range, FloatRange::point(static_cast<double>(n)));
}

/// max (isMax) or min of two values; `propagatesNaN` for maximumf/minimumf,
/// unset for maxnumf/minnumf (NaN only when both are).
static FloatRange extremum(const FloatRange &a, const FloatRange &b, bool isMax,
                           bool propagatesNaN) {
  bool nan = propagatesNaN ? a.mayBeNaN || b.mayBeNaN : a.mayBeNaN && b.mayBeNaN;
  if (isMax)
    return normalize({std::max(a.lo, b.lo), std::max(a.hi, b.hi), nan});
  return normalize({std::min(a.lo, b.lo), std::min(a.hi, b.hi), nan});
}

/// `v`, computed by libm (within an ulp), moved two ulps outward. Zero and
/// infinite arguments give exact results for every function used here.
template <typename Fn>
static double libmBound(Fn fn, double x, bool upward) {
  double v = fn(x);
  if (x == 0 || std::isinf(x) || !std::isfinite(v))
    return v;
  return nextOutward(nextOutward(v, upward), upward);
}

template <typename Fn>
static FloatRange increasing(const FloatRange &x, Fn fn) {
  return normalize({libmBound(fn, x.lo, false), libmBound(fn, x.hi, true), x.mayBeNaN});
}

/// A function defined for x >= domainLo (NaN below): increasing on its domain.
template <typename Fn>
static FloatRange increasingFrom(const FloatRange &x, double domainLo, Fn fn) {
  if (x.hi < domainLo)
    return top();
  FloatRange r = increasing(FloatRange{std::max(x.lo, domainLo), x.hi, x.mayBeNaN}, fn);
  r.mayBeNaN |= x.lo < domainLo;
  return normalize(r);
}

static FloatRange clamp(FloatRange r, double lo, double hi) {
  r.lo = std::clamp(r.lo, lo, hi);
  r.hi = std::clamp(r.hi, lo, hi);
  return r;
}

static FloatRange absRange(const FloatRange &x) {
  if (x.lo >= 0)
    return x;
  if (x.hi <= 0)
    return neg(x);
  return {0, std::max(-x.lo, x.hi), x.mayBeNaN};
}

/// x^n for an integer n.
static FloatRange powInt(const FloatRange &x, double n) {
  if (n == 0)
    return FloatRange::point(1);
  auto power = [&](double v) { return std::pow(v, std::fabs(n)); };
  FloatRange magnitude;
  if (std::fmod(n, 2) == 0)
    magnitude = increasing(absRange(x), power);
  else
    magnitude = increasing(x, power);
  return n > 0 ? magnitude : div(FloatRange::point(1), magnitude);
}

static FloatRange integerTypeRange(Type type, bool isSigned) {
  auto intType = dyn_cast<IntegerType>(getElementTypeOrSelf(type));
  if (!intType || intType.getWidth() > 64)
    return top();
  unsigned width = intType.getWidth();
  // 2^63 - 1 rounds up to 2^63 in double: still a bound.
  if (isSigned)
    return {-std::ldexp(1.0, width - 1), std::ldexp(1.0, width - 1) - 1, false};
  return {0, std::ldexp(1.0, width) - 1, false};
}

/// `r` rounded outward to the values of `elementType`: ends beyond its
/// largest finite value become infinite (or, in types without infinities,
/// the largest value with NaN possible).
static FloatRange roundTo(FloatRange r, Type elementType) {
  auto type = dyn_cast<FloatType>(elementType);
  if (!type || type.isF64())
    return r;
  const llvm::fltSemantics &semantics = type.getFloatSemantics();
  double largest = largestFinite(type);
  auto convert = [&](double v, bool upward) {
    llvm::APFloat value(v);
    bool losesInfo;
    value.convert(semantics,
                  upward ? llvm::APFloat::rmTowardPositive
                         : llvm::APFloat::rmTowardNegative,
                  &losesInfo);
    if (value.isNaN()) {
      r.mayBeNaN = true;
      return upward ? largest : -largest;
    }
    return value.convertToDouble();
  };
  r.lo = convert(r.lo, false);
  r.hi = convert(r.hi, true);
  return normalize(r);
}

static Type elementTypeOf(Value value) { return getElementTypeOrSelf(value.getType()); }

/// Ranked float tensors and float scalars: the values the analysis bounds.
static bool isFloatLike(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return isa<FloatType>(tensor.getElementType());
  return isa<FloatType>(type);
}

static std::optional<FloatRange> getRangeAnnotation(Attribute attr) {
  auto array = dyn_cast_or_null<ArrayAttr>(attr);
  if (!array || array.size() != 2)
    return std::nullopt;
  auto lo = dyn_cast<FloatAttr>(array[0]);
  auto hi = dyn_cast<FloatAttr>(array[1]);
  if (!lo || !hi || !(lo.getValueAsDouble() <= hi.getValueAsDouble()))
    return std::nullopt;
  return FloatRange{lo.getValueAsDouble(), hi.getValueAsDouble(), false};
}

/// `r` narrowed by a seed; a seed that contradicts `r` wins.
static FloatRange intersect(const FloatRange &r, const FloatRange &seed) {
  FloatRange result{std::max(r.lo, seed.lo), std::min(r.hi, seed.hi), r.mayBeNaN};
  if (result.lo > result.hi)
    return seed;
  return normalize(result);
}

static std::optional<FloatRange> constantRange(Attribute attr) {
  if (auto value = dyn_cast<FloatAttr>(attr)) {
    double v = value.getValueAsDouble();
    return std::isnan(v) ? top() : FloatRange::point(v);
  }
  auto elements = dyn_cast<ElementsAttr>(attr);
  if (!elements)
    return std::nullopt;
  std::optional<SmallVector<llvm::APFloat>> values = readFloatConstant(elements);
  if (!values)
    return std::nullopt;
  FloatRange r{kInf, -kInf, false};
  for (const llvm::APFloat &value : *values) {
    // A value standing for infinity (attention masks written as finfo.min)
    // is one here too: mp-materialize clamps it to the narrow type's extreme,
    // where it still acts as one, so it is not a magnitude the f16 guard
    // should scale everything else down for.
    double v = isInfinitySentinel(value) ? (value.isNegative() ? -kInf : kInf)
                                         : value.convertToDouble();
    if (std::isnan(v)) {
      r.mayBeNaN = true;
      continue;
    }
    r.lo = std::min(r.lo, v);
    r.hi = std::max(r.hi, v);
  }
  if (r.lo > r.hi) // no element, or only NaNs
    return top();
  return normalize(r);
}

/// The range of the (single) result of an elementwise op, a payload op or a
/// constant, given its operands' ranges; nullopt for ops it does not know.
/// Results are exact reals: the caller rounds them to the result type.
static std::optional<FloatRange> transferOp(Operation *op, ArrayRef<FloatRange> in) {
  return llvm::TypeSwitch<Operation *, std::optional<FloatRange>>(op)
      .Case([](arith::ConstantOp constant) { return constantRange(constant.getValue()); })
      .Case([&](arith::AddFOp) { return add(in[0], in[1]); })
      .Case([&](arith::SubFOp) { return sub(in[0], in[1]); })
      .Case([&](arith::MulFOp) { return mul(in[0], in[1]); })
      .Case([&](arith::DivFOp) { return div(in[0], in[1]); })
      .Case([&](arith::NegFOp) { return neg(in[0]); })
      .Case([&](arith::MaximumFOp) { return extremum(in[0], in[1], true, true); })
      .Case([&](arith::MaxNumFOp) { return extremum(in[0], in[1], true, false); })
      .Case([&](arith::MinimumFOp) { return extremum(in[0], in[1], false, true); })
      .Case([&](arith::MinNumFOp) { return extremum(in[0], in[1], false, false); })
      .Case([&](arith::SelectOp) { return in[1].join(in[2]); })
      .Case<arith::ExtFOp, arith::TruncFOp, tensor::ExtractOp>(
          [&](Operation *) { return in[0]; })
      .Case([&](arith::SIToFPOp cast) { return integerTypeRange(cast.getIn().getType(), true); })
      .Case([&](arith::UIToFPOp cast) {
        return integerTypeRange(cast.getIn().getType(), false);
      })
      .Case([&](math::ExpOp) {
        FloatRange r = increasing(in[0], [](double x) { return std::exp(x); });
        r.lo = std::max(r.lo, 0.0);
        return r;
      })
      .Case([&](math::Exp2Op) {
        FloatRange r = increasing(in[0], [](double x) { return std::exp2(x); });
        r.lo = std::max(r.lo, 0.0);
        return r;
      })
      .Case([&](math::ExpM1Op) {
        FloatRange r = increasing(in[0], [](double x) { return std::expm1(x); });
        r.lo = std::max(r.lo, -1.0);
        return r;
      })
      .Case([&](math::LogOp) {
        return increasingFrom(in[0], 0, [](double x) { return std::log(x); });
      })
      .Case([&](math::Log2Op) {
        return increasingFrom(in[0], 0, [](double x) { return std::log2(x); });
      })
      .Case([&](math::Log10Op) {
        return increasingFrom(in[0], 0, [](double x) { return std::log10(x); });
      })
      .Case([&](math::Log1pOp) {
        return increasingFrom(in[0], -1, [](double x) { return std::log1p(x); });
      })
      .Case([&](math::SqrtOp) {
        return increasingFrom(in[0], 0, [](double x) { return std::sqrt(x); });
      })
      .Case([&](math::RsqrtOp) -> std::optional<FloatRange> {
        // Decreasing on [0, inf]: 1 / sqrt(x).
        FloatRange root = increasingFrom(in[0], 0, [](double x) { return std::sqrt(x); });
        if (root.lo == -kInf)
          return top();
        FloatRange r = root.lo == 0 ? FloatRange{divRounded(1, root.hi, false), kInf,
                                                 root.mayBeNaN}
                                    : div(FloatRange::point(1), root);
        return normalize(r);
      })
      .Case([&](math::TanhOp) {
        return clamp(increasing(in[0], [](double x) { return std::tanh(x); }), -1, 1);
      })
      .Case([&](math::ErfOp) {
        return clamp(increasing(in[0], [](double x) { return std::erf(x); }), -1, 1);
      })
      .Case<math::SinOp, math::CosOp>([&](Operation *) {
        return FloatRange{-1, 1, in[0].mayBeNaN || hasInfiniteEnd(in[0])};
      })
      .Case<math::FloorOp>([&](Operation *) {
        return increasing(in[0], [](double x) { return std::floor(x); });
      })
      .Case<math::CeilOp>([&](Operation *) {
        return increasing(in[0], [](double x) { return std::ceil(x); });
      })
      .Case<math::RoundOp, math::RoundEvenOp, math::TruncOp>([&](Operation *) {
        // Rounding to an integer moves a value by at most 1.
        return add(in[0], FloatRange{-1, 1, false});
      })
      .Case([&](math::AbsFOp) { return absRange(in[0]); })
      .Case([&](math::PowFOp) -> std::optional<FloatRange> {
        const FloatRange &exponent = in[1];
        if (exponent.lo != exponent.hi || exponent.mayBeNaN ||
            std::floor(exponent.lo) != exponent.lo || std::fabs(exponent.lo) > 0x1p31)
          return std::nullopt;
        return powInt(in[0], exponent.lo);
      })
      .Case([&](math::FmaOp) { return add(mul(in[0], in[1]), in[2]); })
      .Case([&](CastOp castOp) {
        if (!castOp.getSaturate())
          return in[0];
        double largest = largestFinite(cast<FloatType>(elementTypeOf(castOp.getResult())));
        return clamp(in[0], -largest, largest);
      })
      .Case([&](AmaxOp) { return FloatRange{0, in[0].absMax(), in[0].mayBeNaN}; })
      .Case([&](QuantizeOp quantize) -> std::optional<FloatRange> {
        // fp8 formats saturate.
        auto type = dyn_cast<FloatType>(getElementTypeOrSelf(quantize.getType()));
        if (!type)
          return std::nullopt;
        double largest = largestFinite(type);
        return FloatRange{-largest, largest, in[0].mayBeNaN};
      })
      .Case([&](DequantizeOp dequantize) -> std::optional<FloatRange> {
        if (dequantize.getZeroPoint())
          return std::nullopt;
        Type stored = elementTypeOf(dequantize.getInput());
        FloatRange q = isa<IntegerType>(stored)
                           ? integerTypeRange(stored, /*isSigned=*/true)
                           : in[0];
        return mul(q, in[1]);
      })
      .Default([](Operation *) { return std::nullopt; });
}

//===----------------------------------------------------------------------===//
// The lattice and the dataflow analysis
//===----------------------------------------------------------------------===//

namespace {

/// A lattice value: nothing known yet (uninitialized), the undefined contents
/// of a tensor.empty (joined with a range, it adds nothing; read, it is
/// unbounded), or a range.
class FloatRangeValue {
public:
  enum class Kind { Uninitialized, Undefined, Known };

  FloatRangeValue() = default;
  FloatRangeValue(FloatRange range) : kind(Kind::Known), range(range) {}
  static FloatRangeValue undefined() {
    FloatRangeValue value;
    value.kind = Kind::Undefined;
    return value;
  }

  bool isUninitialized() const { return kind == Kind::Uninitialized; }
  bool isKnown() const { return kind == Kind::Known; }
  const FloatRange &getRange() const { return range; }

  /// The range of an element read from this value.
  FloatRange read() const { return isKnown() ? range : top(); }

  static FloatRangeValue join(const FloatRangeValue &a, const FloatRangeValue &b) {
    if (a.kind != Kind::Known)
      return b.kind == Kind::Uninitialized ? a : b;
    if (b.kind != Kind::Known)
      return a;
    return a.range.join(b.range);
  }

  /// `next` (a join with `this`), with every end that moved made infinite.
  FloatRangeValue widen(const FloatRangeValue &next) const {
    if (!isKnown() || !next.isKnown())
      return next;
    FloatRange r = next.range;
    if (r.lo < range.lo)
      r.lo = -kInf;
    if (r.hi > range.hi)
      r.hi = kInf;
    return normalize(r);
  }

  bool operator==(const FloatRangeValue &other) const {
    return kind == other.kind && (kind != Kind::Known || range == other.range);
  }

  void print(raw_ostream &os) const {
    if (kind == Kind::Uninitialized)
      os << "<uninitialized>";
    else if (kind == Kind::Undefined)
      os << "<undefined>";
    else
      os << range.str();
  }

private:
  Kind kind = Kind::Uninitialized;
  FloatRange range;
};

/// The range lattice. Joins widen after a few changes, so that values
/// carried around loops reach a fixpoint.
class FloatRangeLattice : public dataflow::Lattice<FloatRangeValue> {
public:
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FloatRangeLattice)
  using Lattice::Lattice;

  ChangeResult join(const AbstractSparseLattice &rhs) override {
    return join(static_cast<const FloatRangeLattice &>(rhs).getValue());
  }

  ChangeResult join(const FloatRangeValue &rhs) {
    FloatRangeValue next = FloatRangeValue::join(getValue(), rhs);
    if (next == getValue())
      return ChangeResult::NoChange;
    if (++changes > kWideningThreshold)
      next = getValue().widen(next);
    getValue() = next;
    return ChangeResult::Change;
  }

private:
  static constexpr unsigned kWideningThreshold = 8;
  unsigned changes = 0;
};

class FloatRangeAnalysis
    : public dataflow::SparseForwardDataFlowAnalysis<FloatRangeLattice> {
public:
  FloatRangeAnalysis(DataFlowSolver &solver,
                     const llvm::StringMap<double> *calibration)
      : SparseForwardDataFlowAnalysis(solver), calibration(calibration) {}

  LogicalResult visitOperation(Operation *op,
                               ArrayRef<const FloatRangeLattice *> operands,
                               ArrayRef<FloatRangeLattice *> results) override;

  /// Function arguments: their `mp.range` annotation, else unbounded. Other
  /// values the framework cannot follow are unbounded.
  void setToEntryState(FloatRangeLattice *lattice) override;

private:
  /// The range of `value`, defined above `user`; `user` is visited again
  /// when it changes.
  FloatRange readAbove(Operation *user, Value value);

  /// The ranges of a linalg op's results (interval evaluation of its payload).
  SmallVector<FloatRange> visitLinalgOp(linalg::LinalgOp op,
                                        ArrayRef<const FloatRangeLattice *> operands);

  /// `range` narrowed by the op's `mp.range` annotation and its calibration.
  FloatRange applySeeds(Operation *op, FloatRange range) const;

  void evaluateBlock(Operation *owner, Block &block,
                     DenseMap<Value, FloatRange> &env);

  const llvm::StringMap<double> *calibration;
};

} // namespace

static bool isInsideLinalgPayload(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent; parent = parent->getParentOp())
    if (isa<linalg::LinalgOp>(parent))
      return true;
  return false;
}

/// Ops whose result holds elements of their float operands only.
static bool isDataMovement(Operation *op) {
  return isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ExtractSliceOp,
             tensor::InsertSliceOp, tensor::ConcatOp, tensor::CastOp, tensor::ReshapeOp,
             tensor::FromElementsOp, tensor::SplatOp, tensor::InsertOp, tensor::ExtractOp,
             tensor::PadOp, PinOp>(op);
}

void FloatRangeAnalysis::setToEntryState(FloatRangeLattice *lattice) {
  FloatRange range = top();
  if (auto arg = dyn_cast<BlockArgument>(lattice->getAnchor())) {
    auto function = dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp());
    if (function && arg.getOwner()->isEntryBlock() &&
        arg.getParentRegion() == &function.getFunctionBody() &&
        isFloatLike(arg.getType()))
      if (std::optional<FloatRange> annotation = getRangeAnnotation(
              function.getArgAttr(arg.getArgNumber(), MPDialect::getRangeAttrName())))
        range = *annotation;
  }
  propagateIfChanged(lattice, lattice->join(FloatRangeValue(range)));
}

FloatRange FloatRangeAnalysis::readAbove(Operation *user, Value value) {
  if (!isFloatLike(value.getType()))
    return top();
  return getLatticeElementFor(getProgramPointAfter(user), value)->getValue().read();
}

FloatRange FloatRangeAnalysis::applySeeds(Operation *op, FloatRange range) const {
  if (std::optional<FloatRange> annotation =
          getRangeAnnotation(op->getAttr(MPDialect::getRangeAttrName()))) {
    range = intersect(range, *annotation);
    range.mayBeNaN = false; // the user's word: every element is in [lo, hi]
  }
  if (calibration) {
    std::string name = getStableName(op);
    auto it = name.empty() ? calibration->end() : calibration->find(name);
    if (it != calibration->end())
      range = intersect(range, {-it->second, it->second, range.mayBeNaN});
  }
  return range;
}

void FloatRangeAnalysis::evaluateBlock(Operation *owner, Block &block,
                                       DenseMap<Value, FloatRange> &env) {
  Region *region = block.getParent();
  auto rangeOf = [&](Value value) {
    if (auto it = env.find(value); it != env.end())
      return it->second;
    if (!region->isAncestor(value.getParentRegion()))
      return readAbove(owner, value);
    return top();
  };
  for (Operation &op : block.without_terminator()) {
    if (op.getNumResults() != 1 || !isFloatLike(op.getResult(0).getType()))
      continue;
    SmallVector<FloatRange> in = llvm::map_to_vector(op.getOperands(), rangeOf);
    FloatRange range = transferOp(&op, in).value_or(top());
    env[op.getResult(0)] = roundTo(range, elementTypeOf(op.getResult(0)));
  }
  for (Value value : block.getTerminator()->getOperands())
    env.try_emplace(value, rangeOf(value));
}

/// True when `value` reads one of `args`, arguments of the block computing it.
static bool dependsOn(Value value, ArrayRef<BlockArgument> args) {
  if (args.empty())
    return false;
  SmallVector<Value> worklist{value};
  DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    if (!seen.insert(current).second)
      continue;
    if (auto arg = dyn_cast<BlockArgument>(current)) {
      if (llvm::is_contained(args, arg))
        return true;
      continue;
    }
    Operation *def = current.getDefiningOp();
    if (def->getBlock() != args.front().getOwner())
      continue;
    def->walk([&](Operation *nested) { llvm::append_range(worklist, nested->getOperands()); });
  }
  return false;
}

/// The summand `t` of a yielded `addf(outArg, t)` (either order) that does
/// not read any output argument.
static Value matchAccumulation(Value yielded, BlockArgument outArg,
                               ArrayRef<BlockArgument> outArgs) {
  auto addOp = yielded.getDefiningOp<arith::AddFOp>();
  if (!addOp || addOp->getBlock() != outArg.getOwner())
    return {};
  Value term;
  if (addOp.getLhs() == outArg)
    term = addOp.getRhs();
  else if (addOp.getRhs() == outArg)
    term = addOp.getLhs();
  if (!term || dependsOn(term, outArgs))
    return {};
  return term;
}

/// True for a yielded `max/min(outArg, t)` (either order, any NaN
/// semantics) where `t` reads no output argument.
static bool isExtremumReduction(Value yielded, BlockArgument outArg,
                                ArrayRef<BlockArgument> outArgs) {
  Operation *def = yielded.getDefiningOp();
  if (!isa_and_present<arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp,
                       arith::MinNumFOp>(def) ||
      def->getBlock() != outArg.getOwner())
    return false;
  Value lhs = def->getOperand(0), rhs = def->getOperand(1);
  if (lhs == outArg)
    return !dependsOn(rhs, outArgs);
  return rhs == outArg && !dependsOn(lhs, outArgs);
}

/// The exponent of the lowest set bit of a finite nonzero `v`.
static int lowestBitExponent(double v) {
  int exponent;
  double mantissa = std::frexp(std::fabs(v), &exponent);
  auto bits = static_cast<uint64_t>(std::ldexp(mantissa, 53));
  return exponent - 53 + llvm::countr_zero(bits);
}

/// True when `init + k * term` and `k * term` are exact in `type` for every
/// 0 <= k <= count: a sum of `count` terms at most `term` onto `init` then
/// rounds to at most init + count * term in any order, rounding being
/// monotone.
static bool sumsAreExact(FloatType type, double init, double term, int64_t count) {
  if (!std::isfinite(init) || !std::isfinite(term))
    return false;
  const llvm::fltSemantics &semantics = type.getFloatSemantics();
  int quantum = INT_MAX;
  for (double v : {init, term})
    if (v != 0)
      quantum = std::min(quantum, lowestBitExponent(v));
  if (quantum == INT_MAX)
    return true;
  double bound = addRounded(std::fabs(init),
                            mulRounded(static_cast<double>(count), std::fabs(term), true),
                            true);
  double smallest = llvm::APFloat::getSmallest(semantics).convertToDouble();
  return std::ldexp(1.0, quantum) >= smallest && bound <= largestFinite(type) &&
         bound <= std::ldexp(1.0, quantum + static_cast<int>(
                                              llvm::APFloat::semanticsPrecision(semantics)));
}

/// `init` plus `count` terms in `terms`, summed in `type` in any order: the
/// exact interval, widened by the rounding error bound gamma_count * (sum of
/// magnitudes) unless every partial sum of the extremes is exact.
static FloatRange accumulate(Type type, const FloatRange &init, const FloatRange &terms,
                             int64_t count) {
  FloatRange sum = add(init, scale(terms, count));
  auto floatType = dyn_cast<FloatType>(type);
  if (!floatType)
    return top();
  if (sumsAreExact(floatType, init.lo, terms.lo, count) &&
      sumsAreExact(floatType, init.hi, terms.hi, count))
    return sum;
  double unitRoundoff = std::ldexp(
      1.0, -static_cast<int>(llvm::APFloat::semanticsPrecision(floatType.getFloatSemantics())));
  double nu = mulRounded(static_cast<double>(count), unitRoundoff, true);
  if (nu >= 1)
    return top();
  double gamma = divRounded(nu, addRounded(1, -nu, false), true);
  double magnitudes = addRounded(
      init.absMax(), mulRounded(static_cast<double>(count), terms.absMax(), true), true);
  double error = mulRounded(gamma, magnitudes, true);
  return add(sum, FloatRange{-error, error, false});
}

SmallVector<FloatRange>
FloatRangeAnalysis::visitLinalgOp(linalg::LinalgOp linalgOp,
                                  ArrayRef<const FloatRangeLattice *> operands) {
  Operation *op = linalgOp.getOperation();
  SmallVector<FloatRange> results(op->getNumResults(), top());
  Block *body = linalgOp.getBlock();
  if (!body)
    return results;

  // Block arguments read their operands' elements; the undefined contents of
  // a tensor.empty init are unbounded when the payload reads them.
  DenseMap<Value, FloatRange> env;
  for (OpOperand &operand : op->getOpOperands())
    if (BlockArgument arg = linalgOp.getMatchingBlockArgument(&operand))
      env[arg] = operands[operand.getOperandNumber()]->getValue().read();
  evaluateBlock(op, *body, env);

  // Reductions: the static number of reduction iterations, if known.
  bool isReduction = linalgOp.getNumReductionLoops() > 0;
  SmallVector<int64_t> loopSizes = linalgOp.getStaticLoopRanges();
  SmallVector<unsigned> reductionDims;
  linalgOp.getReductionDims(reductionDims);
  int64_t count = 1;
  bool isStatic = true;
  for (unsigned dim : reductionDims) {
    isStatic &= !ShapedType::isDynamic(loopSizes[dim]);
    count *= isStatic ? loopSizes[dim] : 1;
  }
  std::optional<int64_t> iterations;
  if (isStatic)
    iterations = count;

  SmallVector<BlockArgument> outArgs(linalgOp.getRegionOutputArgs());
  Operation *yield = body->getTerminator();
  for (OpResult result : op->getResults()) {
    unsigned i = result.getResultNumber();
    if (!isFloatLike(result.getType()) || i >= yield->getNumOperands())
      continue;
    Value yielded = yield->getOperand(i);
    FloatRange value = env.lookup(yielded);
    FloatRange range = top();
    if (!isReduction) {
      range = value;
    } else if (!dependsOn(yielded, outArgs)) {
      // The last iteration's value (or the init when there is none).
      range = iterations && *iterations > 0 ? value : env.lookup(outArgs[i]).join(value);
    } else if (Value term = matchAccumulation(yielded, outArgs[i], outArgs)) {
      if (iterations)
        range = accumulate(elementTypeOf(yielded), env.lookup(outArgs[i]),
                           env.lookup(term), *iterations);
    } else if (isExtremumReduction(yielded, outArgs[i], outArgs)) {
      // max(init, t_1, ..., t_N) lies in max(init, t) evaluated on ranges.
      range = iterations && *iterations > 0 ? value : env.lookup(outArgs[i]).join(value);
    }
    results[i] = roundTo(range, elementTypeOf(result));
  }
  return results;
}

LogicalResult
FloatRangeAnalysis::visitOperation(Operation *op,
                                   ArrayRef<const FloatRangeLattice *> operands,
                                   ArrayRef<FloatRangeLattice *> results) {
  // Payload ops are evaluated by their linalg op.
  if (isInsideLinalgPayload(op)) {
    setAllToEntryStates(results);
    return success();
  }
  if (isa<tensor::EmptyOp>(op)) {
    for (FloatRangeLattice *result : results)
      propagateIfChanged(result, result->join(FloatRangeValue::undefined()));
    return success();
  }
  // Wait until every float operand is known.
  for (auto [operand, lattice] : llvm::zip(op->getOperands(), operands))
    if (isFloatLike(operand.getType()) && lattice->getValue().isUninitialized())
      return success();

  SmallVector<FloatRangeValue> values(results.size(), FloatRangeValue(top()));
  if (isDataMovement(op)) {
    FloatRangeValue joined;
    for (auto [operand, lattice] : llvm::zip(op->getOperands(), operands))
      if (isFloatLike(operand.getType()))
        joined = FloatRangeValue::join(joined, lattice->getValue());
    if (auto pad = dyn_cast<tensor::PadOp>(op)) {
      DenseMap<Value, FloatRange> env;
      evaluateBlock(op, pad.getRegion().front(), env);
      Value padding = pad.getRegion().front().getTerminator()->getOperand(0);
      joined = FloatRangeValue::join(joined, env.lookup(padding));
    }
    values.assign(results.size(), joined);
  } else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    SmallVector<FloatRange> ranges = visitLinalgOp(linalgOp, operands);
    for (auto [value, range] : llvm::zip(values, ranges))
      value = range;
  } else if (isa<linalg::SoftmaxOp>(op)) {
    values.assign(results.size(), FloatRange{0, 1, operands[0]->getValue().read().mayBeNaN});
  } else if (op->getNumResults() == 1) {
    SmallVector<FloatRange> in = llvm::map_to_vector(
        operands, [](const FloatRangeLattice *lattice) { return lattice->getValue().read(); });
    if (std::optional<FloatRange> range = transferOp(op, in))
      values[0] = roundTo(*range, elementTypeOf(op->getResult(0)));
  }

  for (auto [result, lattice, value] : llvm::zip(op->getResults(), results, values)) {
    if (!isFloatLike(result.getType()))
      value = top();
    else if (value.isKnown())
      value = applySeeds(op, value.getRange());
    propagateIfChanged(lattice, lattice->join(value));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ValueRanges
//===----------------------------------------------------------------------===//

struct ValueRanges::Impl {
  // Function arguments are bounded by their annotations only: a call site
  // does not narrow them.
  DataFlowSolver solver{DataFlowConfig().setInterprocedural(false)};
  bool solved = false;
};

ValueRanges::ValueRanges(Operation *root, const llvm::StringMap<double> *calibration)
    : impl(std::make_unique<Impl>()) {
  // The sparse framework needs liveness (dead code) and constants.
  impl->solver.load<dataflow::DeadCodeAnalysis>();
  impl->solver.load<dataflow::SparseConstantPropagation>();
  impl->solver.load<FloatRangeAnalysis>(calibration);
  impl->solved = succeeded(impl->solver.initializeAndRun(root));
}

ValueRanges::~ValueRanges() = default;

FloatRange ValueRanges::getRange(Value value) const {
  if (!impl->solved)
    return top();
  const auto *lattice = impl->solver.lookupState<FloatRangeLattice>(value);
  return lattice ? lattice->getValue().read() : top();
}
