//===- ErrorBounds.cpp - static worst-case error bounds per op ------------===//
//
// Forward propagation, in program order, of (interval, absolute error bound)
// pairs through decided IR. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "mp/Analysis/Calibration.h"
#include "mp/Analysis/DecisionCheck.h"
#include "mp/Analysis/RangeAnalysis.h"
#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>

namespace mp {
#define GEN_PASS_DEF_MPERRORBOUNDS
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// A value's interval and its absolute error bound (inf: unbounded).
struct Bounded {
  double lo = -kInf, hi = kInf;
  double err = kInf;
  double mag() const { return std::max(std::fabs(lo), std::fabs(hi)); }
  bool ok() const { return std::isfinite(lo) && std::isfinite(hi) && std::isfinite(err); }
};

/// Unit round-off 2^-p of a float type (0 for non-floats).
double unitRoundoff(Type type) {
  auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(type));
  if (!floatType)
    return 0;
  return std::ldexp(1.0, -static_cast<int>(
                             llvm::APFloat::semanticsPrecision(floatType.getFloatSemantics())));
}

int precisionOf(Type type) {
  auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(type));
  return floatType ? llvm::APFloat::semanticsPrecision(floatType.getFloatSemantics()) : 0;
}

/// Adds the rounding of a result of magnitude `b.mag()` with unit round-off u.
Bounded rounded(Bounded b, double u) {
  b.err += u * b.mag();
  return b;
}

class Propagator {
public:
  Propagator(const ValueRanges &ranges) : ranges(ranges) {}

  /// The bound of `v` as stored (its producer's storage), computing it from
  /// the range analysis when first seen (arguments, constants: exact).
  Bounded get(Value v) {
    auto it = bounds.find(v);
    if (it != bounds.end())
      return it->second;
    FloatRange r = ranges.getRange(v);
    Bounded b{r.lo, r.hi, r.mayBeNaN ? kInf : 0.0};
    return b;
  }
  /// Precision (bits) of the format `v` is stored in.
  int storedPrecision(Value v) {
    auto it = storage.find(v);
    return it != storage.end() ? it->second : precisionOf(v.getType());
  }
  void visit(Operation *op, bool remarks, std::string &why);
  llvm::DenseMap<Value, Bounded> bounds;
  llvm::DenseMap<Value, int> storage;

private:
  Bounded payload(linalg::LinalgOp op, ArrayRef<Bounded> args, double uc, int64_t n,
                  std::string &why);
  const ValueRanges &ranges;
};

Bounded unbounded() { return Bounded(); }

/// Interval and error of one payload op from its operands'.
Bounded evalScalar(Operation *op, ArrayRef<Bounded> in, double uc, std::string &why) {
  auto corners = [](double a, double b, double c, double d) {
    double lo = std::min(std::min(a, b), std::min(c, d));
    double hi = std::max(std::max(a, b), std::max(c, d));
    return std::pair<double, double>{lo, hi};
  };
  if (isa<arith::AddFOp, arith::SubFOp>(op)) {
    bool sub = isa<arith::SubFOp>(op);
    Bounded r{in[0].lo + (sub ? -in[1].hi : in[1].lo), in[0].hi + (sub ? -in[1].lo : in[1].hi),
              in[0].err + in[1].err};
    return rounded(r, uc);
  }
  if (isa<arith::MulFOp>(op)) {
    auto [lo, hi] = corners(in[0].lo * in[1].lo, in[0].lo * in[1].hi, in[0].hi * in[1].lo,
                            in[0].hi * in[1].hi);
    Bounded r{lo, hi,
              in[0].mag() * in[1].err + in[1].mag() * in[0].err + in[0].err * in[1].err};
    return rounded(r, uc);
  }
  if (isa<arith::DivFOp>(op)) {
    double minAbs = in[1].lo > 0 ? in[1].lo : in[1].hi < 0 ? -in[1].hi : 0;
    if (!(minAbs > in[1].err)) {
      why = "division by a value that may be 0";
      return unbounded();
    }
    auto [lo, hi] = corners(in[0].lo / in[1].lo, in[0].lo / in[1].hi, in[0].hi / in[1].lo,
                            in[0].hi / in[1].hi);
    Bounded r{lo, hi,
              (in[0].err + in[0].mag() / minAbs * in[1].err) / (minAbs - in[1].err)};
    return rounded(r, uc);
  }
  if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op))
    return Bounded{std::max(in[0].lo, in[1].lo), std::max(in[0].hi, in[1].hi),
                   std::max(in[0].err, in[1].err)};
  if (isa<arith::MinimumFOp, arith::MinNumFOp>(op))
    return Bounded{std::min(in[0].lo, in[1].lo), std::min(in[0].hi, in[1].hi),
                   std::max(in[0].err, in[1].err)};
  if (isa<arith::NegFOp>(op))
    return Bounded{-in[0].hi, -in[0].lo, in[0].err};
  if (isa<math::AbsFOp>(op))
    return Bounded{in[0].lo >= 0 ? in[0].lo : in[0].hi <= 0 ? -in[0].hi : 0, in[0].mag(),
                   in[0].err};
  if (isa<arith::SelectOp>(op))
    return Bounded{std::min(in[1].lo, in[2].lo), std::max(in[1].hi, in[2].hi),
                   std::max(in[1].err, in[2].err)};
  if (isa<math::ExpOp>(op)) {
    // |e^a - e^a'| <= e^(max) |a - a'|; libm within 2 ulp.
    Bounded r{std::exp(in[0].lo), std::exp(in[0].hi),
              std::exp(in[0].hi + in[0].err) * in[0].err};
    return rounded(rounded(r, uc), uc);
  }
  if (isa<arith::ExtFOp>(op))
    return in[0];
  if (auto trunc = dyn_cast<arith::TruncFOp>(op))
    return rounded(in[0], unitRoundoff(trunc.getType()));
  why = "payload op '" + op->getName().getStringRef().str() + "' is not modeled";
  return unbounded();
}

