//===- F16RuntimeGuard.cpp - f16 overflow checked at run time -------------===//
//
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"

#include <limits>

namespace mp {
#define GEN_PASS_DEF_MPF16RUNTIMEGUARD
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

constexpr llvm::StringLiteral kCounter = "mp_f16_guard_rescales";

/// An f16 -> f32 widening of `value` (mp.cast or arith.extf).
bool isWidening(Operation *op) {
  if (auto cast = dyn_cast<CastOp>(op))
    return getElementTypeOrSelf(cast.getInput().getType()).isF16() &&
           getElementTypeOrSelf(cast.getType()).isF32();
  if (auto ext = dyn_cast<arith::ExtFOp>(op))
    return ext.getIn().getType().isF16() && ext.getType().isF32();
  return false;
}

/// The f32 value the yield of `generic` narrows to f16, or null.
Value narrowedValue(linalg::GenericOp generic) {
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  if (yield.getNumOperands() != 1)
    return {};
  Operation *def = yield.getOperand(0).getDefiningOp();
  if (auto cast = dyn_cast_or_null<CastOp>(def))
    if (cast.getInput().getType().isF32() && cast.getType().isF16())
      return cast.getInput();
  if (auto trunc = dyn_cast_or_null<arith::TruncFOp>(def))
    if (trunc.getIn().getType().isF32() && trunc.getType().isF16())
      return trunc.getIn();
  return {};
}

/// An elementwise generic that stores one f16 result from f32 math.
bool storesF16FromF32(linalg::GenericOp generic) {
  if (!generic.hasPureTensorSemantics() || generic.getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0 || generic->hasAttr(MPDialect::getScalingAttrName()))
    return false;
  auto type = dyn_cast<RankedTensorType>(generic.getResult(0).getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF16())
    return false;
  if (!generic.getMatchingBlockArgument(generic.getDpsInitOperand(0)).use_empty())
    return false;
  return bool(narrowedValue(generic));
}

/// Every reader is a generic that only widens the value: it can multiply
/// the widened value by a scale.
bool readersCanUndo(Value value) {
  if (value.use_empty())
    return false;
  for (OpOperand &use : value.getUses()) {
    auto reader = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!reader || !reader.isDpsInput(&use))
      return false;
    BlockArgument arg = reader.getMatchingBlockArgument(&use);
    if (!llvm::all_of(arg.getUsers(), isWidening))
      return false;
  }
  return true;
}

Value f32Constant(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// max |x| over the elements of `tensor` that are not NaN, as an f32 scalar
/// (+inf when one is infinite). Unlike mp.amax, a NaN does not hide an
/// overflow elsewhere in the tensor.
Value amax(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  Type f32 = b.getF32Type();
  auto scalarType = RankedTensorType::get({}, f32);
  Value init = linalg::FillOp::create(b, loc, ValueRange{f32Constant(b, loc, 0.0f)},
                                      ValueRange{tensor::EmptyOp::create(b, loc,
                                                                         ArrayRef<int64_t>{},
                                                                         f32)})
                   .getResult(0);
  MLIRContext *ctx = b.getContext();
  AffineMap all = AffineMap::getMultiDimIdentityMap(type.getRank(), ctx);
  AffineMap none = AffineMap::get(type.getRank(), 0, ctx);
  SmallVector<utils::IteratorType> reduction(type.getRank(), utils::IteratorType::reduction);
  auto max = linalg::GenericOp::create(
      b, loc, TypeRange{scalarType}, ValueRange{tensor}, ValueRange{init},
      ArrayRef<AffineMap>{all, none}, reduction,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = args[0];
        if (x.getType() != f32)
          x = arith::ExtFOp::create(nb, nloc, f32, x);
        Value magnitude = math::AbsFOp::create(nb, nloc, x);
        linalg::YieldOp::create(nb, nloc,
                                arith::MaxNumFOp::create(nb, nloc, args[1], magnitude)
                                    .getResult());
      });
  return tensor::ExtractOp::create(b, loc, max.getResult(0), ValueRange{});
}

