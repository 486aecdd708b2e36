//===- PrecisionReport.cpp - write precision decisions as JSON ------------===//
//
// Everything in the report is read from the IR: decisions, remaining casts,
// constant bytes. Nothing travels between passes in attributes.
//
//===----------------------------------------------------------------------===//

#include "mp/Analysis/Classification.h"
#include "mp/Analysis/ConstantData.h"
#include "mp/Analysis/DecisionCheck.h"
#include "mp/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/JSON.h"

#include <map>

namespace mp {
#define GEN_PASS_DEF_MPPRECISIONREPORT
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

template <typename T>
std::string printed(T value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  value.print(os);
  return text;
}

/// Shape facts of a contraction for cost models (the search in
/// scripts/mp-search.py): multiply-adds, elements of the constant operand
/// (the weight) and of the others, and the weight's last output dimension
/// and its reduction dimension (what per_channel / per_group formats name).
void addContractionFacts(Operation *op, llvm::json::Object &entry) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureTensorSemantics())
    return;
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  int64_t macs = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return;
    macs *= r;
  }
  entry["macs"] = macs;
  int64_t weight = 0, activations = 0;
  for (OpOperand *input : linalgOp.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type || !type.hasStaticShape())
      continue;
    if (getConstantThroughReshapes(input->get())) {
      weight += type.getNumElements();
      AffineMap map = linalgOp.getMatchingIndexingMap(input);
      auto iterators = linalgOp.getIteratorTypesArray();
      for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
        auto dim = dyn_cast<AffineDimExpr>(expr);
        if (!dim)
          continue;
        if (iterators[dim.getPosition()] == utils::IteratorType::reduction)
          entry["weight_reduction_axis"] = static_cast<int64_t>(pos);
        else
          entry["weight_output_axis"] = static_cast<int64_t>(pos);
      }
    } else {
      activations += type.getNumElements();
    }
  }
  entry["weight_elements"] = weight;
  entry["activation_elements"] = activations;
  if (auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType()))
    if (type.hasStaticShape())
      entry["output_elements"] = type.getNumElements();
}

struct MPPrecisionReportPass
    : mp::impl::MPPrecisionReportBase<MPPrecisionReportPass> {
  using MPPrecisionReportBase::MPPrecisionReportBase;

  void runOnOperation() override {
    markAllAnalysesPreserved();
    if (file.empty())
      return;
    ModuleOp module = getOperation();
    llvm::json::Array ops, scaled;
    std::map<std::string, int64_t> perFormat, perClass, perCompute;
    int64_t tensorCasts = 0, payloadCasts = 0, forced = 0;
    module.walk([&](Operation *op) {
      if (auto cast = dyn_cast<CastOp>(op)) {
        ++(isa<RankedTensorType>(cast.getType()) ? tensorCasts : payloadCasts);
        return;
      }
      if (auto scaling = op->getAttrOfType<StringAttr>(MPDialect::getScalingAttrName()))
        scaled.push_back(llvm::json::Object{{"loc", getStableName(op)},
                                            {"op", op->getName().getStringRef()},
                                            {"scaling", scaling.getValue()}});
      DecisionAttr decision = getDecision(op);
      if (!decision)
        return;
      std::string opClass = stringifyOpClass(decision.getOpClass()).str();
      llvm::json::Object entry{
          {"loc", getStableName(op)},
          {"op", op->getName().getStringRef()},
          {"class", opClass},
          {"format", printed(Attribute(decision.getFormat()))},
          {"compute", printed(decision.getCompute())},
          {"rule", decision.getRule()},
          {"forced", decision.getForced()}};
      if (decision.isContraction())
        addContractionFacts(op, entry);
      ops.push_back(std::move(entry));
      ++perFormat[printed(decision.getFormat().getElementType())];
      ++perCompute[printed(decision.getCompute())];
      ++perClass[opClass];
      forced += decision.getForced();
    });
    auto toJSON = [](const std::map<std::string, int64_t> &counts) {
      llvm::json::Object object;
      for (auto &[key, count] : counts)
        object[key] = count;
      return object;
    };
    ConstantBytes bytes = countConstantBytes(module);
    llvm::json::Object report{
        {"ops", std::move(ops)},
        {"scaled_ops", std::move(scaled)},
        {"totals",
         llvm::json::Object{
             {"ops_per_format", toJSON(perFormat)},
             {"ops_per_compute_type", toJSON(perCompute)},
             {"ops_per_class", toJSON(perClass)},
             {"forced", forced},
             {"casts", llvm::json::Object{{"tensor_casts", tensorCasts},
                                          {"in_kernel_casts", payloadCasts}}},
             {"constant_bytes",
              llvm::json::Object{{"total", bytes.total},
                                 {"per_type", toJSON(bytes.perType)},
                                 {"read_by_decided_ops", bytes.readByDecidedOps}}}}}};
    std::string error;
    auto output = openOutputFile(file, &error);
    if (!output) {
      module.emitError() << "cannot write the precision report '" << file
                         << "': " << error;
      return signalPassFailure();
    }
    output->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
    output->keep();
  }
};

} // namespace
