//===- LowerWarpMma.cpp - warp-level contractions to mma.sync per lane ----===//
//
// mp-gpu-lower-warp-mma rewrites the warp-level bodies that
// mp-gpu-map-kernels writes for tensor cores (launches marked
// `mp.warp_synchronous`) into per-lane code around `nvvm.mma.sync`
// (m16n8k16, row x col, f16 or bf16 in, f32 accumulate):
//
//   any 16x8 tile (accumulators, epilogue values) -> vector<4xT> per lane
//   transfer_read / transfer_write of a 16x8 tile -> 4 loads / 4 stores
//   elementwise ops, splats and broadcasts on tiles -> the same on vector<4xT>
//   vector.contract(A 16x16 (m,k), B 8x16 (n,k))  -> the lane's operand
//       elements (loads, then the casts applied to the tile), packed in
//       pairs, nvvm.mma.sync
//
// Lane l holds, with g = l / 4 and t = l % 4 (the PTX ISA's fragment layout
// for mma.m16n8k16): A[g][2t..2t+1], A[g+8][2t..], A[g][2t+8..], A[g+8][2t+8..];
// B(n, k) at n = g, k = 2t..2t+1 and 2t+8..2t+9; C[g][2t..2t+1], C[g+8][2t..2t+1].
// Tile reads and writes may be transposed or broadcast (their permutation
// maps place the tile's rows and columns in the buffer). Loop-carried
// accumulators are retyped by the SCF structural conversion.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"
#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mp {
#define GEN_PASS_DEF_MPGPULOWERWARPMMA
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

bool isTile(Type type) {
  auto vector = dyn_cast<VectorType>(type);
  return vector && vector.getShape() == ArrayRef<int64_t>{16, 8};
}

/// (row, col) positions within a tile.
using Positions = SmallVector<std::pair<Value, Value>>;

struct Lane {
  Value g, g8, t2, t2p1, t2p8, t2p9;
};

Value plus(OpBuilder &b, Location loc, Value v, int64_t c) {
  return arith::AddIOp::create(b, loc, v, arith::ConstantIndexOp::create(b, loc, c));
}

Lane laneCoordinates(OpBuilder &b, Location loc) {
  Value lane = gpu::LaneIdOp::create(b, loc, /*upper_bound=*/nullptr);
  Value four = arith::ConstantIndexOp::create(b, loc, 4);
  Value g = arith::DivUIOp::create(b, loc, lane, four);
  Value quad = arith::RemUIOp::create(b, loc, lane, four);
  Value t2 = arith::ShLIOp::create(b, loc, quad, arith::ConstantIndexOp::create(b, loc, 1));
  return {g, plus(b, loc, g, 8), t2, plus(b, loc, t2, 1), plus(b, loc, t2, 8),
          plus(b, loc, t2, 9)};
}

Positions accumulatorPositions(const Lane &l) {
  return {{l.g, l.t2}, {l.g, l.t2p1}, {l.g8, l.t2}, {l.g8, l.t2p1}};
}

/// Buffer indices of element (row, col) of the tile that `read`/`write`
/// (a transfer op) covers: the permutation map places rows and columns;
/// constant results are broadcast dimensions.
SmallVector<Value> elementIndices(OpBuilder &b, Location loc, ValueRange tileIndices,
                                  AffineMap perm, Value row, Value col) {
  SmallVector<Value> indices(tileIndices);
  Value offsets[2] = {row, col};
  for (unsigned i = 0; i < 2; ++i)
    if (auto dim = dyn_cast<AffineDimExpr>(perm.getResult(i)))
      indices[dim.getPosition()] =
          arith::AddIOp::create(b, loc, indices[dim.getPosition()], offsets[i]);
  return indices;
}

/// The scalars of `tile` at `positions`: loads for a transfer_read, then the
/// single-operand elementwise ops (casts) applied to them.
FailureOr<SmallVector<Value>> lanesOf(OpBuilder &b, Location loc, Value tile,
                                      const Positions &positions) {
  if (auto read = tile.getDefiningOp<vector::TransferReadOp>()) {
    if (read.getMask() || !isa<MemRefType>(read.getBase().getType()))
      return failure();
    SmallVector<Value> values;
    for (auto [row, col] : positions)
      values.push_back(memref::LoadOp::create(
          b, loc, read.getBase(),
          elementIndices(b, loc, read.getIndices(), read.getPermutationMap(), row, col)));
    return values;
  }
  Operation *def = tile.getDefiningOp();
  if (!def || def->getNumOperands() != 1 || def->getNumResults() != 1 ||
      !OpTrait::hasElementwiseMappableTraits(def))
    return failure();
  FailureOr<SmallVector<Value>> inner = lanesOf(b, loc, def->getOperand(0), positions);
  if (failed(inner))
    return failure();
  Type scalar = getElementTypeOrSelf(def->getResult(0).getType());
  SmallVector<Value> values;
  for (Value v : *inner) {
    OperationState state(loc, def->getName(), ValueRange{v}, TypeRange{scalar},
                         def->getAttrs());
    values.push_back(b.create(state)->getResult(0));
  }
  return values;
}

