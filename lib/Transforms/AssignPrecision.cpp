//===- AssignPrecision.cpp - decide a format per op by policy -------------===//
//
// Records a #mp.decision on every op that computes float tensors from float
// tensors. Nothing is retyped here (mp-materialize does that); everything the
// decision depends on (overrides, f64, constants that do not fit, calibrated
// ranges) is settled here, so the decision is the whole truth.
//
//===----------------------------------------------------------------------===//

#include "mp/Analysis/Calibration.h"
#include "mp/Analysis/Classification.h"
#include "mp/Analysis/ConstantData.h"
#include "mp/Analysis/DecisionCheck.h"
#include "mp/Transforms/Passes.h"
#include "mp/Transforms/Policy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

namespace mp {
#define GEN_PASS_DEF_MPASSIGNPRECISION
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// A decision being made, and the rule that made it.
struct Proposal {
  FormatAttr format;
  std::string rule;
  bool forced = false; ///< chosen by the user (attribute, pin, policy file)
};

/// Storage width ordering: f32 holds f16 and bf16; f16 and bf16 need f32.
FormatAttr widest(FormatAttr a, FormatAttr b) {
  if (!a)
    return b;
  if (!b || a.getStorageType() == b.getStorageType())
    return a;
  Type sa = a.getStorageType(), sb = b.getStorageType();
  if (isExactlyRepresentable(sa, sb))
    return b;
  if (isExactlyRepresentable(sb, sa))
    return a;
  return FormatAttr::get(a.getContext(), Float32Type::get(a.getContext()));
}

/// The op producing `value`, looking through mp.pin.
Operation *producerOf(Value value) {
  Operation *def = value.getDefiningOp();
  while (auto pin = dyn_cast_if_present<PinOp>(def))
    def = pin.getInput().getDefiningOp();
  return def;
}

/// The widest float element type among the op's float tensor operands and
/// results (null if none).
FloatType widestArrivedType(Operation *op) {
  FloatType widest;
  auto visit = [&](Type type) {
    auto shaped = dyn_cast<RankedTensorType>(type);
    auto element = shaped ? dyn_cast<FloatType>(shaped.getElementType()) : FloatType();
    if (element && (!widest || element.getWidth() > widest.getWidth()))
      widest = element;
  };
  llvm::for_each(op->getOperandTypes(), visit);
  llvm::for_each(op->getResultTypes(), visit);
  return widest;
}

/// Float constants the op reads: constant tensor inputs, scalar constants of
/// its payload (defined in the body or captured from above), and constant
/// tables its payload gathers from.
struct ConstantUse {
  std::string what; ///< "operand #1", "payload constant"
  std::vector<double> values; ///< exact: every float type fits a double
};

/// Largest finite |x| of `values` (0 when none is finite).
double finiteAbsMax(ArrayRef<double> values) {
  double maxAbs = 0;
  for (double v : values)
    if (std::isfinite(v))
      maxAbs = std::max(maxAbs, std::fabs(v));
  return maxAbs;
}

SmallVector<ConstantUse> constantsReadBy(Operation *op) {
  SmallVector<ConstantUse> uses;
  auto addConstant = [&](Value value, std::string what) {
    auto constant = value.getDefiningOp<arith::ConstantOp>();
    if (!constant)
      return;
    if (auto elements = dyn_cast<ElementsAttr>(constant.getValue())) {
      if (!isa<FloatType>(elements.getElementType()))
        return;
      if (auto values = readFloatConstantAsDoubles(elements))
        uses.push_back({std::move(what), std::move(*values)});
    } else if (auto scalar = dyn_cast<FloatAttr>(constant.getValue())) {
      uses.push_back({std::move(what), {scalar.getValueAsDouble()}});
    }
  };
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (linalgOp) {
    for (OpOperand *input : linalgOp.getDpsInputOperands())
      addConstant(input->get(), "operand #" + std::to_string(input->getOperandNumber()));
  } else {
    for (OpOperand &operand : op->getOpOperands())
      addConstant(operand.get(), "operand #" + std::to_string(operand.getOperandNumber()));
  }
  if (Block *body = linalgOp ? linalgOp.getBlock() : nullptr) {
    body->walk([&](Operation *payload) {
      for (Value operand : payload->getOperands())
        if (isa<FloatType>(operand.getType()))
          addConstant(operand, "payload constant");
      // Tables gathered from (embeddings) are read by the op too.
      if (auto extract = dyn_cast<tensor::ExtractOp>(payload))
        addConstant(extract.getTensor(), "gathered table");
    });
  }
  return uses;
}

struct MPAssignPrecisionPass
    : mp::impl::MPAssignPrecisionBase<MPAssignPrecisionPass> {
  using MPAssignPrecisionBase::MPAssignPrecisionBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    PolicyFile file;
    if (!policyFile.empty()) {
      auto parsed = readPolicyFile(ctx, policyFile);
      if (!parsed) {
        module.emitError() << llvm::toString(parsed.takeError());
        return signalPassFailure();
      }
      file = std::move(*parsed);
    }
    llvm::StringMap<double> ranges;
    if (!calibration.empty()) {
      auto parsed = readCalibration(calibration);
      if (!parsed) {
        module.emitError() << llvm::toString(parsed.takeError());
        return signalPassFailure();
      }
      ranges = std::move(*parsed);
    }
    std::string policyName =
        !policy.empty() ? policy : (!file.policy.empty() ? file.policy : "bf16");
    std::optional<PolicyAttr> optionPolicy = getBuiltinPolicy(ctx, policyName);
    if (policyName == "auto") {
      module.emitError()
          << "policy=auto is chosen by measurement, outside the pass pipeline: run "
             "scripts/mp-search.py MODEL --error-budget B --calibration X.npy "
             "[--candidates ...] -o plan.json, then mp-mixed-precision{policy-file=plan.json}";
      return signalPassFailure();
    }
    if (!optionPolicy) {
      module.emitError() << "unknown precision policy '" << policyName
                         << "'; expected f32, f16, bf16, fp8, w8a8, w8a16 or w4a16";
      return signalPassFailure();
    }
    auto modulePolicy = module->getAttrOfType<PolicyAttr>(MPDialect::getPolicyAttrName());

    // Pins: the pinned value's producer gets the pin's format.
    DenseMap<Operation *, FormatAttr> pinned;
    WalkResult pins = module.walk([&](PinOp pin) {
      Operation *producer = producerOf(pin.getInput());
      if (!producer) {
        pin.emitWarning() << "pins a block argument; the pin has no effect on "
                             "precision assignment";
        return WalkResult::advance();
      }
      auto [it, inserted] = pinned.try_emplace(producer, pin.getFormat());
      if (!inserted && it->second != pin.getFormat()) {
        pin.emitError() << "conflicting pins on one value: " << it->second
                        << " and " << pin.getFormat();
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (pins.wasInterrupted())
      return signalPassFailure();

    for (auto func : module.getOps<func::FuncOp>()) {
      PolicyAttr active = func->getAttrOfType<PolicyAttr>(MPDialect::getPolicyAttrName());
      if (!active)
        active = modulePolicy ? modulePolicy : *optionPolicy;
      std::vector<OverrideRule> attrRules;
      if (DictionaryAttr overrides = active.getOverrides())
        for (NamedAttribute entry : overrides) {
          OverrideRule rule;
          rule.source = ("policy-attr:" + entry.getName().getValue()).str();
          StringRef pattern = entry.getName().getValue();
          // Patterns with a dot name ops ("linalg.softmax"), others names.
          (pattern.contains('.') && !pattern.contains(':') ? rule.opName : rule.name) =
              pattern.str();
          rule.format = cast<FormatAttr>(entry.getValue());
          attrRules.push_back(std::move(rule));
        }
      SmallVector<std::pair<Operation *, Proposal>> gathers;
      WalkResult result = func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        std::optional<OpClass> opClass = classifyOp(op);
        if (!opClass)
          return WalkResult::advance();
        Proposal proposal = propose(op, *opClass, active, file.overrides, attrRules, pinned);
        // Gathers from constant tables follow their consumers (below).
        if (!proposal.forced && isConstantGather(op)) {
          gathers.push_back({op, proposal});
          return WalkResult::advance();
        }
        if (failed(record(op, *opClass, proposal, ranges)))
          return WalkResult::interrupt();
        return WalkResult::advance();
      });
      if (result.wasInterrupted())
        return signalPassFailure();
      for (auto &[op, proposal] : gathers) {
        followConsumers(op, proposal);
        if (failed(record(op, OpClass::DataMovement, proposal, ranges)))
          return signalPassFailure();
      }
    }
  }

  /// Settles and records a decision.
  LogicalResult record(Operation *op, OpClass opClass, Proposal &proposal,
                       const llvm::StringMap<double> &ranges) {
    if (failed(adjust(op, proposal, ranges)))
      return failure();
    Type compute = defaultComputeType(op, proposal.format);
    auto decision = DecisionAttr::get(op->getContext(), opClass, proposal.format, compute,
                                      proposal.rule, proposal.forced);
    op->setAttr(MPDialect::getDecisionAttrName(), decision);
    if (remarks)
      op->emitRemark() << stringifyOpClass(opClass) << ": " << proposal.format
                       << ", computes in " << compute << " (" << proposal.rule << ")";
    return success();
  }

  /// A kernel that only gathers from a constant table (an embedding lookup:
  /// integer ids in, float values out) stores its values in the format all
  /// its users read them in, so that its table is converted at compile time
  /// only when every use narrows it anyway. Otherwise the proposal stands.
  void followConsumers(Operation *op, Proposal &proposal) {
    Type storage;
    for (Operation *user : op->getUsers()) {
      DecisionAttr decision = getDecision(user);
      if (!decision || (storage && storage != decision.getStorageType()))
        return;
      storage = decision.getStorageType();
    }
    if (!storage || !isa<FloatType>(storage))
      return;
    proposal.format = FormatAttr::get(op->getContext(), storage);
    proposal.rule = "follows-consumers";
  }

  /// Settles what the proposal depends on beyond the policy: f64 values,
  /// calibrated ranges and constants the format cannot hold.
  LogicalResult adjust(Operation *op, Proposal &proposal,
                       const llvm::StringMap<double> &ranges) {
    MLIRContext *ctx = op->getContext();
    auto storage = dyn_cast<FloatType>(proposal.format.getStorageType());
    if (!storage)
      return success();
    auto f32 = FormatAttr::get(ctx, Float32Type::get(ctx));
    // f64 is kept unless the user allows narrowing it.
    FloatType arrived = widestArrivedType(op);
    if (arrived && arrived.getWidth() > 32 && storage.getWidth() < arrived.getWidth()) {
      if (!narrowF64 && !proposal.forced) {
        proposal.format = FormatAttr::get(ctx, arrived);
        proposal.rule += ",keep-f64";
        return success();
      }
      proposal.rule += ",narrows-f64";
      op->emitRemark() << "narrows " << arrived << " to " << storage << " ("
                       << (proposal.forced ? "forced by the user" : "narrow-f64 is set")
                       << ")";
    }
    if (proposal.forced)
      return checkForcedConstants(op, proposal, storage);
    if (storage.getWidth() >= 32)
      return success();
    // Calibrated ranges.
    if (!ranges.empty()) {
      auto it = ranges.find(getStableName(op));
      if (it != ranges.end() && it->second > largestFinite(storage)) {
        proposal.format = f32;
        proposal.rule += ",range-check:calibration(abs_max=" +
                         llvm::formatv("{0:e3}", it->second).str() + ")";
        return success();
      }
    }
    // Constants: a value beyond the format keeps the op in f32, unless every
    // such value stands in for an infinity (a mask), which is clamped.
    bool clamps = false;
    for (const ConstantUse &use : constantsReadBy(op)) {
      double largest = largestFinite(storage);
      bool beyond = false, onlySentinels = true;
      for (double v : use.values) {
        if (!std::isfinite(v) || std::fabs(v) <= largest)
          continue;
        beyond = true;
        onlySentinels &= isInfinitySentinel(v);
      }
      if (!beyond)
        continue;
      double maxAbs = finiteAbsMax(use.values);
      if (onlySentinels) {
        op->emitRemark() << use.what << " holds " << llvm::formatv("{0:e}", maxAbs)
                         << ", the extreme of a wider type standing in for infinity "
                            "(a mask); it is clamped to +-"
                         << largest << ", the largest finite " << storage << " value";
        clamps = true;
        continue;
      }
      op->emitRemark() << "kept in f32: " << use.what << " holds |x| = "
                       << llvm::formatv("{0:e}", maxAbs) << ", beyond the largest finite "
                       << storage << " value " << largest << " (range check)";
      proposal.format = f32;
      proposal.rule += ",range-check:" + use.what + "(max=" +
                       llvm::formatv("{0:e3}", maxAbs).str() + ")";
      return success();
    }
    if (clamps)
      proposal.rule += ",clamps-mask-constant";
    return success();
  }

  /// A forced narrow format must hold the op's constants (sentinels clamp).
  LogicalResult checkForcedConstants(Operation *op, Proposal &proposal,
                                     FloatType storage) {
    double largest = largestFinite(storage);
    bool clamps = false;
    for (const ConstantUse &use : constantsReadBy(op)) {
      for (double v : use.values) {
        if (!std::isfinite(v) || std::fabs(v) <= largest)
          continue;
        if (isInfinitySentinel(v)) {
          clamps = true;
          continue;
        }
        return op->emitError() << use.what << " does not fit " << storage
                               << ": max |x| = " << finiteAbsMax(use.values)
                               << " exceeds its largest finite value " << largest
                               << ", and the format was forced by the user";
      }
    }
    if (clamps)
      proposal.rule += ",clamps-mask-constant";
    return success();
  }

  Proposal propose(Operation *op, OpClass opClass, PolicyAttr active,
                   ArrayRef<OverrideRule> fileRules, ArrayRef<OverrideRule> attrRules,
                   const DenseMap<Operation *, FormatAttr> &pinned) {
    if (auto requested = op->getAttrOfType<FormatAttr>(MPDialect::getFormatAttrName()))
      return {requested, "user-attribute", true};
    if (auto it = pinned.find(op); it != pinned.end())
      return {it->second, "user-pin", true};
    for (const OverrideRule &rule : fileRules)
      if (matchesOverride(rule, op, opClass))
        return {rule.format, rule.source, true};
    for (const OverrideRule &rule : attrRules)
      if (matchesOverride(rule, op, opClass))
        return {rule.format, rule.source, true};
    switch (opClass) {
    case OpClass::Contraction:
      return {active.getContraction(), "class-default:contraction"};
    case OpClass::Sensitive:
      return {active.getSensitive(), "class-default:sensitive"};
    default:
      break;
    }
    // Elementwise and data movement follow their producers.
    FormatAttr followed;
    for (Value operand : op->getOperands()) {
      Operation *producer = producerOf(operand);
      if (!producer)
        continue;
      if (DecisionAttr decision = getDecision(producer)) {
        // A quantized contraction (fp8/int8/int4 format) produces its f32
        // accumulator, dequantized: followers take the policy's elementwise
        // format, not the quantized type.
        Type stored = decision.getStorageType();
        FormatAttr produced = isa<FloatType>(stored) && !isa<Float8E4M3FNType, Float8E5M2Type>(stored)
                                  ? FormatAttr::get(op->getContext(), stored)
                                  : active.getElementwise();
        followed = widest(followed, produced);
      }
    }
    if (followed)
      return {followed, "follows-producers"};
    return {active.getElementwise(), "class-default:elementwise"};
  }
};

} // namespace
