//===- VectorizeContractions.cpp - register-blocked CPU contractions ------===//

#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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

/// A generic that accumulates into its init but is not taken by the
/// contraction path: mp-insert-scaling's weight-only products (`out + ext(a)
/// * (itofp(q) * s [+ m])`, three or four inputs, f32) and int8 products
/// (i32 accumulators). Requirements: static tensors, one f32 (i32) init read
/// only by the payload's final `addf(out, x)` (`addi`), at least one
/// reduction loop, projected-permutation maps, arith ops without fast-math
/// flags, and the output's last dimension a parallel loop that is last in
/// every input that reads it (contiguous vectors). Sub-byte
/// integer inputs must be constants read only by sitofp/uitofp (they are
/// widened to i8 first: vector loads of i4 would read packed bits).
bool isAccumulatingGeneric(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0)
    return false;
  // f32 accumulators (addf, no fast-math flags) and i32 ones (addi: exact in
  // any order) that the contraction path does not take.
  Type acc = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  if (!acc.isF32() && !acc.isInteger(32))
    return false;
  if (acc.isF32() && linalg::isaContractionOpInterface(op))
    return false;
  Block &body = op.getRegion().front();
  BlockArgument out = body.getArguments().back();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 || !out.hasOneUse())
    return false;
  Operation *add = yield.getOperand(0).getDefiningOp();
  if (auto addf = dyn_cast_or_null<arith::AddFOp>(add)) {
    if (!acc.isF32() || addf.getLhs() != out ||
        addf.getFastmath() != arith::FastMathFlags::none)
      return false;
  } else if (auto addi = dyn_cast_or_null<arith::AddIOp>(add)) {
    if (!acc.isInteger(32) || (addi.getLhs() != out && addi.getRhs() != out))
      return false;
  } else {
    return false;
  }
  // Arith ops only, none with fast-math flags: a `contract` flag would let
  // LLVM fuse the vector multiply and add where the scalar loop did not.
  for (Operation &payload : body.without_terminator()) {
    if (payload.getDialect()->getNamespace() != "arith" || payload.getNumRegions() != 0)
      return false;
    if (auto fastmath = dyn_cast<arith::ArithFastMathInterface>(payload))
      if (fastmath.getFastMathFlagsAttr() &&
          fastmath.getFastMathFlagsAttr().getValue() != arith::FastMathFlags::none)
        return false;
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!llvm::all_of(maps, [](AffineMap m) { return m.isProjectedPermutation(); }))
    return false;
  AffineMap outMap = maps.back();
  if (outMap.getNumResults() == 0)
    return false;
  auto nExpr = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!nExpr || op.getIteratorTypesArray()[nExpr.getPosition()] != utils::IteratorType::parallel)
    return false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    std::optional<unsigned> pos = map.getResultPosition(nExpr);
    if (pos && *pos != map.getNumResults() - 1)
      return false;
    Type element = getElementTypeOrSelf(input->get().getType());
    if (!element.isIntOrFloat())
      return false;
    if (element.getIntOrFloatBitWidth() >= 8)
      continue;
    if (!isa<IntegerType>(element) || !input->get().getDefiningOp<arith::ConstantOp>())
      return false;
    BlockArgument arg = op.getMatchingBlockArgument(input);
    bool allSigned = llvm::all_of(arg.getUsers(), [](Operation *u) { return isa<arith::SIToFPOp>(u); });
    bool allUnsigned = llvm::all_of(arg.getUsers(), [](Operation *u) { return isa<arith::UIToFPOp>(u); });
    if (arg.use_empty() || !(allSigned || allUnsigned))
      return false;
  }
  return true;
}

/// Replaces the sub-byte integer constant inputs of `op` by i8 constants
/// with the same values (sign- or zero-extended as the payload reads them).
void widenSubByteConstants(IRRewriter &rewriter, linalg::GenericOp op) {
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto type = cast<RankedTensorType>(input->get().getType());
    auto element = dyn_cast<IntegerType>(type.getElementType());
    if (!element || element.getWidth() >= 8)
      continue;
    auto constant = input->get().getDefiningOp<arith::ConstantOp>();
    auto values = cast<DenseIntElementsAttr>(constant.getValue());
    BlockArgument arg = op.getMatchingBlockArgument(input);
    bool isSigned = isa<arith::SIToFPOp>(*arg.getUsers().begin());
    SmallVector<APInt> wide;
    wide.reserve(values.getNumElements());
    for (const APInt &v : values.getValues<APInt>())
      wide.push_back(isSigned ? v.sext(8) : v.zext(8));
    auto wideType = RankedTensorType::get(type.getShape(), rewriter.getI8Type());
    rewriter.setInsertionPoint(op);
    Value replacement = arith::ConstantOp::create(rewriter, constant.getLoc(),
                                                  DenseIntElementsAttr::get(wideType, wide));
    rewriter.modifyOpInPlace(op, [&] {
      input->set(replacement);
      arg.setType(rewriter.getI8Type());
    });
  }
}

