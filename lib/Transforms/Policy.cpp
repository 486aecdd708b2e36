//===- Policy.cpp - op classes, precision policies, overrides -------------===//

#include "mp/Transforms/Policy.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mp;

llvm::StringRef mp::stringifyOpClass(OpClass opClass) {
  switch (opClass) {
  case OpClass::None: return "none";
  case OpClass::Contraction: return "contraction";
  case OpClass::Elementwise: return "elementwise";
  case OpClass::DataMovement: return "data-movement";
  case OpClass::Sensitive: return "sensitive";
  }
  return "none";
}

static bool isFloatTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

/// True for payload ops whose inputs can overflow or lose accuracy in 16 bits:
/// transcendental functions, roots, powers, and division by a computed value.
static bool isSensitivePayloadOp(Operation *op) {
  if (isa<math::ExpOp, math::Exp2Op, math::ExpM1Op, math::LogOp, math::Log2Op,
          math::Log10Op, math::Log1pOp, math::PowFOp, math::FPowIOp, math::ErfOp,
          math::ErfcOp, math::TanhOp, math::RsqrtOp, math::SqrtOp, math::CbrtOp,
          math::AtanOp, math::Atan2Op>(op))
    return true;
  if (auto div = dyn_cast<arith::DivFOp>(op))
    return !div.getRhs().getDefiningOp<arith::ConstantOp>();
  return false;
}

OpClass mp::classifyOp(Operation *op) {
  if (isa_and_nonnull<MPDialect>(op->getDialect()))
    return OpClass::None;
  bool floatResult = llvm::any_of(op->getResultTypes(), isFloatTensor);
  bool floatOperand = llvm::any_of(op->getOperandTypes(), isFloatTensor);
  if (!floatResult || !floatOperand)
    return OpClass::None;
  if (isa<linalg::SoftmaxOp>(op))
    return OpClass::Sensitive;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    if (isa<linalg::FillOp>(op))
      return OpClass::None;
    if (linalg::isaContractionOpInterface(linalgOp) ||
        linalg::isaConvolutionOpInterface(linalgOp))
      return OpClass::Contraction;
    if (linalgOp.getNumReductionLoops() > 0)
      return OpClass::Sensitive;
    Block *body = linalgOp.getBlock();
    if (!body)
      return OpClass::Elementwise;
    bool sensitive = false, computes = false;
    for (Operation &payload : body->without_terminator()) {
      computes = true;
      sensitive |= isSensitivePayloadOp(&payload);
    }
    if (sensitive)
      return OpClass::Sensitive;
    return computes ? OpClass::Elementwise : OpClass::DataMovement;
  }
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ExtractSliceOp,
          tensor::InsertSliceOp, tensor::CastOp>(op))
    return OpClass::DataMovement;
  // Math and arith on whole tensors (usually converted to linalg first).
  if (op->getNumRegions() == 0 &&
      isa_and_nonnull<arith::ArithDialect, math::MathDialect>(op->getDialect()))
    return isSensitivePayloadOp(op) || isa<math::MathDialect>(op->getDialect())
               ? OpClass::Sensitive
               : OpClass::Elementwise;
  return OpClass::None;
}

std::optional<PolicyAttr> mp::getBuiltinPolicy(MLIRContext *ctx, StringRef name) {
  Type f32 = Float32Type::get(ctx);
  Type low;
  if (name == "f32")
    low = f32;
  else if (name == "f16")
    low = Float16Type::get(ctx);
  else if (name == "bf16")
    low = BFloat16Type::get(ctx);
  else
    return std::nullopt;
  auto contraction = FormatAttr::get(ctx, low, ScaleKind::None, -1, 0, false, f32);
  return PolicyAttr::get(ctx, name, contraction, FormatAttr::get(ctx, low),
                         FormatAttr::get(ctx, f32), DictionaryAttr());
}

FormatAttr mp::parseFormat(MLIRContext *ctx, StringRef text) {
  text = text.trim();
  std::string full = text.starts_with("#") ? text.str() : "#mp.format<" + text.str() + ">";
  Attribute attr = parseAttribute(full, ctx);
  return dyn_cast_if_present<FormatAttr>(attr);
}

/// An error about a file: "<what> '<path>': <message>".
static llvm::Error fileError(StringRef what, StringRef path, const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 what + " '" + path + "': " + message);
}