struct MPF16RuntimeGuardPass : mp::impl::MPF16RuntimeGuardBase<MPF16RuntimeGuardPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> candidates;
    module.walk([&](linalg::GenericOp generic) {
      if (!storesF16FromF32(generic))
        return;
      if (!readersCanUndo(generic.getResult(0))) {
        if (remarks)
          generic.emitRemark("mp-f16-runtime-guard: not guarded: a reader of this f16 "
                             "value cannot undo a scale (not an elementwise generic)");
        return;
      }
      candidates.push_back(generic);
    });
    if (candidates.empty())
      return;

    OpBuilder b(module.getContext());
    b.setInsertionPointToStart(module.getBody());
    SymbolTable symbols(module);
    auto counterType = MemRefType::get({}, b.getI64Type());
    if (Operation *existing = symbols.lookup(kCounter)) {
      auto global = dyn_cast<memref::GlobalOp>(existing);
      if (!global || global.getType() != counterType || global.getConstant()) {
        existing->emitError() << "mp-f16-runtime-guard: the symbol '" << kCounter
                              << "' is taken by something other than its i64 counter";
        return signalPassFailure();
      }
    } else {
      auto global = memref::GlobalOp::create(
          b, module.getLoc(), kCounter, /*sym_visibility=*/StringAttr(), counterType,
          DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                 b.getI64IntegerAttr(0).getValue()),
          /*constant=*/false, /*alignment=*/nullptr);
      symbols.insert(global);
    }
    for (linalg::GenericOp generic : candidates)
      guard(b, generic, counterType);
  }

  void guard(OpBuilder &b, linalg::GenericOp generic, MemRefType counterType) {
    Location loc = generic.getLoc();
    Value y16 = generic.getResult(0);
    // The readers, before the guard adds its own.
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : y16.getUses())
      uses.push_back(&use);
    auto type16 = cast<RankedTensorType>(y16.getType());
    Type f32 = b.getF32Type();
    b.setInsertionPointAfter(generic);
    Value over = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OEQ, amax(b, loc, y16),
        f32Constant(b, loc, std::numeric_limits<float>::infinity()));
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32, type16}, over, /*withElse=*/true);

    // Overflow: the op again in f32, its maximum, and the op once more into
    // f16 scaled by 1/s.
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value empty = tensor::EmptyOp::create(b, loc, type16.getShape(), f32);
    auto wide = cast<linalg::GenericOp>(b.clone(*generic));
    wide->removeAttr(MPDialect::getDecisionAttrName());
    wide.getDpsInitsMutable()[0].assign(empty);
    wide.getResult(0).setType(type16.clone(f32));
    wide.getBody()->getArgument(wide.getNumDpsInputs()).setType(f32);
    auto wideYield = cast<linalg::YieldOp>(wide.getBody()->getTerminator());
    Operation *narrowing = wideYield.getOperand(0).getDefiningOp();
    wideYield->setOperand(0, narrowedValue(wide));
    if (narrowing->use_empty())
      narrowing->erase();
    Value wideMax = amax(b, loc, wide.getResult(0));
    // s = 2^(e + 1) for ratio = max / 65504 with biased exponent e: a power
    // of two above the ratio. s = 1 when max is not finite or needs none.
    Value ratio = arith::DivFOp::create(b, loc, wideMax, f32Constant(b, loc, 65504.0f));
    Type i32 = b.getI32Type();
    Value bits = arith::BitcastOp::create(b, loc, i32, ratio);
    Value exponent = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, bits, arith::ConstantIntOp::create(b, loc, 23, 32)),
        arith::ConstantIntOp::create(b, loc, 0xFF, 32));
    Value scaleBits = arith::ShLIOp::create(
        b, loc, arith::AddIOp::create(b, loc, exponent, arith::ConstantIntOp::create(b, loc, 1, 32)),
        arith::ConstantIntOp::create(b, loc, 23, 32));
    Value scale = arith::BitcastOp::create(b, loc, f32, scaleBits);
    Value useful = arith::AndIOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, ratio, f32Constant(b, loc, 1.0f)),
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, wideMax,
                              f32Constant(b, loc, std::numeric_limits<float>::infinity())));
    scale = arith::SelectOp::create(b, loc, useful, scale, f32Constant(b, loc, 1.0f));
    Value inverse = arith::DivFOp::create(b, loc, f32Constant(b, loc, 1.0f), scale);
    auto scaled = cast<linalg::GenericOp>(b.clone(*generic));
    // The report counts the guarded op once: the recompute carries no decision.
    scaled->removeAttr(MPDialect::getDecisionAttrName());
    scaled->setAttr(MPDialect::getScalingAttrName(),
                    b.getStringAttr("f16 run-time guard: scaled recompute"));
    {
      auto yield = cast<linalg::YieldOp>(scaled.getBody()->getTerminator());
      Operation *cast = yield.getOperand(0).getDefiningOp();
      OpBuilder inner(cast);
      Value v = narrowedValue(scaled);
      cast->setOperand(0, arith::MulFOp::create(inner, loc, v, inverse));
    }
    Value counter = memref::GetGlobalOp::create(b, loc, counterType, kCounter);
    Value count = memref::LoadOp::create(b, loc, counter, ValueRange{});
    count = arith::AddIOp::create(b, loc, count, arith::ConstantIntOp::create(b, loc, 1, 64));
    memref::StoreOp::create(b, loc, count, counter, ValueRange{});
    scf::YieldOp::create(b, loc, ValueRange{scale, scaled.getResult(0)});

    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, ValueRange{f32Constant(b, loc, 1.0f), y16});

    // Readers take the checked value and multiply it back by s.
    Value checked = ifOp.getResult(1), s = ifOp.getResult(0);
    for (OpOperand *use : uses) {
      // Readers follow the guarded op (SSA dominance), so they follow ifOp.
      auto reader = cast<linalg::GenericOp>(use->getOwner());
      BlockArgument arg = reader.getMatchingBlockArgument(use);
      use->set(checked);
      for (Operation *widen : llvm::to_vector(arg.getUsers())) {
        OpBuilder inner(widen->getBlock(), std::next(Block::iterator(widen)));
        auto undo = arith::MulFOp::create(inner, loc, widen->getResult(0), s);
        widen->getResult(0).replaceAllUsesExcept(undo, undo);
      }
      std::string mark = "f16 run-time guard undoes its scale";
      if (auto previous = reader->getAttrOfType<StringAttr>(MPDialect::getScalingAttrName()))
        if (!StringRef(previous.getValue()).contains(mark))
          mark = (previous.getValue() + "; " + mark).str();
      reader->setAttr(MPDialect::getScalingAttrName(), b.getStringAttr(mark));
    }
    generic->setAttr(MPDialect::getScalingAttrName(), b.getStringAttr("f16 run-time guard"));
    if (remarks)
      generic.emitRemark() << "mp-f16-runtime-guard: f16 result checked for overflow at run "
                              "time; recomputed scaled by a power of two when it overflows ("
                           << uses.size() << " reader(s) undo the scale)";
  }
};

} // namespace