/// Tiles `op` by `outer` (one scf.forall when `forall`, else scf.for loops),
/// then each tile by `inner` (scf.for loops); returns the innermost tiled ops.
FailureOr<SmallVector<Operation *>> tileTwice(IRRewriter &rewriter, Operation *op,
                                              ArrayRef<int64_t> outer, ArrayRef<int64_t> inner,
                                              bool forall) {
  MLIRContext *ctx = op->getContext();
  scf::SCFTilingOptions blocking;
  if (forall)
    blocking.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  blocking.setTileSizes(getAsIndexOpFoldResult(ctx, outer));
  rewriter.setInsertionPoint(op);
  auto tiling = scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), blocking);
  if (failed(tiling))
    return failure();
  rewriter.replaceOp(op, tiling->replacements);
  SmallVector<Operation *> tiles;
  for (Operation *tiled : tiling->tiledOps) {
    scf::SCFTilingOptions steps;
    steps.setTileSizes(getAsIndexOpFoldResult(ctx, inner));
    rewriter.setInsertionPoint(tiled);
    auto second = scf::tileUsingSCF(rewriter, cast<TilingInterface>(tiled), steps);
    if (failed(second))
      return failure();
    rewriter.replaceOp(tiled, second->replacements);
    llvm::append_range(tiles, second->tiledOps);
  }
  return tiles;
}

/// True when no input is wider than the accumulator. A matmul that rounds an
/// f64 operand down to its f32 accumulator (a model with f64 weights) would
/// vectorize to a vector.contract whose lowering widens with arith.extf and
/// fails to verify; such ops stay on the loops.
bool narrowsNoInput(linalg::LinalgOp op) {
  Type acc = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  return llvm::all_of(op.getDpsInputs(), [&](Value input) {
    Type element = getElementTypeOrSelf(input.getType());
    return element.isIntOrFloat() && acc.isIntOrFloat() &&
           element.getIntOrFloatBitWidth() <= acc.getIntOrFloatBitWidth();
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
          linalg::isaContractionOpInterface(op) && accumulatesWide(op) && narrowsNoInput(op))
        candidates.push_back(op);
    });
    SmallVector<linalg::GenericOp> accumulating;
    func.walk([&](linalg::GenericOp op) {
      if (isAccumulatingGeneric(op))
        accumulating.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates)
      (void)tileAndVectorize(rewriter, op);
    for (linalg::GenericOp op : accumulating)
      (void)tileAndVectorizeAccumulating(rewriter, op);

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

  /// An accumulating generic: reduction loops moved outermost, then blocks
  /// of `dequant-tile-m` x `dequant-tile-n` output elements (the output's
  /// last dimension and the innermost other parallel one), each advanced one
  /// reduction step at a time. A step is vectorized over the block only, so
  /// every output element still sums its terms one by one in the original
  /// order, with the payload's own roundings (a multiply, then an add; no
  /// fused multiply-add): the same bits as the scalar loops.
  LogicalResult tileAndVectorizeAccumulating(IRRewriter &rewriter, linalg::GenericOp op) {
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    unsigned n = cast<AffineDimExpr>(op.getIndexingMapsArray().back().getResults().back())
                     .getPosition();
    SmallVector<unsigned> order;
    for (auto [dim, type] : llvm::enumerate(iterators))
      if (type == utils::IteratorType::reduction)
        order.push_back(dim);
    unsigned numReductions = order.size();
    std::optional<unsigned> m;
    for (auto [dim, type] : llvm::enumerate(iterators))
      if (type == utils::IteratorType::parallel) {
        order.push_back(dim);
        if (dim != n)
          m = dim;
      }
    SmallVector<int64_t> oldRanges = op.getStaticLoopRanges();
    int64_t tileN = largestDivisorAtMost(oldRanges[n], dequantTileN);
    if (tileN < 4)
      return failure(); // too narrow to be worth vectors
    int64_t tileM = m ? largestDivisorAtMost(oldRanges[*m], dequantTileM) : 1;

    widenSubByteConstants(rewriter, op);
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::GenericOp> interchanged = linalg::interchangeGenericOp(rewriter, op, order);
    if (failed(interchanged))
      return failure();
    // New loop i is old loop order[i]: reductions first, then parallels.
    SmallVector<int64_t> outer(order.size(), 0), inner(order.size(), 0);
    for (auto [i, old] : llvm::enumerate(order)) {
      if (i < numReductions)
        inner[i] = 1;
      else
        outer[i] = old == n ? tileN : (m && old == *m) ? tileM : 1;
    }
    FailureOr<SmallVector<Operation *>> blocks =
        tileTwice(rewriter, interchanged->getOperation(), outer, inner, parallel);
    if (failed(blocks))
      return failure();
    for (Operation *tiled : *blocks) {
      rewriter.setInsertionPoint(tiled);
      auto vectorized = linalg::vectorize(rewriter, tiled);
      if (failed(vectorized))
        continue; // stays a (tiled) scalar loop nest
      rewriter.replaceOp(tiled, vectorized->replacements);
    }
    return success();
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
    // Inputs narrower than the accumulator (bf16/f16 into f32) are widened
    // per block: larger m x n blocks widen each element fewer times.
    Type acc = getElementTypeOrSelf(op.getDpsInits()[0].getType());
    bool widens = llvm::any_of(op.getDpsInputs(), [&](Value input) {
      Type element = getElementTypeOrSelf(input.getType());
      return element.isIntOrFloat() && acc.isIntOrFloat() &&
             element.getIntOrFloatBitWidth() < acc.getIntOrFloatBitWidth();
    });
    setTile(dims->m, widens ? wideningTileM : tileM);
    setTile(dims->n, widens ? wideningTileN : tileN);
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
      FailureOr<SmallVector<Operation *>> tiles =
          tileTwice(rewriter, op.getOperation(), outer, inner, /*forall=*/true);
      if (failed(tiles))
        return failure();
      blocks = std::move(*tiles);
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
