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

/// A tensor of `sizes` filled with zeros of `type` (an accumulator's start).
Value zeros(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, FloatType type) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, type);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

struct MPCompensateReductionsPass
    : mp::impl::MPCompensateReductionsBase<MPCompensateReductionsPass> {
  using MPCompensateReductionsBase::MPCompensateReductionsBase;

  void runOnOperation() override {
    if (method != "neumaier" && method != "kahan" && method != "pairwise") {
      getOperation()->emitError() << "mp-compensate-reductions: method must be neumaier, "
                                     "kahan or pairwise, not '"
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

    if (method == "pairwise")
      return rewriteBlocked(op, resultType, floatType, skip);

    OpBuilder b(op);
    Location loc = op.getLoc();
    Value init = op.getDpsInitOperand(0)->get();
    // The compensation starts at zero, shaped like the accumulator.
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, init);
    Value compInit = zeros(b, loc, sizes, floatType);

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

  /// Two-level (blocked pairwise) summation: the reduction dimension of
  /// length n = outer * block (block the largest divisor of n at most
  /// sqrt(n)) is split; the first generic sums each block of `block` terms
  /// into its own partial sum (a new parallel dimension), the second sums
  /// the `outer` partial sums into the accumulator. The error bound drops
  /// from about n to block + outer roundings; no extra flops per term.
  void rewriteBlocked(linalg::GenericOp op, RankedTensorType resultType, FloatType floatType,
                      llvm::function_ref<void(const Twine &)> skip) {
    SmallVector<unsigned> reductionDims;
    op.getReductionDims(reductionDims);
    if (reductionDims.size() != 1)
      return skip("pairwise summation needs exactly one reduction dimension");
    unsigned r = reductionDims.front();
    int64_t n = op.getStaticLoopRanges()[r];
    if (ShapedType::isDynamic(n))
      return skip("its length is dynamic");
    int64_t block = 1;
    for (int64_t candidate = 2; candidate * candidate <= n; ++candidate)
      if (n % candidate == 0)
        block = candidate;
    if (block < 2)
      return skip("its length " + Twine(n) + " has no divisor to block by");
    int64_t outer = n / block;
    unsigned numDims = op.getNumLoops();
    MLIRContext *ctx = op.getContext();
    AffineExpr outerDim = getAffineDimExpr(numDims, ctx);

    // Inputs indexed by the reduction dimension get it split in two; all are
    // checked before the IR changes.
    SmallVector<std::optional<unsigned>> positions;
    for (OpOperand *operand : op.getDpsInputOperands()) {
      std::optional<unsigned> position;
      for (auto [i, expr] : llvm::enumerate(op.getMatchingIndexingMap(operand).getResults())) {
        if (auto dim = dyn_cast<AffineDimExpr>(expr); dim && dim.getPosition() == r) {
          if (position)
            return skip("an input is indexed twice by the reduction dimension");
          position = i;
        } else if (expr.isFunctionOfDim(r)) {
          return skip("an input is indexed by an expression of the reduction dimension");
        }
      }
      auto type = dyn_cast<RankedTensorType>(operand->get().getType());
      if (position && (!type || type.getDimSize(*position) != n))
        return skip("an input's reduced dimension is not static");
      positions.push_back(position);
    }
    SmallVector<std::pair<Value, AffineMap>> inputs;
    for (auto [operand, position] : llvm::zip(op.getDpsInputOperands(), positions)) {
      SmallVector<AffineExpr> results(op.getMatchingIndexingMap(operand).getResults());
      Value value = operand->get();
      if (position) {
        auto type = cast<RankedTensorType>(value.getType());
        SmallVector<int64_t> shape(type.getShape());
        shape[*position] = block;
        shape.insert(shape.begin() + *position, outer);
        SmallVector<ReassociationIndices> groups;
        for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
          if (d < int64_t(*position))
            groups.push_back({d});
          else if (d == int64_t(*position))
            groups.push_back({d, d + 1});
          else
            groups.push_back({d + 1});
        }
        results[*position] = getAffineDimExpr(r, ctx);
        results.insert(results.begin() + *position, outerDim);
        OpBuilder b(op);
        value = tensor::ExpandShapeOp::create(b, op.getLoc(), type.clone(shape), value, groups);
      }
      inputs.push_back({value, AffineMap::get(numDims + 1, 0, results, ctx)});
    }

    OpBuilder b(op);
    Location loc = op.getLoc();
    Value init = op.getDpsInitOperand(0)->get();
    // Partial sums: the accumulator's shape plus one dimension of `outer`.
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, init);
    sizes.push_back(b.getIndexAttr(outer));
    Value partialInit = zeros(b, loc, sizes, floatType);
    AffineMap outMap = op.getIndexingMapsArray().back();
    SmallVector<AffineExpr> partialResults(outMap.getResults());
    partialResults.push_back(outerDim);
    SmallVector<AffineMap> maps;
    SmallVector<Value> values;
    for (auto &[value, map] : inputs) {
      values.push_back(value);
      maps.push_back(map);
    }
    maps.push_back(AffineMap::get(numDims + 1, 0, partialResults, ctx));
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    iterators.push_back(utils::IteratorType::parallel);
    auto blocks = linalg::GenericOp::create(b, loc, TypeRange{partialInit.getType()}, values,
                                            ValueRange{partialInit}, maps, iterators);
    IRMapping mapping;
    op.getRegion().cloneInto(&blocks.getRegion(), mapping);
    blocks->setAttrs(op->getDiscardableAttrDictionary());
    StringAttr methodAttr = b.getStringAttr("pairwise");
    blocks->setAttr(MPDialect::getCompensationAttrName(), methodAttr);

    // The partial sums, summed into the accumulator.
    int64_t rank = resultType.getRank();
    AffineMap all = b.getMultiDimIdentityMap(rank + 1);
    AffineMap dropLast = AffineMap::get(rank + 1, 0, all.getResults().drop_back(), ctx);
    SmallVector<utils::IteratorType> outerIterators(rank, utils::IteratorType::parallel);
    outerIterators.push_back(utils::IteratorType::reduction);
    auto total = linalg::GenericOp::create(
        b, loc, TypeRange{resultType}, ValueRange{blocks.getResult(0)}, ValueRange{init},
        ArrayRef<AffineMap>{all, dropLast}, outerIterators,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          linalg::YieldOp::create(nb, nloc,
                                  ValueRange{arith::AddFOp::create(nb, nloc, args[1], args[0])});
        });
    total->setAttr(MPDialect::getCompensationAttrName(), methodAttr);
    if (Attribute decision = op->getAttr(MPDialect::getDecisionAttrName()))
      total->setAttr(MPDialect::getDecisionAttrName(), decision);
    if (remarks)
      op.emitRemark() << "pairwise summation of " << n << " " << floatType << " terms as "
                      << outer << " blocks of " << block;
    op.getResult(0).replaceAllUsesWith(total.getResult(0));
    op.erase();
  }
};

} // namespace
