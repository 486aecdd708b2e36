//===- FoldConstantTransposes.cpp - permute constant weights at compile time ---===//
//
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "mp/Transforms/Passes.h"

#include "mp/Analysis/ConstantData.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstring>

namespace mp {
#define GEN_PASS_DEF_MPFOLDCONSTANTTRANSPOSES
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;

namespace {

/// For each result dimension, the input dimension it reads (a permutation).
static std::optional<SmallVector<int64_t>> readDims(Operation *op) {
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op))
    return SmallVector<int64_t>(transpose.getPermutation());
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getNumReductionLoops() != 0)
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != body.getArgument(0))
    return std::nullopt;
  AffineMap in = generic.getIndexingMapsArray()[0];
  AffineMap out = generic.getIndexingMapsArray()[1];
  if (!out.isIdentity() || !in.isPermutation())
    return std::nullopt;
  // Input dim j is indexed by loop (= result dim) in.getDimPosition(j).
  SmallVector<int64_t> dims(in.getNumResults());
  for (unsigned j = 0; j < in.getNumResults(); ++j)
    dims[in.getDimPosition(j)] = j;
  return dims;
}

struct FoldConstantPermutation : RewritePattern {
  FoldConstantPermutation(MLIRContext *ctx, int64_t maxBytes)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx), maxBytes(maxBytes) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isa<linalg::TransposeOp, linalg::GenericOp>(op) || op->getNumResults() != 1)
      return failure();
    std::optional<SmallVector<int64_t>> dims = readDims(op);
    if (!dims)
      return failure();
    auto linalgOp = cast<linalg::LinalgOp>(op);
    Value input = linalgOp.getDpsInputOperand(0)->get();
    auto constant = input.getDefiningOp<arith::ConstantOp>();
    // A constant read elsewhere too (a tied embedding and output projection)
    // stays one copy: folding would store it twice.
    if (!constant || !constant->hasOneUse())
      return failure();
    auto elements = dyn_cast<ElementsAttr>(constant.getValue());
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!elements || !resultType || !resultType.hasStaticShape() ||
        resultType.getElementType() != elements.getElementType())
      return failure();
    bool splat = false;
    std::optional<ArrayRef<char>> raw = mp::rawConstantBytes(elements, splat);
    if (!raw)
      return failure();
    size_t size = elements.getElementType().getIntOrFloatBitWidth() / 8;
    int64_t count = resultType.getNumElements();
    if (count * int64_t(size) > maxBytes)
      return failure();
    DenseElementsAttr folded;
    if (splat) {
      folded = DenseElementsAttr::getFromRawBuffer(resultType, *raw);
    } else {
      if (raw->size() != size_t(count) * size)
        return failure();
      auto inShape = cast<ShapedType>(elements.getType()).getShape();
      int64_t rank = resultType.getRank();
      SmallVector<int64_t> inStrides(rank, 1), step(rank);
      for (int64_t d = rank - 2; d >= 0; --d)
        inStrides[d] = inStrides[d + 1] * inShape[d + 1];
      for (int64_t i = 0; i < rank; ++i)
        step[i] = inStrides[(*dims)[i]];
      std::vector<char> data(count * size);
      SmallVector<int64_t> index(rank, 0);
      int64_t offset = 0;
      auto shape = resultType.getShape();
      for (int64_t linear = 0; linear < count; ++linear) {
        std::memcpy(data.data() + linear * size, raw->data() + offset * size, size);
        for (int64_t d = rank - 1; d >= 0; --d) {
          offset += step[d];
          if (++index[d] < shape[d])
            break;
          offset -= step[d] * shape[d];
          index[d] = 0;
        }
      }
      folded = DenseElementsAttr::getFromRawBuffer(resultType, data);
    }
    auto replacement = arith::ConstantOp::create(rewriter, op->getLoc(), folded);
    for (Operation *from : {op, constant.getOperation()})
      if (Attribute name = from->getAttr("mp.name")) {
        replacement->setAttr("mp.name", name);
        break;
      }
    rewriter.replaceOp(op, replacement->getResults());
    return success();
  }

  int64_t maxBytes;
};

struct MPFoldConstantTransposesPass
    : mp::impl::MPFoldConstantTransposesBase<MPFoldConstantTransposesPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldConstantPermutation>(&getContext(), maxBytes);
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
  }
};

} // namespace