Bounded Propagator::payload(linalg::LinalgOp op, ArrayRef<Bounded> args, double uc, int64_t n,
                            std::string &why) {
  Block *body = op.getBlock();
  llvm::DenseMap<Value, Bounded> local;
  for (auto [arg, b] : llvm::zip(body->getArguments(), args))
    local[arg] = b;
  auto lookup = [&](Value v) -> Bounded {
    auto it = local.find(v);
    if (it != local.end())
      return it->second;
    // Captured from above, or a constant of the payload.
    FloatAttr attr;
    if (matchPattern(v, m_Constant(&attr))) {
      double c = attr.getValueAsDouble();
      return Bounded{c, c, 0.0};
    }
    return get(v);
  };
  for (Operation &inner : body->without_terminator()) {
    if (inner.getNumResults() != 1)
      return why = "payload op with several results", unbounded();
    if (isa<arith::ConstantOp>(inner)) {
      local[inner.getResult(0)] = lookup(inner.getResult(0));
      continue;
    }
    if (isa<arith::CmpFOp>(inner)) {
      local[inner.getResult(0)] = Bounded{0, 1, 0};
      continue;
    }
    SmallVector<Bounded> in;
    for (Value operand : inner.getOperands())
      in.push_back(lookup(operand));
    local[inner.getResult(0)] = evalScalar(&inner, in, uc, why);
  }
  Value yielded = body->getTerminator()->getOperand(0);
  if (op.getNumReductionLoops() == 0)
    return lookup(yielded);
  // A reduction: init + sum of n terms (out + t), or a max/min.
  Value out = body->getArgument(op.getNumDpsInputs());
  Operation *combine = yielded.getDefiningOp();
  if (!combine || combine->getNumOperands() != 2)
    return why = "reduction is not a sum, max or min", unbounded();
  Value term = combine->getOperand(0) == out ? combine->getOperand(1) : combine->getOperand(0);
  if (combine->getOperand(0) != out && combine->getOperand(1) != out)
    return why = "reduction does not combine with its accumulator", unbounded();
  if (n < 0)
    return why = "dynamic reduction length", unbounded();
  // The term was evaluated with the accumulator unbounded: re-evaluate it
  // as a function of the inputs only (terms do not read the accumulator).
  Bounded t = lookup(term);
  Bounded init = args[op.getNumDpsInputs()];
  if (isa<arith::AddFOp>(combine)) {
    double nd = static_cast<double>(n);
    double gamma = (nd - 1) * uc / (1 - (nd - 1) * uc);
    Bounded r{init.lo + nd * t.lo, init.hi + nd * t.hi, 0};
    r.err = init.err + nd * t.err + gamma * (init.mag() + nd * t.mag());
    return r;
  }
  if (isa<arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp, arith::MinNumFOp>(combine))
    return Bounded{std::min(init.lo, t.lo), std::max(init.hi, t.hi), std::max(init.err, t.err)};
  return why = "reduction is not a sum, max or min", unbounded();
}