/// Reads a JSON file; errors are fileError(what, path, ...).
static llvm::Expected<llvm::json::Value> readJSONFile(StringRef what, StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fileError(what, path, buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return fileError(what, path, llvm::toString(json.takeError()));
  return json;
}

llvm::Expected<PolicyFile> mp::readPolicyFile(MLIRContext *ctx, StringRef path) {
  auto error = [&](const Twine &message) { return fileError("policy file", path, message); };
  auto json = readJSONFile("policy file", path);
  if (!json)
    return json.takeError();
  auto *root = json->getAsObject();
  if (!root)
    return error("expected a JSON object");
  PolicyFile file;
  if (auto policy = root->getString("policy"))
    file.policy = policy->str();
  if (const llvm::json::Array *overrides = root->getArray("overrides")) {
    for (auto [index, entry] : llvm::enumerate(*overrides)) {
      const llvm::json::Object *object = entry.getAsObject();
      std::string where = "overrides[" + std::to_string(index) + "]";
      if (!object)
        return error(where + " is not an object");
      OverrideRule rule;
      rule.source = "policy-file" + where.substr(9);
      if (auto v = object->getString("name")) rule.name = v->str();
      if (auto v = object->getString("op")) rule.opName = v->str();
      if (auto v = object->getString("class")) rule.opClass = v->str();
      if (rule.name.empty() && rule.opName.empty() && rule.opClass.empty())
        return error(where + " needs at least one of \"name\", \"op\", \"class\"");
      auto format = object->getString("format");
      if (!format)
        return error(where + " has no \"format\"");
      rule.format = parseFormat(ctx, *format);
      if (!rule.format)
        return error(where + ": cannot parse format '" + *format + "'");
      file.overrides.push_back(std::move(rule));
    }
  }
  return file;
}

static bool globMatch(StringRef pattern, StringRef text) {
  if (pattern.empty())
    return true;
  auto glob = llvm::GlobPattern::create(pattern);
  if (!glob) {
    llvm::consumeError(glob.takeError());
    return pattern == text;
  }
  return glob->match(text);
}

bool mp::matchesOverride(const OverrideRule &rule, Operation *op, OpClass opClass) {
  if (!rule.opClass.empty() && rule.opClass != stringifyOpClass(opClass))
    return false;
  if (!globMatch(rule.opName, op->getName().getStringRef()))
    return false;
  if (!rule.name.empty() && !globMatch(rule.name, getStableName(op)))
    return false;
  return true;
}

static std::string locationName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (llvm::sys::path::filename(file.getFilename().getValue()) + ":" +
            Twine(file.getLine()) + ":" + Twine(file.getColumn()))
        .str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string name = locationName(inner); !name.empty())
        return name;
  if (auto callSite = dyn_cast<CallSiteLoc>(loc))
    return locationName(callSite.getCallee());
  return "";
}

std::string mp::getStableName(Operation *op) {
  if (auto name = op->getAttrOfType<StringAttr>("mp.name"))
    return name.str();
  return locationName(op->getLoc());
}

int64_t mp::countWeightBytes(Operation *root) {
  int64_t bytes = 0;
  llvm::DenseSet<Attribute> seen;
  root->walk([&](arith::ConstantOp op) {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !isa<FloatType>(type.getElementType()) || !type.hasStaticShape())
      return;
    bool weight = llvm::any_of(op->getUsers(), [](Operation *user) {
      return user->hasAttr(kFormatAttr);
    });
    if (weight && seen.insert(op.getValue()).second)
      bytes += type.getNumElements() * (type.getElementTypeBitWidth() / 8);
  });
  return bytes;
}

llvm::Expected<llvm::StringMap<double>> mp::readCalibration(StringRef path) {
  auto error = [&](const Twine &message) {
    return fileError("calibration file", path, message);
  };
  auto json = readJSONFile("calibration file", path);
  if (!json)
    return json.takeError();
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *values = root ? root->getObject("values") : nullptr;
  if (!values)
    return error("expected an object with \"values\" (written by mp-run --calibrate)");
  llvm::StringMap<double> absMax;
  for (const auto &entry : *values) {
    const llvm::json::Object *stats = entry.second.getAsObject();
    std::optional<double> value = stats ? stats->getNumber("abs_max") : std::nullopt;
    if (!value)
      return error("value '" + entry.first.str() + "' has no abs_max");
    absMax[entry.first.str()] = *value;
  }
  return absMax;
}
