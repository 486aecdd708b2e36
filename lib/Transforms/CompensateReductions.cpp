//===- CompensateReductions.cpp - compensated summation of long sums ------===//
//
// A linalg.generic reduction `out = out + f(ins)` becomes a generic with two
// accumulators of the same type, the sum and the running compensation, and
// (Neumaier) an elementwise op adding the compensation back. See the pass
// description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace mp {
#define GEN_PASS_DEF_MPCOMPENSATEREDUCTIONS
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// The summand of `out = out + x` in `op`'s payload (the other operand of the
/// yielded addf), or null.
Value summandOf(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return {};
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  BlockArgument out = body.getArguments().back();
  if (!add || !out.hasOneUse())
    return {};
  if (add.getLhs() == out)
    return add.getRhs();
  if (add.getRhs() == out)
    return add.getLhs();
  return {};
}

/// Product of the static reduction loop ranges; nullopt when one is dynamic.
std::optional<int64_t> reductionLength(linalg::GenericOp op) {
  int64_t length = 1;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [range, type] : llvm::zip(ranges, op.getIteratorTypesArray())) {
    if (type != utils::IteratorType::reduction)
      continue;
    if (ShapedType::isDynamic(range))
      return std::nullopt;
    length *= range;
  }
  return length;
}

struct MPCompensateReductionsPass
    : mp::impl::MPCompensateReductionsBase<MPCompensateReductionsPass> {
  using MPCompensateReductionsBase::MPCompensateReductionsBase;

  void runOnOperation() override {
    if (method != "neumaier" && method != "kahan") {
      getOperation()->emitError() << "mp-compensate-reductions: method must be neumaier or "
                                     "kahan, not '"
                                  << method << "'";
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> candidates;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() > 0 && !op->hasAttr(MPDialect::getCompensationAttrName()))
        candidates.push_back(op);
    });
    for (linalg::GenericOp op : candidates)
      rewrite(op);
  }

  void rewrite(linalg::GenericOp op) {
    auto skip = [&](const Twine &why) {
      if (remarks)
        op.emitRemark() << "reduction not compensated: " << why;
    };
    if (op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics())
      return skip("it has several outputs or works on buffers");
    auto resultType = dyn_cast<RankedTensorType>(op.getResult(0).getType());
    auto floatType = resultType ? dyn_cast<FloatType>(resultType.getElementType()) : nullptr;
    if (!floatType)
      return skip("the accumulator is not a float tensor");
    Value summand = summandOf(op);
    if (!summand)
      return skip("the payload is not a sum into the accumulator");
    std::optional<int64_t> length = reductionLength(op);
    bool narrow = floatType.getWidth() <= 16;
    if (!narrow && (!length || *length < minLength))
      return skip(length ? "the sum has " + Twine(*length) + " terms, fewer than min-length " +
                               Twine(int64_t(minLength))
                         : Twine("its length is dynamic"));

    OpBuilder b(op);
    Location loc = op.getLoc();
    Value init = op.getDpsInitOperand(0)->get();
    // The compensation starts at zero, shaped like the accumulator.
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, init);
    Value empty = tensor::EmptyOp::create(b, loc, sizes, floatType);
    Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, 0.0));
    Value compInit = linalg::FillOp::create(b, loc, zero, empty).getResult(0);

    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    maps.push_back(maps.back());
    bool neumaier = method == "neumaier";
    Block &oldBody = op.getRegion().front();
    auto compensated = linalg::GenericOp::create(b, loc, TypeRange{resultType, resultType}, op.getDpsInputs(), ValueRange{init, compInit},
        maps, op.getIteratorTypesArray(),
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          IRMapping mapping;
          unsigned numInputs = op.getNumDpsInputs();
          for (unsigned i = 0; i < numInputs; ++i)
            mapping.map(oldBody.getArgument(i), args[i]);
          Value sum = args[numInputs], comp = args[numInputs + 1];
          mapping.map(oldBody.getArguments().back(), sum);
          // The summand's computation, without the final addition.
          Operation *add = oldBody.getTerminator()->getOperand(0).getDefiningOp();
          for (Operation &inner : oldBody.without_terminator())
            if (&inner != add)
              nb.clone(inner, mapping);
          Value x = mapping.lookupOrDefault(summand);
          Value newSum, newComp;
          if (neumaier) {
            Value t = arith::AddFOp::create(nb, nloc, sum, x);
            Value absSum = math::AbsFOp::create(nb, nloc, sum);
            Value absX = math::AbsFOp::create(nb, nloc, x);
            Value sumIsBigger =
                arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OGE, absSum, absX);
            // The low-order part lost in t = s + x, from the larger operand.
            Value lostA = arith::AddFOp::create(nb, nloc, arith::SubFOp::create(nb, nloc, sum, t), x);
            Value lostB = arith::AddFOp::create(nb, nloc, arith::SubFOp::create(nb, nloc, x, t), sum);
            Value lost = arith::SelectOp::create(nb, nloc, sumIsBigger, lostA, lostB);
            newSum = t;
            newComp = arith::AddFOp::create(nb, nloc, comp, lost);
          } else {
            Value y = arith::SubFOp::create(nb, nloc, x, comp);
            Value t = arith::AddFOp::create(nb, nloc, sum, y);
            newComp = arith::SubFOp::create(nb, nloc, arith::SubFOp::create(nb, nloc, t, sum), y);
            newSum = t;
          }
          linalg::YieldOp::create(nb, nloc, ValueRange{newSum, newComp});
        });
    StringAttr methodAttr = b.getStringAttr(method);
    compensated->setAttrs(op->getDiscardableAttrDictionary());
    compensated->setAttr(MPDialect::getCompensationAttrName(), methodAttr);

    Value result = compensated.getResult(0);
    if (neumaier) {
      // s + c, elementwise over the accumulator's shape.
      AffineMap id = b.getMultiDimIdentityMap(resultType.getRank());
      SmallVector<utils::IteratorType> parallel(resultType.getRank(),
                                                utils::IteratorType::parallel);
      Value outEmpty = tensor::EmptyOp::create(b, loc, sizes, floatType);
      auto addBack = linalg::GenericOp::create(b, loc, TypeRange{resultType}, ValueRange{compensated.getResult(0), compensated.getResult(1)},
          ValueRange{outEmpty}, ArrayRef<AffineMap>{id, id, id}, parallel,
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            linalg::YieldOp::create(nb, nloc,
                                       ValueRange{arith::AddFOp::create(nb, nloc, args[0], args[1])});
          });
      addBack->setAttr(MPDialect::getCompensationAttrName(), methodAttr);
      if (Attribute decision = op->getAttr(MPDialect::getDecisionAttrName()))
        addBack->setAttr(MPDialect::getDecisionAttrName(), decision);
      result = addBack.getResult(0);
    }
    if (remarks)
      op.emitRemark() << "compensated " << method << " summation of "
                      << (length ? Twine(*length) : Twine("a dynamic number of")) << " "
                      << floatType << " terms";
    op.getResult(0).replaceAllUsesWith(result);
    op.erase();
  }
};

} // namespace