void Propagator::visit(Operation *op, bool remarks, std::string &why) {
  DecisionAttr decision = getDecision(op);
  if (op->getNumResults() == 0)
    return;
  if (isa<tensor::EmptyOp, arith::ConstantOp>(op))
    return; // exact (constants are rounded where they are read)
  if (!decision) {
    // Undecided: reshapes carry their input's bound; anything else is
    // unknown (quantized contractions: their error depends on the scales).
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::ExtractSliceOp>(op)) {
      bounds[op->getResult(0)] = get(op->getOperand(0));
      storage[op->getResult(0)] = storedPrecision(op->getOperand(0));
      return;
    }
    if (isa<linalg::FillOp>(op)) {
      Value v = op->getOperand(0);
      FloatAttr attr;
      double c = matchPattern(v, m_Constant(&attr)) ? attr.getValueAsDouble() : kInf;
      bounds[op->getResult(0)] = std::isfinite(c) ? Bounded{c, c, 0} : unbounded();
      return;
    }
    for (Value result : op->getResults())
      bounds[result] = unbounded();
    why = op->hasAttr(MPDialect::getScalingAttrName())
              ? "quantized ops are not modeled"
              : "op '" + op->getName().getStringRef().str() + "' is not modeled";
    return;
  }
  Type storageType = decision.getStorageType();
  double us = unitRoundoff(storageType), uc = unitRoundoff(decision.getCompute());
  int sp = precisionOf(storageType);
  // Inputs are rounded to the op's storage when they are stored wider.
  auto input = [&](Value v) {
    Bounded b = get(v);
    if (isa<FloatType>(getElementTypeOrSelf(v.getType())) && storedPrecision(v) > sp)
      b = rounded(b, us);
    return b;
  };
  Bounded result;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (!linalgOp.hasPureTensorSemantics() || op->getNumResults() != 1) {
      why = "linalg op with several results";
      result = unbounded();
    } else {
      SmallVector<Bounded> args;
      for (OpOperand &operand : op->getOpOperands())
        args.push_back(linalgOp.isDpsInit(&operand) ? get(operand.get()) : input(operand.get()));
      int64_t n = 1;
      for (auto [size, type] :
           llvm::zip(linalgOp.getStaticLoopRanges(), linalgOp.getIteratorTypesArray()))
        if (type == utils::IteratorType::reduction)
          n = ShapedType::isDynamic(size) || n < 0 ? -1 : n * size;
      result = payload(linalgOp, args, uc, n, why);
    }
  } else if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::ExtractSliceOp>(op)) {
    result = input(op->getOperand(0));
  } else {
    why = "op '" + op->getName().getStringRef().str() + "' is not modeled";
    result = unbounded();
  }
  // The result is stored in the decision's storage (contractions: in their
  // accumulator, the compute type).
  int resultPrecision = decision.isContraction() ? precisionOf(decision.getCompute()) : sp;
  if (!decision.isContraction() && result.ok())
    result = rounded(result, us);
  // The range analysis may know a tighter interval.
  FloatRange r = ranges.getRange(op->getResult(0));
  if (r.isBounded() && !r.mayBeNaN) {
    result.lo = std::max(result.lo, r.lo);
    result.hi = std::min(result.hi, r.hi);
  }
  if (!result.ok() && why.empty())
    why = "its inputs are unbounded (annotate them with mp.range)";
  bounds[op->getResult(0)] = result;
  storage[op->getResult(0)] = resultPrecision;
  if (!remarks)
    return;
  if (result.ok())
    op->emitRemark() << llvm::formatv("error bound: |err| <= {0:e3} (|x| <= {1:e3}, relative "
                                      "{2:e3})",
                                      result.err, result.mag(),
                                      result.mag() > 0 ? result.err / result.mag() : 0.0);
  else
    op->emitRemark() << "error bound: no bound (" << why << ")";
}

struct MPErrorBoundsPass : mp::impl::MPErrorBoundsBase<MPErrorBoundsPass> {
  using MPErrorBoundsBase::MPErrorBoundsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<double> calibrationRanges;
    if (!calibration.empty()) {
      auto parsed = readCalibration(calibration);
      if (!parsed) {
        module.emitError() << "mp-error-bounds: " << llvm::toString(parsed.takeError());
        return signalPassFailure();
      }
      calibrationRanges = std::move(*parsed);
    }
    ValueRanges ranges(module, calibration.empty() ? nullptr : &calibrationRanges);
    Propagator propagator(ranges);
    module.walk([&](func::FuncOp func) {
      if (func.isExternal())
        return;
      for (Operation &op : func.getBody().front()) {
        std::string why;
        if (auto ret = dyn_cast<func::ReturnOp>(op)) {
          for (auto [index, value] : llvm::enumerate(ret.getOperands())) {
            Bounded b = propagator.get(value);
            if (b.ok())
              func.emitRemark() << llvm::formatv(
                  "result {0}: error bound |err| <= {1:e3} (|x| <= {2:e3})", index, b.err,
                  b.mag());
            else
              func.emitRemark() << "result " << index << ": no error bound";
          }
          continue;
        }
        propagator.visit(&op, /*remarks=*/true, why);
      }
    });
    markAllAnalysesPreserved();
  }
};

} // namespace