/// Two 16-bit values as one mma register: vector<2xf16>, or i32 for bf16.
Value pack(OpBuilder &b, Location loc, Value lo, Value hi) {
  Type elementType = lo.getType();
  Value pair = vector::FromElementsOp::create(
      b, loc, VectorType::get({2}, elementType), ValueRange{lo, hi});
  if (elementType.isF16())
    return pair;
  Value asInt = vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI32Type()), pair);
  return vector::ExtractOp::create(b, loc, asInt, ArrayRef<int64_t>{0});
}

/// A 16x8 tile read or written on a buffer without a mask.
template <typename TransferOp>
bool isPlainTileTransfer(TransferOp op) {
  return isTile(op.getVectorType()) && !op.getMask() &&
         isa<MemRefType>(op.getBase().getType());
}

struct ReadTile : OpConversionPattern<vector::TransferReadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!isPlainTileTransfer(read))
      return failure();
    Location loc = read.getLoc();
    FailureOr<SmallVector<Value>> values =
        lanesOf(rewriter, loc, read, accumulatorPositions(laneCoordinates(rewriter, loc)));
    if (failed(values))
      return failure();
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(
        read, VectorType::get({4}, read.getVectorType().getElementType()), *values);
    return success();
  }
};

struct WriteTile : OpConversionPattern<vector::TransferWriteOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(vector::TransferWriteOp write, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!isPlainTileTransfer(write))
      return failure();
    Location loc = write.getLoc();
    Positions positions = accumulatorPositions(laneCoordinates(rewriter, loc));
    for (auto [i, position] : llvm::enumerate(positions)) {
      Value element = vector::ExtractOp::create(rewriter, loc, adaptor.getValueToStore(),
                                                ArrayRef<int64_t>{int64_t(i)});
      memref::StoreOp::create(rewriter, loc, element, write.getBase(),
                              elementIndices(rewriter, loc, write.getIndices(),
                                             write.getPermutationMap(), position.first,
                                             position.second));
    }
    rewriter.eraseOp(write);
    return success();
  }
};

/// Splat constants and elementwise ops on tiles: the same op on the lane's
/// four elements (elementwise ops do not care about the layout).
struct RetypeTileOp : ConversionPattern {
  RetypeTileOp(const TypeConverter &converter, MLIRContext *ctx)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                                ConversionPatternRewriter &rewriter) const override {
    if (!llvm::any_of(op->getResultTypes(), isTile) || op->getNumRegions() != 0)
      return failure();
    SmallVector<Type> types;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(), types)))
      return failure();
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
      if (!splat)
        return failure();
      rewriter.replaceOpWithNewOp<arith::ConstantOp>(
          op, types[0], SplatElementsAttr::get(cast<ShapedType>(types[0]),
                                               splat.getSplatValue<Attribute>()));
      return success();
    }
    if (!OpTrait::hasElementwiseMappableTraits(op) && !isa<vector::BroadcastOp>(op))
      return failure();
    if (auto broadcast = dyn_cast<vector::BroadcastOp>(op);
        broadcast && isa<VectorType>(broadcast.getSource().getType()))
      return failure(); // only scalars are broadcast to tiles
    OperationState state(op->getLoc(), op->getName(), operands, types, op->getAttrs());
    rewriter.replaceOp(op, rewriter.create(state)->getResults());
    return success();
  }
};

