//===- LowerWarpMma.cpp - warp-level contractions to mma.sync per lane ----===//
//
// mp-gpu-lower-warp-mma rewrites the warp-level bodies that
// mp-gpu-map-kernels writes for tensor cores (launches marked
// `mp.warp_synchronous`) into per-lane code around `nvvm.mma.sync`
// (m16n8k16, row x col, f16 or bf16 in, f32 accumulate):
//
//   vector<16x8xf32> accumulator       -> vector<4xf32> per lane
//   transfer_read  of an accumulator   -> 4 loads of the lane's elements
//   vector.contract(A 16x16, B 16x8)   -> 12 loads, packed in pairs, mma.sync
//   transfer_write of an accumulator   -> 4 stores
//
// Lane l holds, with g = l / 4 and t = l % 4 (the PTX ISA's fragment layout
// for mma.m16n8k16): A[g][2t..2t+1], A[g+8][2t..], A[g][2t+8..], A[g+8][2t+8..];
// B[2t..2t+1][g], B[2t+8..2t+9][g]; C[g][2t..2t+1], C[g+8][2t..2t+1].
// Loop-carried accumulators are retyped by the SCF structural conversion.
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
#include "mlir/Transforms/DialectConversion.h"

namespace mp {
#define GEN_PASS_DEF_MPGPULOWERWARPMMA
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

bool isAccumulatorTile(Type type) {
  auto vector = dyn_cast<VectorType>(type);
  return vector && vector.getShape() == ArrayRef<int64_t>{16, 8} &&
         vector.getElementType().isF32();
}

/// The lane's coordinates in the fragment layout: g = lane / 4, 2t.
struct Lane {
  Value group, twiceQuad;
};

Lane laneCoordinates(OpBuilder &b, Location loc) {
  Value lane = gpu::LaneIdOp::create(b, loc, /*upper_bound=*/nullptr);
  Value four = arith::ConstantIndexOp::create(b, loc, 4);
  Value group = arith::DivUIOp::create(b, loc, lane, four);
  Value quad = arith::RemUIOp::create(b, loc, lane, four);
  Value twiceQuad = arith::ShLIOp::create(b, loc, quad, arith::ConstantIndexOp::create(b, loc, 1));
  return {group, twiceQuad};
}

Value plus(OpBuilder &b, Location loc, Value v, int64_t c) {
  if (c == 0)
    return v;
  return arith::AddIOp::create(b, loc, v, arith::ConstantIndexOp::create(b, loc, c));
}

/// Loads element (row0 + row, col0 + col) of the 2-D tile that `read` reads.
Value loadAt(OpBuilder &b, Location loc, Value base, ValueRange tileIndices, Value row,
             Value col) {
  SmallVector<Value> indices(tileIndices);
  unsigned n = indices.size();
  indices[n - 2] = arith::AddIOp::create(b, loc, indices[n - 2], row);
  indices[n - 1] = arith::AddIOp::create(b, loc, indices[n - 1], col);
  return memref::LoadOp::create(b, loc, base, indices);
}

void storeAt(OpBuilder &b, Location loc, Value value, Value base, ValueRange tileIndices,
             Value row, Value col) {
  SmallVector<Value> indices(tileIndices);
  unsigned n = indices.size();
  indices[n - 2] = arith::AddIOp::create(b, loc, indices[n - 2], row);
  indices[n - 1] = arith::AddIOp::create(b, loc, indices[n - 1], col);
  memref::StoreOp::create(b, loc, value, base, indices);
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

bool isMinorIdentityTile(vector::TransferReadOp read) {
  return read.getPermutationMap().isMinorIdentity() && !read.getMask() &&
         isa<MemRefType>(read.getBase().getType());
}

struct ReadAccumulator : OpConversionPattern<vector::TransferReadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!isAccumulatorTile(read.getVectorType()) || !isMinorIdentityTile(read))
      return failure();
    Location loc = read.getLoc();
    Lane lane = laneCoordinates(rewriter, loc);
    Value row8 = plus(rewriter, loc, lane.group, 8);
    Value col1 = plus(rewriter, loc, lane.twiceQuad, 1);
    SmallVector<Value> elements = {
        loadAt(rewriter, loc, read.getBase(), read.getIndices(), lane.group, lane.twiceQuad),
        loadAt(rewriter, loc, read.getBase(), read.getIndices(), lane.group, col1),
        loadAt(rewriter, loc, read.getBase(), read.getIndices(), row8, lane.twiceQuad),
        loadAt(rewriter, loc, read.getBase(), read.getIndices(), row8, col1)};
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(
        read, VectorType::get({4}, rewriter.getF32Type()), elements);
    return success();
  }
};

