//===- Materialize.cpp - retype ops to their decided formats --------------===//

#include "mp/Dialect/MP/Utils/FloatRounding.h"
#include "mp/Transforms/Passes.h"
#include "mp/Transforms/Policy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

namespace mp {
#define GEN_PASS_DEF_MPMATERIALIZE
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

constexpr StringLiteral kCastsInsertedAttr = "mp.report.casts_inserted";
constexpr StringLiteral kWeightBytesAttr = "mp.report.weight_bytes_before";

RankedTensorType floatTensorType(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType()) ? type : RankedTensorType();
}

/// Values of a float constant (dense or dense_resource), if readable.
std::optional<SmallVector<APFloat>> readFloatConstant(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    if (dense.isSplat())
      return SmallVector<APFloat>{dense.getSplatValue<APFloat>()};
    return llvm::to_vector(dense.getValues<APFloat>());
  }
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    auto values = resource.tryGetAsArrayRef();
    if (!values || (int64_t)values->size() != type.getNumElements())
      return std::nullopt;
    SmallVector<APFloat> result;
    for (float v : *values)
      result.push_back(APFloat(v));
    return result;
  }
  return std::nullopt;
}

class Materializer {
public:
  Materializer(ModuleOp module, bool keepIOTypes)
      : module(module), keepIOTypes(keepIOTypes), rewriter(module.getContext()) {}

  unsigned castsInserted = 0, weightsConverted = 0;

  LogicalResult run() {
    // Pins did their work in mp-assign-precision.
    module.walk([&](PinOp pin) {
      pin.replaceAllUsesWith(pin.getInput());
      pin.erase();
    });
    for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> decided;
      func.walk([&](Operation *op) {
        if (op->hasAttr(kFormatAttr) && op->hasAttr(kClassAttr))
          decided.push_back(op);
      });
      for (Operation *op : decided)
        if (failed(materialize(op)))
          return failure();
      if (failed(fixSignature(func)))
        return failure();
    }
    return success();
  }

