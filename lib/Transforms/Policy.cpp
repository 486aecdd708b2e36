//===- Policy.cpp - op classes, precision policies, overrides -------------===//

#include "mp/Transforms/Policy.h"
#include "mp/Analysis/Calibration.h"

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

std::optional<PolicyAttr> mp::getBuiltinPolicy(MLIRContext *ctx, StringRef name) {
  Type f32 = Float32Type::get(ctx);
  Type low;
  if (name == "f32")
    low = f32;
  else if (isQuantizationPolicy(name))
    low = BFloat16Type::get(ctx); // the rest of the model in bf16
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

bool mp::isQuantizationPolicy(StringRef name) {
  return name == "fp8" || name == "w8a8" || name == "w8a16" || name == "w4a16";
}

FormatAttr mp::parseFormat(MLIRContext *ctx, StringRef text) {
  text = text.trim();
  std::string full = text.starts_with("#") ? text.str() : "#mp.format<" + text.str() + ">";
  Attribute attr = parseAttribute(full, ctx);
  return dyn_cast_if_present<FormatAttr>(attr);
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
      if (auto v = object->getString("class")) {
        rule.opClass = parseOpClass(*v);
        if (!rule.opClass)
          return error(where + ": unknown class '" + *v +
                       "'; expected contraction, elementwise, data_movement or sensitive");
      }
      if (rule.name.empty() && rule.opName.empty() && !rule.opClass)
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
  if (rule.opClass && *rule.opClass != opClass)
    return false;
  if (!globMatch(rule.opName, op->getName().getStringRef()))
    return false;
  if (!rule.name.empty() && !globMatch(rule.name, getStableName(op)))
    return false;
  return true;
}