struct WriteAccumulator : OpConversionPattern<vector::TransferWriteOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(vector::TransferWriteOp write, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!isAccumulatorTile(write.getVectorType()) ||
        !write.getPermutationMap().isMinorIdentity() || write.getMask() ||
        !isa<MemRefType>(write.getBase().getType()))
      return failure();
    Location loc = write.getLoc();
    Lane lane = laneCoordinates(rewriter, loc);
    Value row8 = plus(rewriter, loc, lane.group, 8);
    Value col1 = plus(rewriter, loc, lane.twiceQuad, 1);
    Value fragment = adaptor.getValueToStore();
    auto element = [&](int64_t i) {
      return vector::ExtractOp::create(rewriter, loc, fragment, ArrayRef<int64_t>{i});
    };
    storeAt(rewriter, loc, element(0), write.getBase(), write.getIndices(), lane.group,
            lane.twiceQuad);
    storeAt(rewriter, loc, element(1), write.getBase(), write.getIndices(), lane.group, col1);
    storeAt(rewriter, loc, element(2), write.getBase(), write.getIndices(), row8,
            lane.twiceQuad);
    storeAt(rewriter, loc, element(3), write.getBase(), write.getIndices(), row8, col1);
    rewriter.eraseOp(write);
    return success();
  }
};

struct ContractToMma : OpConversionPattern<vector::ContractionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(vector::ContractionOp contract, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto lhs = contract.getLhs().getDefiningOp<vector::TransferReadOp>();
    auto rhs = contract.getRhs().getDefiningOp<vector::TransferReadOp>();
    if (!lhs || !rhs || !isMinorIdentityTile(lhs) || !isMinorIdentityTile(rhs) ||
        lhs.getVectorType().getShape() != ArrayRef<int64_t>{16, 16} ||
        rhs.getVectorType().getShape() != ArrayRef<int64_t>{16, 8} ||
        !isAccumulatorTile(contract.getAccType()))
      return rewriter.notifyMatchFailure(contract, "not a warp-level m16n8k16 tile");
    Type elementType = lhs.getVectorType().getElementType();
    if (!(elementType.isF16() || elementType.isBF16()) ||
        rhs.getVectorType().getElementType() != elementType)
      return rewriter.notifyMatchFailure(contract, "operands are not f16 or bf16");
    Location loc = contract.getLoc();
    Lane lane = laneCoordinates(rewriter, loc);
    Value g = lane.group, t2 = lane.twiceQuad;
    Value g8 = plus(rewriter, loc, g, 8);
    Value t2p1 = plus(rewriter, loc, t2, 1), t2p8 = plus(rewriter, loc, t2, 8),
          t2p9 = plus(rewriter, loc, t2, 9);
    auto a = [&](Value row, Value col) {
      return loadAt(rewriter, loc, lhs.getBase(), lhs.getIndices(), row, col);
    };
    auto b = [&](Value row, Value col) {
      return loadAt(rewriter, loc, rhs.getBase(), rhs.getIndices(), row, col);
    };
    SmallVector<Value> aRegs = {pack(rewriter, loc, a(g, t2), a(g, t2p1)),
                                pack(rewriter, loc, a(g8, t2), a(g8, t2p1)),
                                pack(rewriter, loc, a(g, t2p8), a(g, t2p9)),
                                pack(rewriter, loc, a(g8, t2p8), a(g8, t2p9))};
    SmallVector<Value> bRegs = {pack(rewriter, loc, b(t2, g), b(t2p1, g)),
                                pack(rewriter, loc, b(t2p8, g), b(t2p9, g))};
    Value acc = adaptor.getAcc();
    SmallVector<Value> cRegs;
    for (int64_t i = 0; i < 4; ++i)
      cRegs.push_back(vector::ExtractOp::create(rewriter, loc, acc, ArrayRef<int64_t>{i}));
    Type f32 = rewriter.getF32Type();
    auto structType =
        LLVM::LLVMStructType::getLiteral(rewriter.getContext(), {f32, f32, f32, f32});
    NVVM::MMATypes ptxType = elementType.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
    auto mma = NVVM::MmaOp::create(
        rewriter, loc, structType, aRegs, bRegs, cRegs, ArrayRef<int64_t>{16, 8, 16},
        std::nullopt, std::nullopt,
        std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value> dRegs;
    for (int64_t i = 0; i < 4; ++i)
      dRegs.push_back(LLVM::ExtractValueOp::create(rewriter, loc, mma, i));
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(
        contract, VectorType::get({4}, f32), dRegs);
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
      if (isAccumulatorTile(type))
        return VectorType::get({4}, type.getElementType());
      return type;
    });
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, memref::MemRefDialect,
                           vector::VectorDialect, gpu::GPUDialect, LLVM::LLVMDialect,
                           NVVM::NVVMDialect>();
    target.addIllegalOp<vector::ContractionOp>();
    target.addDynamicallyLegalOp<vector::TransferReadOp>(
        [](vector::TransferReadOp op) { return !isAccumulatorTile(op.getVectorType()); });
    target.addDynamicallyLegalOp<vector::TransferWriteOp>(
        [](vector::TransferWriteOp op) { return !isAccumulatorTile(op.getVectorType()); });
    RewritePatternSet patterns(ctx);
    patterns.add<ReadAccumulator, WriteAccumulator, ContractToMma>(converter, ctx);
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
      // The operand tiles were read for the contractions only.
      launch.walk([](vector::TransferReadOp read) {
        if (read->use_empty())
          read->erase();
      });
      launch->removeAttr(MPDialect::getWarpSynchronousAttrName());
    }
  }
};

} // namespace