private:
  ModuleOp module;
  bool keepIOTypes;
  IRRewriter rewriter;
  DenseMap<std::pair<Value, Type>, Value> converted;

  /// Converts a float tensor operand to element type `element`: constants at
  /// compile time (range-checked), other values with one shared mp.cast.
  /// Returns the operand unchanged when a weight must stay wider.
  FailureOr<Value> convertOperand(Operation *user, unsigned index, Value value,
                                  Type element, bool forced) {
    RankedTensorType type = floatTensorType(value);
    if (!type || type.getElementType() == element)
      return value;
    if (auto it = converted.find({value, element}); it != converted.end())
      return it->second;
    auto newType = type.clone(element);
    OpBuilder::InsertionGuard guard(rewriter);
    if (Operation *def = value.getDefiningOp())
      rewriter.setInsertionPointAfter(def);
    else
      rewriter.setInsertionPointToStart(value.getParentBlock());

    auto constant = value.getDefiningOp<arith::ConstantOp>();
    auto elements = constant ? dyn_cast<ElementsAttr>(constant.getValue()) : ElementsAttr();
    if (elements && type.hasStaticShape()) {
      auto values = readFloatConstant(elements);
      auto dstType = cast<FloatType>(element);
      const llvm::fltSemantics &semantics = dstType.getFloatSemantics();
      if (!values) {
        user->emitRemark() << "operand #" << index
                           << " is a constant whose values cannot be read; it is "
                              "converted at run time";
      } else {
        SmallVector<APFloat> result;
        double maxAbs = 0;
        bool overflow = false;
        for (const APFloat &v : *values) {
          APFloat c = convertFloat(v, semantics, RoundingMode::NearestEven, false);
          if (v.isFinite() && !c.isFinite())
            overflow = true;
          if (v.isFinite())
            maxAbs = std::max(maxAbs, std::fabs(v.convertToDouble()));
          result.push_back(c);
        }
        if (overflow) {
          double largest = APFloat::getLargest(semantics).convertToDouble();
          if (forced) {
            return user->emitError()
                   << "weight operand #" << index << " does not fit " << element
                   << ": max |w| = " << maxAbs << " exceeds its largest finite value "
                   << largest << ", and the format was forced by the user";
          }
          user->emitRemark() << "kept weight operand #" << index << " in "
                             << type.getElementType() << ": max |w| = " << maxAbs
                             << " exceeds the largest finite " << element
                             << " value " << largest << " (range check)";
          appendRule(user, "range-check:operand#" + std::to_string(index) + "-kept-" +
                               llvm::formatv("{0}", type.getElementType()).str());
          return value;
        }
        DenseElementsAttr attr =
            result.size() == 1 && type.getNumElements() != 1
                ? DenseElementsAttr::get(newType, result.front())
                : DenseElementsAttr::get(newType, result);
        Value newConstant = arith::ConstantOp::create(rewriter, constant.getLoc(), attr);
        ++weightsConverted;
        converted[{value, element}] = newConstant;
        return newConstant;
      }
    }
    Value cast = CastOp::create(rewriter, value.getLoc(), newType, value,
                                RoundingMode::NearestEven, /*saturate=*/false);
    ++castsInserted;
    converted[{value, element}] = cast;
    return cast;
  }

  void appendRule(Operation *op, StringRef extra) {
    auto rule = op->getAttrOfType<StringAttr>(kRuleAttr);
    std::string text = rule ? (rule.getValue() + "," + extra).str() : extra.str();
    op->setAttr(kRuleAttr, rewriter.getStringAttr(text));
  }

  /// Replaces `oldValue` by `newValue` (of another type) for ops that handle
  /// the new type (decided ops, casts, returns); others get a cast back.
  void replaceRetyped(Value oldValue, Value newValue) {
    for (OpOperand &use : llvm::make_early_inc_range(oldValue.getUses())) {
      Operation *owner = use.getOwner();
      bool aware = owner->hasAttr(kFormatAttr) || isa<CastOp, func::ReturnOp>(owner);
      if (aware || oldValue.getType() == newValue.getType()) {
        use.set(newValue);
        continue;
      }
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointAfterValue(newValue);
      Value back = CastOp::create(rewriter, newValue.getLoc(), oldValue.getType(),
                                  newValue, RoundingMode::NearestEven, false);
      ++castsInserted;
      use.set(back);
    }
  }

  /// A new init for `init` with element type `element`: a fresh tensor.empty
  /// when the old one was empty, else a converted copy.
  FailureOr<Value> convertInit(Operation *user, unsigned index, Value init, Type element) {
    RankedTensorType type = floatTensorType(init);
    if (!type || type.getElementType() == element)
      return init;
    if (auto empty = init.getDefiningOp<tensor::EmptyOp>()) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointAfter(empty);
      return Value(tensor::EmptyOp::create(rewriter, empty.getLoc(), type.getShape(),
                                           element, empty.getDynamicSizes()));
    }
    return convertOperand(user, index, init, element, false);
  }

  /// Re-creates a generic with new operands; block arguments take the new
  /// element types and are cast (exactly, when widening) to the types the
  /// payload computes in; yielded values are rounded once to the results'.
  linalg::GenericOp retypeGeneric(linalg::GenericOp op, ValueRange ins,
                                  ValueRange outs) {
    rewriter.setInsertionPoint(op);
    SmallVector<Type> resultTypes;
    for (Value out : outs)
      resultTypes.push_back(out.getType());
    auto newOp = linalg::GenericOp::create(
        rewriter, op.getLoc(), resultTypes, ins, outs, op.getIndexingMaps(),
        op.getIteratorTypes(), op.getDocAttr(), op.getLibraryCallAttr());
    for (NamedAttribute attr : op->getDiscardableAttrs())
      newOp->setAttr(attr.getName(), attr.getValue());
    newOp.getRegion().takeBody(op.getRegion());
    Block &block = newOp.getRegion().front();
    rewriter.setInsertionPointToStart(&block);
    for (auto [arg, operand] : llvm::zip(block.getArguments(), newOp->getOperands())) {
      Type newElement = getElementTypeOrSelf(operand.getType());
      Type oldElement = arg.getType();
      if (newElement == oldElement)
        continue;
      arg.setType(newElement);
      Value cast = CastOp::create(rewriter, arg.getLoc(), oldElement, arg,
                                  RoundingMode::NearestEven, false);
      rewriter.replaceAllUsesExcept(arg, cast, cast.getDefiningOp());
    }
    Operation *yield = block.getTerminator();
    rewriter.setInsertionPoint(yield);
    for (auto [index, result] : llvm::enumerate(newOp.getResults())) {
      Type want = getElementTypeOrSelf(result.getType());
      Value yielded = yield->getOperand(index);
      if (yielded.getType() != want)
        yield->setOperand(index, CastOp::create(rewriter, yielded.getLoc(), want, yielded,
                                                RoundingMode::NearestEven, false));
    }
    for (auto [oldResult, newResult] : llvm::zip(op.getResults(), newOp.getResults()))
      replaceRetyped(oldResult, newResult);
    rewriter.eraseOp(op);
    return newOp;
  }

  /// Rebuilds a named contraction with new operands, keeping its name.
  template <typename OpTy>
  Operation *rebuildNamed(OpTy op, ValueRange ins, ValueRange outs) {
    rewriter.setInsertionPoint(op);
    SmallVector<Type> resultTypes;
    for (Value out : outs)
      resultTypes.push_back(out.getType());
    auto newOp = OpTy::create(rewriter, op.getLoc(), resultTypes, ins, outs,
                              linalg::getPrunedAttributeList(op));
    for (NamedAttribute attr : op->getDiscardableAttrs())
      newOp->setAttr(attr.getName(), attr.getValue());
    for (auto [oldResult, newResult] : llvm::zip(op->getResults(), newOp->getResults()))
      replaceRetyped(oldResult, newResult);
    rewriter.eraseOp(op);
    return newOp;
  }

  LogicalResult materializeLinalg(linalg::LinalgOp op, FormatAttr format,
                                  bool contraction, bool forced) {
    Type storage = format.getStorageType();
    Type accumulator = format.getAccumulator() ? format.getAccumulator() : storage;
    if (contraction && !isa<FloatType>(accumulator))
      accumulator = Float32Type::get(op->getContext());
    SmallVector<Value> ins, outs;
    bool changed = false;
    for (OpOperand *input : op.getDpsInputOperands()) {
      auto value = convertOperand(op, input->getOperandNumber(), input->get(), storage, forced);
      if (failed(value))
        return failure();
      changed |= *value != input->get();
      ins.push_back(*value);
    }
    for (OpOperand &init : op.getDpsInitsMutable()) {
      Type want = contraction ? accumulator : storage;
      auto value = convertInit(op, init.getOperandNumber(), init.get(), want);
      if (failed(value))
        return failure();
      changed |= *value != init.get();
      outs.push_back(*value);
    }
    // Producers materialized earlier may already have handed this op values
    // of the new types: its payload must follow them too.
    for (OpOperand &operand : op->getOpOperands())
      if (BlockArgument arg = op.getMatchingBlockArgument(&operand))
        changed |= arg.getType() != getElementTypeOrSelf(operand.get().getType());
    if (!changed)
      return success();
    Operation *newOp = nullptr;
    bool named = !isa<linalg::GenericOp>(op) && contraction && !op.hasUserDefinedMaps();
    if (named)
      newOp = llvm::TypeSwitch<Operation *, Operation *>(op)
                  .Case<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::MatvecOp,
                        linalg::VecmatOp, linalg::BatchMatvecOp>(
                      [&](auto namedOp) { return rebuildNamed(namedOp, ins, outs); })
                  .Default([](Operation *) { return nullptr; });
    if (!newOp) {
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        SmallVector<NamedAttribute> attrs(op->getDiscardableAttrs());
        rewriter.setInsertionPoint(op);
        auto generalized = linalg::generalizeNamedOp(rewriter, op);
        if (failed(generalized))
          return op->emitError("cannot generalize this op to change its precision");
        generic = *generalized;
        for (NamedAttribute attr : attrs)
          generic->setAttr(attr.getName(), attr.getValue());
      }
      newOp = retypeGeneric(generic, ins, outs);
    }
    // A contraction accumulates wider and rounds its result once to storage.
    if (contraction && accumulator != storage) {
      rewriter.setInsertionPointAfter(newOp);
      for (Value result : newOp->getResults()) {
        auto type = floatTensorType(result);
        if (!type || type.getElementType() == storage)
          continue;
        Value rounded = CastOp::create(rewriter, result.getLoc(), type.clone(storage),
                                       result, RoundingMode::NearestEven, false);
        ++castsInserted;
        // Ops that know their format take the rounded value; others (calls,
        // loops) keep the accumulator's.
        for (OpOperand &use : llvm::make_early_inc_range(result.getUses())) {
          Operation *owner = use.getOwner();
          if (owner != rounded.getDefiningOp() &&
              (owner->hasAttr(kFormatAttr) || isa<CastOp, func::ReturnOp>(owner)))
            use.set(rounded);
        }
      }
    }
    return success();
  }

  LogicalResult materialize(Operation *op) {
    auto format = op->getAttrOfType<FormatAttr>(kFormatAttr);
    StringRef opClass = op->getAttrOfType<StringAttr>(kClassAttr).getValue();
    auto rule = op->getAttrOfType<StringAttr>(kRuleAttr);
    bool forced = rule && (rule.getValue().starts_with("user") ||
                           rule.getValue().starts_with("policy-"));
    if (format.isScaled() || format.isInteger())
      return op->emitError() << "format " << format
                             << " needs scaling, which mp-materialize does not "
                                "insert yet; use an unscaled float format";
    Type storage = format.getStorageType();
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      return materializeLinalg(linalgOp, format, opClass == "contraction", forced);
    // Other ops: convert float tensor operands, retype float tensor results.
    for (OpOperand &operand : op->getOpOperands()) {
      auto value = convertOperand(op, operand.getOperandNumber(), operand.get(), storage, forced);
      if (failed(value))
        return failure();
      operand.set(*value);
    }
    // Results take the storage type even when every operand already had it
    // (a producer materialized earlier may have handed over new types).
    for (OpResult result : op->getResults()) {
      RankedTensorType type = floatTensorType(result);
      if (!type || type.getElementType() == storage)
        continue;
      Type oldType = result.getType();
      result.setType(type.clone(storage));
      // Uses still expect the old type until they are materialized themselves.
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointAfter(op);
      for (OpOperand &use : llvm::make_early_inc_range(result.getUses())) {
        Operation *owner = use.getOwner();
        if (owner->hasAttr(kFormatAttr) || isa<CastOp, func::ReturnOp>(owner))
          continue;
        Value back = CastOp::create(rewriter, op->getLoc(), oldType, result,
                                    RoundingMode::NearestEven, false);
        ++castsInserted;
        use.set(back);
      }
    }
    if (failed(verify(op)))
      return op->emitError("cannot change the precision of this op");
    return success();
  }

  /// Keeps or updates the function type after retyping.
  LogicalResult fixSignature(func::FuncOp func) {
    bool keep = keepIOTypes || !SymbolTable::symbolKnownUseEmpty(func, module);
    Block &entry = func.getBody().front();
    SmallVector<Type> argTypes(func.getArgumentTypes());
    if (!keep) {
      for (BlockArgument arg : entry.getArguments()) {
        Type castType;
        bool allCasts = !arg.use_empty();
        for (Operation *user : arg.getUsers()) {
          auto cast = dyn_cast<CastOp>(user);
          if (!cast || (castType && castType != cast.getType())) {
            allCasts = false;
            break;
          }
          castType = cast.getType();
        }
        if (!allCasts || !castType)
          continue;
        arg.setType(castType);
        for (Operation *user : llvm::make_early_inc_range(arg.getUsers())) {
          user->getResult(0).replaceAllUsesWith(arg);
          user->erase();
        }
        argTypes[arg.getArgNumber()] = castType;
      }
    }
    SmallVector<Type> resultTypes(func.getResultTypes());
    WalkResult walked = func.walk([&](func::ReturnOp ret) {
      for (OpOperand &operand : ret->getOpOperands()) {
        Type want = keep ? resultTypes[operand.getOperandNumber()]
                         : operand.get().getType();
        if (operand.get().getType() != want) {
          rewriter.setInsertionPoint(ret);
          operand.set(CastOp::create(rewriter, ret.getLoc(), want, operand.get(),
                                     RoundingMode::NearestEven, false));
          ++castsInserted;
        }
        resultTypes[operand.getOperandNumber()] = want;
      }
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      return failure();
    func.setType(FunctionType::get(func.getContext(), argTypes, resultTypes));
    return success();
  }
};

struct MPMaterializePass : mp::impl::MPMaterializeBase<MPMaterializePass> {
  using MPMaterializeBase::MPMaterializeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    if (!module->hasAttr(kWeightBytesAttr))
      module->setAttr(kWeightBytesAttr, b.getI64IntegerAttr(countWeightBytes(module)));
    Materializer materializer(module, keepIOTypes);
    if (failed(materializer.run()))
      return signalPassFailure();
    int64_t previous = 0;
    if (auto attr = module->getAttrOfType<IntegerAttr>(kCastsInsertedAttr))
      previous = attr.getInt();
    module->setAttr(kCastsInsertedAttr,
                    b.getI64IntegerAttr(previous + materializer.castsInserted));
    numCastsInserted += materializer.castsInserted;
    numWeightsConverted += materializer.weightsConverted;
  }
};

} // namespace
