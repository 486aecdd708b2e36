//===- PrecisionReport.cpp - write precision decisions as JSON ------------===//

#include "mp/Transforms/Passes.h"
#include "mp/Transforms/Policy.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <map>

namespace mp {
#define GEN_PASS_DEF_MPPRECISIONREPORT
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

constexpr StringLiteral kPrefix = "mp.report.";

int64_t moduleCounter(ModuleOp module, StringRef name) {
  auto attr = module->getAttrOfType<IntegerAttr>((kPrefix + name).str());
  return attr ? attr.getInt() : 0;
}

std::string printed(Attribute attr) {
  std::string text;
  llvm::raw_string_ostream os(text);
  attr.print(os);
  return text;
}

std::string printed(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return text;
}

struct MPPrecisionReportPass
    : mp::impl::MPPrecisionReportBase<MPPrecisionReportPass> {
  using MPPrecisionReportBase::MPPrecisionReportBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::json::Array ops;
    std::map<std::string, int64_t> perFormat, perClass;
    int64_t tensorCasts = 0, payloadCasts = 0;
    int64_t weightBytes = countWeightBytes(module);
    module.walk([&](Operation *op) {
      if (auto cast = dyn_cast<CastOp>(op)) {
        ++(isa<RankedTensorType>(cast.getType()) ? tensorCasts : payloadCasts);
        return;
      }
      auto format = op->getAttrOfType<FormatAttr>(kFormatAttr);
      auto opClass = op->getAttrOfType<StringAttr>(kClassAttr);
      if (!format || !opClass)
        return;
      auto rule = op->getAttrOfType<StringAttr>(kRuleAttr);
      std::string name = getStableName(op);
      ops.push_back(llvm::json::Object{
          {"loc", name},
          {"op", op->getName().getStringRef()},
          {"class", opClass.getValue()},
          {"format", printed(Attribute(format))},
          {"rule", rule ? rule.getValue() : StringRef("")}});
      ++perFormat[printed(format.getElementType())];
      ++perClass[opClass.getValue().str()];
    });
    llvm::json::Object formats, classes;
    for (auto &[key, count] : perFormat)
      formats[key] = count;
    for (auto &[key, count] : perClass)
      classes[key] = count;
    int64_t before = moduleCounter(module, "weight_bytes_before");
    llvm::json::Object report{
        {"ops", std::move(ops)},
        {"totals",
         llvm::json::Object{
             {"ops_per_format", std::move(formats)},
             {"ops_per_class", std::move(classes)},
             {"casts", llvm::json::Object{{"inserted", moduleCounter(module, "casts_inserted")},
                                          {"removed", moduleCounter(module, "casts_removed")},
                                          {"remaining_tensor_casts", tensorCasts},
                                          {"in_kernel_casts", payloadCasts}}},
             {"weight_bytes",
              llvm::json::Object{{"before", before ? before : weightBytes},
                                 {"after", weightBytes}}}}}};
    // Bookkeeping attributes go; the per-op decisions stay in the IR.
    for (NamedAttribute attr : llvm::to_vector(module->getAttrs()))
      if (attr.getName().getValue().starts_with(kPrefix))
        module->removeAttr(attr.getName());
    if (file.empty())
      return;
    std::error_code ec;
    llvm::raw_fd_ostream os(StringRef(file), ec);
    if (ec) {
      module.emitError() << "cannot write the precision report '" << file
                         << "': " << ec.message();
      return signalPassFailure();
    }
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  }
};

} // namespace
