//===- AssignPrecision.cpp - decide a format per op by policy -------------===//

#include "mp/Transforms/Passes.h"
#include "mp/Transforms/Policy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FormatVariadic.h"

namespace mp {
#define GEN_PASS_DEF_MPASSIGNPRECISION
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// A decision and the rule that made it.
struct Decision {
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
    if (!optionPolicy) {
      module.emitError() << "unknown precision policy '" << policyName
                         << "'; expected f32, f16 or bf16";
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
      WalkResult result = func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        OpClass opClass = classifyOp(op);
        if (opClass == OpClass::None)
          return WalkResult::advance();
        Decision decision = decide(op, opClass, active, file.overrides, attrRules, pinned);
        if (!decision.forced)
          applyRangeCheck(op, decision, ranges);
        op->setAttr(kFormatAttr, decision.format);
        op->setAttr(kClassAttr, StringAttr::get(ctx, stringifyOpClass(opClass)));
        op->setAttr(kRuleAttr, StringAttr::get(ctx, decision.rule));
        if (remarks)
          op->emitRemark() << stringifyOpClass(opClass) << ": " << decision.format
                           << " (" << decision.rule << ")";
        return WalkResult::advance();
      });
      if (result.wasInterrupted())
        return signalPassFailure();
    }
  }

  /// Keeps f32 where calibration saw values the chosen format cannot hold.
  void applyRangeCheck(Operation *op, Decision &decision,
                       const llvm::StringMap<double> &ranges) {
    auto storage = dyn_cast<FloatType>(decision.format.getStorageType());
    if (ranges.empty() || !storage || storage.getWidth() >= 32)
      return;
    auto it = ranges.find(getStableName(op));
    if (it == ranges.end())
      return;
    double largest = APFloat::getLargest(storage.getFloatSemantics()).convertToDouble();
    if (it->second <= largest)
      return;
    decision.format = FormatAttr::get(op->getContext(), Float32Type::get(op->getContext()));
    decision.rule += ",range-check:calibration(abs_max=" +
                     llvm::formatv("{0:e3}", it->second).str() + ")";
  }

  Decision decide(Operation *op, OpClass opClass, PolicyAttr active,
                  ArrayRef<OverrideRule> fileRules, ArrayRef<OverrideRule> attrRules,
                  const DenseMap<Operation *, FormatAttr> &pinned) {
    auto userFormat = op->getAttrOfType<FormatAttr>(kFormatAttr);
    auto previousRule = op->getAttrOfType<StringAttr>(kRuleAttr);
    if (userFormat && (!previousRule || previousRule.getValue().starts_with("user")))
      return {userFormat, "user-attribute", true};
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
      if (auto format = producer->getAttrOfType<FormatAttr>(kFormatAttr))
        followed = widest(followed, FormatAttr::get(op->getContext(),
                                                    format.getStorageType()));
    }
    if (followed)
      return {followed, "follows-producers"};
    return {active.getElementwise(), "class-default:elementwise"};
  }
};

} // namespace
