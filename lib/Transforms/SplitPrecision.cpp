//===- SplitPrecision.cpp - f32 contractions from bf16/f16 partial products ===//
//
// a = a0 + a1 (+ a2), each part the rounded remainder of the previous ones;
// a * b = sum over i + j < parts of ai * bj, accumulated in f32 from the
// smallest products to the largest. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "mp/Analysis/Classification.h"
#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSet.h"

namespace mp {
#define GEN_PASS_DEF_MPSPLITPRECISIONCONTRACTIONS
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// True when `op`'s payload is exactly out + in0 * in1 (either order) in f32.
bool isPlainF32Contraction(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics())
    return false;
  for (Value v : op->getOperands())
    if (!getElementTypeOrSelf(v.getType()).isF32())
      return false;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || body.getOperations().size() != 3)
    return false;
  Value out = body.getArgument(2);
  Value product = add.getLhs() == out ? add.getRhs() : add.getRhs() == out ? add.getLhs() : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) || (mul.getLhs() == b && mul.getRhs() == a);
}

struct MPSplitPrecisionContractionsPass
    : mp::impl::MPSplitPrecisionContractionsBase<MPSplitPrecisionContractionsPass> {
  using MPSplitPrecisionContractionsBase::MPSplitPrecisionContractionsBase;

  void runOnOperation() override {
    if (parts != 2 && parts != 3) {
      getOperation()->emitError() << "mp-split-precision-contractions: parts must be 2 or 3, not "
                                  << int64_t(parts);
      return signalPassFailure();
    }
    if (format != "bf16" && format != "f16") {
      getOperation()->emitError()
          << "mp-split-precision-contractions: format must be bf16 or f16, not '" << format
          << "'";
      return signalPassFailure();
    }
    llvm::StringSet<> wanted;
    for (const std::string &name : ops)
      wanted.insert(name);
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (!linalg::isaContractionOpInterface(op))
        return;
      if (!wanted.empty() && !wanted.contains(getStableName(op)))
        return;
      candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      std::string name = getStableName(op);
      // Generalizing drops discardable attributes (mp.name, ...): keep them.
      SmallVector<NamedAttribute> attrs(op->getDiscardableAttrs());
      bool named = !isa<linalg::GenericOp>(op);
      linalg::GenericOp generic;
      if (named) {
        // Only f32 named ops are worth generalizing; check before changing IR.
        if (!llvm::all_of(op->getOperands(), [](Value v) {
              return getElementTypeOrSelf(v.getType()).isF32();
            }))
          continue;
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue;
        generic = *g;
      } else {
        generic = cast<linalg::GenericOp>(op.getOperation());
      }
      if (!isPlainF32Contraction(generic)) {
        if (remarks || !wanted.empty())
          generic.emitRemark() << "not split: not an f32 contraction out + a * b";
        continue;
      }
      split(rewriter, generic, name, attrs);
    }
  }

  /// The parts of a constant, computed here with the same roundings as the
  /// split generic (nearest even, f32 remainders, zero after a part that is
  /// not finite): weights are split once, at compile time.
  SmallVector<Value> splitConstant(OpBuilder &b, Location loc, DenseElementsAttr data,
                                   Type partType) {
    auto type = cast<RankedTensorType>(data.getType());
    const llvm::fltSemantics &partSemantics = cast<FloatType>(partType).getFloatSemantics();
    SmallVector<SmallVector<APFloat>> values(parts);
    for (APFloat x : data.getValues<APFloat>()) {
      APFloat rest = x;
      for (int64_t k = 0; k < parts; ++k) {
        APFloat part = rest;
        bool lost;
        part.convert(partSemantics, APFloat::rmNearestTiesToEven, &lost);
        values[k].push_back(part);
        if (k + 1 == parts)
          break;
        APFloat wide = part;
        wide.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
        if (!wide.isFinite()) {
          rest = APFloat::getZero(APFloat::IEEEsingle());
          continue;
        }
        rest.subtract(wide, APFloat::rmNearestTiesToEven);
      }
    }
    SmallVector<Value> results;
    for (int64_t k = 0; k < parts; ++k)
      results.push_back(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type.clone(partType), values[k])));
    return results;
  }

  /// The parts of `value` (f32): `parts` tensors of the part type.
  SmallVector<Value> splitValue(OpBuilder &b, Location loc, Value value, Type partType) {
    DenseElementsAttr constant;
    if (matchPattern(value, m_Constant(&constant)))
      return splitConstant(b, loc, constant, partType);
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
    SmallVector<Value> outs;
    SmallVector<Type> types;
    for (int64_t k = 0; k < parts; ++k) {
      outs.push_back(tensor::EmptyOp::create(b, loc, sizes, partType));
      types.push_back(type.clone(partType));
    }
    AffineMap id = b.getMultiDimIdentityMap(type.getRank());
    SmallVector<AffineMap> maps(parts + 1, id);
    SmallVector<utils::IteratorType> parallel(type.getRank(), utils::IteratorType::parallel);
    Type f32 = b.getF32Type();
    auto op = linalg::GenericOp::create(
        b, loc, types, ValueRange{value}, outs, maps, parallel,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value rest = args[0];
          Value inf = arith::ConstantOp::create(
              nb, nloc, nb.getFloatAttr(f32, APFloat::getInf(APFloat::IEEEsingle())));
          Value zero = arith::ConstantOp::create(nb, nloc, nb.getFloatAttr(f32, 0.0));
          SmallVector<Value> results;
          for (int64_t k = 0; k < parts; ++k) {
            Value part = arith::TruncFOp::create(nb, nloc, partType, rest);
            results.push_back(part);
            if (k + 1 == parts)
              break;
            // The remainder; zero when the part is not finite (inf or NaN
            // inputs, or f16 overflow), so no inf - inf turns into NaN.
            Value wide = arith::ExtFOp::create(nb, nloc, f32, part);
            Value finite = arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OLT,
                                                 math::AbsFOp::create(nb, nloc, wide), inf);
            Value remainder = arith::SubFOp::create(nb, nloc, rest, wide);
            rest = arith::SelectOp::create(nb, nloc, finite, remainder, zero);
          }
          linalg::YieldOp::create(nb, nloc, results);
        });
    return SmallVector<Value>(op.getResults());
  }

  void split(IRRewriter &rewriter, linalg::GenericOp op, const std::string &name,
             ArrayRef<NamedAttribute> attrs) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type partType = format == "bf16" ? Type(b.getBF16Type()) : Type(b.getF16Type());
    Type f32 = b.getF32Type();
    SmallVector<Value> aParts = splitValue(b, loc, op.getDpsInputs()[0], partType);
    SmallVector<Value> bParts = splitValue(b, loc, op.getDpsInputs()[1], partType);
    // Smallest products first: i + j from parts - 1 down to 0.
    SmallVector<std::pair<int64_t, int64_t>> products;
    for (int64_t order = parts - 1; order >= 0; --order)
      for (int64_t i = 0; i <= order; ++i)
        products.push_back({i, order - i});
    Value acc = op.getDpsInits()[0];
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    Operation *last = nullptr;
    for (auto [i, j] : products) {
      auto product = linalg::GenericOp::create(
          b, loc, TypeRange{acc.getType()}, ValueRange{aParts[i], bParts[j]}, ValueRange{acc},
          maps, op.getIteratorTypesArray(),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value x = arith::ExtFOp::create(nb, nloc, f32, args[0]);
            Value y = arith::ExtFOp::create(nb, nloc, f32, args[1]);
            Value xy = arith::MulFOp::create(nb, nloc, x, y);
            linalg::YieldOp::create(nb, nloc, ValueRange{arith::AddFOp::create(nb, nloc, args[2], xy)});
          });
      // As a named op where one fits (matmul, batch_matmul, transposed
      // variants): CPU vectorization and the GPU mapper know those best.
      Operation *result = product;
      rewriter.setInsertionPoint(product);
      if (FailureOr<linalg::LinalgOp> named = linalg::specializeGenericOp(rewriter, product);
          succeeded(named))
        result = named->getOperation();
      b.setInsertionPointAfter(result);
      acc = result->getResult(0);
      last = result;
    }
    // The op's name and other annotations stay on the largest product; its
    // decision (f32) no longer describes any of them.
    for (NamedAttribute attr : attrs)
      if (attr.getName() != MPDialect::getDecisionAttrName())
        last->setAttr(attr.getName(), attr.getValue());
    if (remarks)
      last->emitRemark() << "split " << name << " into " << products.size() << " " << partType
                         << " partial products (" << int64_t(parts) << " parts per operand), f32 accumulation";
    rewriter.replaceOp(op, acc);
  }
};

} // namespace