struct ContractToMma : OpConversionPattern<vector::ContractionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(vector::ContractionOp contract, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto lhsType = contract.getLhsType(), rhsType = contract.getRhsType();
    if (lhsType.getShape() != ArrayRef<int64_t>{16, 16} ||
        rhsType.getShape() != ArrayRef<int64_t>{8, 16} || !isTile(contract.getAccType()))
      return rewriter.notifyMatchFailure(contract, "not a warp-level m16n8k16 tile");
    Type elementType = lhsType.getElementType();
    if (!(elementType.isF16() || elementType.isBF16()) ||
        rhsType.getElementType() != elementType)
      return rewriter.notifyMatchFailure(contract, "operands are not f16 or bf16");
    Location loc = contract.getLoc();
    Lane l = laneCoordinates(rewriter, loc);
    Positions aPositions = {{l.g, l.t2},    {l.g, l.t2p1},  {l.g8, l.t2},
                            {l.g8, l.t2p1}, {l.g, l.t2p8},  {l.g, l.t2p9},
                            {l.g8, l.t2p8}, {l.g8, l.t2p9}};
    Positions bPositions = {{l.g, l.t2}, {l.g, l.t2p1}, {l.g, l.t2p8}, {l.g, l.t2p9}};
    FailureOr<SmallVector<Value>> a = lanesOf(rewriter, loc, contract.getLhs(), aPositions);
    FailureOr<SmallVector<Value>> b = lanesOf(rewriter, loc, contract.getRhs(), bPositions);
    if (failed(a) || failed(b))
      return rewriter.notifyMatchFailure(contract, "operand tiles are not loads and casts");
    SmallVector<Value> aRegs, bRegs, cRegs;
    for (unsigned i = 0; i < 8; i += 2)
      aRegs.push_back(pack(rewriter, loc, (*a)[i], (*a)[i + 1]));
    for (unsigned i = 0; i < 4; i += 2)
      bRegs.push_back(pack(rewriter, loc, (*b)[i], (*b)[i + 1]));
    for (int64_t i = 0; i < 4; ++i)
      cRegs.push_back(
          vector::ExtractOp::create(rewriter, loc, adaptor.getAcc(), ArrayRef<int64_t>{i}));
    Type f32 = rewriter.getF32Type();
    auto structType =
        LLVM::LLVMStructType::getLiteral(rewriter.getContext(), {f32, f32, f32, f32});
    NVVM::MMATypes ptxType = elementType.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
    auto mma = NVVM::MmaOp::create(
        rewriter, loc, structType, aRegs, bRegs, cRegs, ArrayRef<int64_t>{16, 8, 16},
        std::nullopt, std::nullopt, std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value> dRegs;
    for (int64_t i = 0; i < 4; ++i)
      dRegs.push_back(LLVM::ExtractValueOp::create(rewriter, loc, mma, i));
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(contract, VectorType::get({4}, f32),
                                                        dRegs);
    return success();
  }
};

struct MPGPULowerWarpMmaPass
    : mp::impl::MPGPULowerWarpMmaBase<MPGPULowerWarpMmaPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    TypeConverter converter;
    converter.addConversion([](Type type) { return type; });
    converter.addConversion([](VectorType type) -> Type {
      if (isTile(type))
        return VectorType::get({4}, type.getElementType());
      return type;
    });
    ConversionTarget target(*ctx);
    target.markUnknownOpDynamicallyLegal([&](Operation *op) {
      return converter.isLegal(op->getOperandTypes()) &&
             converter.isLegal(op->getResultTypes());
    });
    target.addIllegalOp<vector::ContractionOp>();
    RewritePatternSet patterns(ctx);
    patterns.add<ReadTile, WriteTile, ContractToMma, RetypeTileOp>(converter, ctx);
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns, target);
    FrozenRewritePatternSet frozen(std::move(patterns));

    SmallVector<gpu::LaunchOp> launches;
    getOperation()->walk([&](gpu::LaunchOp launch) {
      if (launch->hasAttr(MPDialect::getWarpSynchronousAttrName()))
        launches.push_back(launch);
    });
    for (gpu::LaunchOp launch : launches) {
      if (failed(applyPartialConversion(launch, target, frozen))) {
        launch.emitError("mp-gpu-lower-warp-mma: the warp-level body has ops "
                         "without a per-lane form");
        return signalPassFailure();
      }
      // The operand tiles and their casts were read for the contractions.
      bool erased = true;
      while (erased) {
        erased = false;
        launch.walk([&](Operation *op) {
          if (op->getNumResults() && op->use_empty() && isa<VectorType>(op->getResultTypes()[0]) &&
              (isMemoryEffectFree(op) || isa<vector::TransferReadOp>(op))) {
            op->erase();
            erased = true;
          }
        });
      }
      launch->removeAttr(MPDialect::getWarpSynchronousAttrName());
    }
  }
};

} // namespace
