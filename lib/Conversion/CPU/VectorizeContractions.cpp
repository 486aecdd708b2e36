//===- VectorizeContractions.cpp - register-blocked CPU contractions ------===//

#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mp {
#define GEN_PASS_DEF_MPVECTORIZECONTRACTIONS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// True when `map`'s last two results are dims `outer` then `inner`.
bool endsWith(AffineMap map, unsigned outer, unsigned inner) {
  unsigned n = map.getNumResults();
  if (n < 2)
    return false;
  auto last = dyn_cast<AffineDimExpr>(map.getResult(n - 1));
  auto before = dyn_cast<AffineDimExpr>(map.getResult(n - 2));
  return last && before && last.getPosition() == inner && before.getPosition() == outer;
}

/// The largest divisor of `size` that is at most `limit`.
int64_t largestDivisorAtMost(int64_t size, int64_t limit) {
  for (int64_t candidate = std::min(size, limit); candidate > 1; --candidate)
    if (size % candidate == 0)
      return candidate;
  return 1;
}

/// Vector FMAs on 16-bit accumulators have no native CPU instruction: they
/// expand into software rounding per lane, and LLVM needs minutes to compile
/// a block of them (a bf16 decoder block: 407 s against 2 s for loops). Such
/// contractions (models that accumulate in bf16/f16 as they arrived) are left
/// to the scalar loops; f32 and f64 accumulators are vectorized.
bool accumulatesWide(linalg::LinalgOp op) {
  return llvm::all_of(op.getDpsInits(), [](Value init) {
    auto type = dyn_cast<FloatType>(getElementTypeOrSelf(init.getType()));
    return type && type.getWidth() >= 32;
  });
}

struct MPVectorizeContractionsPass
    : mp::impl::MPVectorizeContractionsBase<MPVectorizeContractionsPass> {
  using MPVectorizeContractionsBase::MPVectorizeContractionsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::LinalgOp> candidates;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && !op.hasDynamicShape() &&
          linalg::isaContractionOpInterface(op) && accumulatesWide(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates)
      (void)tileAndVectorize(rewriter, op);

    RewritePatternSet patterns(&getContext());
    // Batch dimensions are tiled to 1: drop them so contractions are 2-D.
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::EltWise);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }

  /// Tiles one contraction into blocks and vectorizes the block.
  LogicalResult tileAndVectorize(IRRewriter &rewriter, linalg::LinalgOp op) {
    FailureOr<linalg::ContractionDimensions> dims = linalg::inferContractionDims(op);
    if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
      return failure();
    // Only row-major blocks (A[.., m, k], B[.., k, n], C[.., m, n]): other
    // layouts would need in-register transposes that cost more than they save.
    unsigned m = dims->m.back(), n = dims->n.back(), k = dims->k.back();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    if (maps.size() != 3 || !endsWith(maps[0], m, k) || !endsWith(maps[1], k, n) ||
        !endsWith(maps[2], m, n))
      return failure();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<int64_t> tiles(ranges.size(), 1);
    auto setTile = [&](ArrayRef<unsigned> group, int64_t limit) {
      // Block the innermost dimension of each group; the others step by 1.
      unsigned dim = group.back();
      tiles[dim] = largestDivisorAtMost(ranges[dim], limit);
    };
    setTile(dims->m, tileM);
    setTile(dims->n, tileN);
    setTile(dims->k, tileK);
    if (tiles[dims->n.back()] < 4)
      return failure(); // too narrow to be worth vectors

    // With `parallel`, the blocks along parallel dimensions are an
    // scf.forall (threads take whole blocks; each output element still sums
    // its products in the same order) and the reduction blocks a sequential
    // loop inside it.
    SmallVector<Operation *> blocks;
    if (parallel) {
      SmallVector<int64_t> outer(tiles), inner(tiles.size(), 0);
      for (auto [dim, type] : llvm::enumerate(op.getIteratorTypesArray()))
        if (type == utils::IteratorType::reduction)
          std::swap(outer[dim], inner[dim]);
      scf::SCFTilingOptions forall;
      forall.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      forall.setTileSizes(getAsIndexOpFoldResult(op.getContext(), outer));
      rewriter.setInsertionPoint(op);
      auto tiling = scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()),
                                      forall);
      if (failed(tiling))
        return failure();
      rewriter.replaceOp(op, tiling->replacements);
      for (Operation *tiled : tiling->tiledOps) {
        scf::SCFTilingOptions sequential;
        sequential.setTileSizes(getAsIndexOpFoldResult(op.getContext(), inner));
        rewriter.setInsertionPoint(tiled);
        auto reduction = scf::tileUsingSCF(rewriter, cast<TilingInterface>(tiled), sequential);
        if (failed(reduction))
          return failure();
        rewriter.replaceOp(tiled, reduction->replacements);
        llvm::append_range(blocks, reduction->tiledOps);
      }
    } else {
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), tiles));
      rewriter.setInsertionPoint(op);
      auto tiling = scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()),
                                      options);
      if (failed(tiling))
        return failure();
      rewriter.replaceOp(op, tiling->replacements);
      llvm::append_range(blocks, tiling->tiledOps);
    }
    for (Operation *tiled : blocks) {
      rewriter.setInsertionPoint(tiled);
      auto vectorized = linalg::vectorize(
          rewriter, tiled, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false, /*createNamedContraction=*/true);
      if (failed(vectorized))
        continue; // stays a (tiled) scalar contraction
      rewriter.replaceOp(tiled, vectorized->replacements);
    }
    return success();
  }
};

} // namespace
