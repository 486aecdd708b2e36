//===- DedupKernels.cpp - emit identical kernels once ---------------------===//
//
// After outlining, every launch has its own gpu.module, and layers that only
// differ in their weights produce the same kernel again and again (a BERT
// encoder repeats its kernels in every layer). mp-gpu-dedup-kernels keeps the
// first of each set of identical kernel modules (same ops, types and
// attributes, names aside) and points every launch at it, so each kernel is
// compiled once.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

namespace mp {
#define GEN_PASS_DEF_MPGPUDEDUPKERNELS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// The module's text with its name and its functions' names replaced by
/// placeholders (outlining names them after the launching function).
std::string fingerprint(gpu::GPUModuleOp module) {
  // Renamed in place and restored: a detached clone cannot be printed (its
  // data layout is looked up through its parents).
  MLIRContext *ctx = module.getContext();
  StringAttr moduleName = module.getNameAttr();
  SmallVector<std::pair<gpu::GPUFuncOp, StringAttr>> names;
  module.setName("kernel_module");
  unsigned index = 0;
  for (auto func : module.getOps<gpu::GPUFuncOp>()) {
    names.push_back({func, func.getNameAttr()});
    func.setName(StringAttr::get(ctx, "kernel_" + std::to_string(index++)));
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, OpPrintingFlags().useLocalScope());
  module.setName(moduleName);
  for (auto [func, name] : names)
    func.setName(name);
  return text;
}

/// Position of `name` among the module's functions.
std::optional<unsigned> functionIndex(gpu::GPUModuleOp module, StringAttr name) {
  unsigned index = 0;
  for (auto func : module.getOps<gpu::GPUFuncOp>()) {
    if (func.getNameAttr() == name)
      return index;
    ++index;
  }
  return std::nullopt;
}

struct MPGPUDedupKernelsPass
    : mp::impl::MPGPUDedupKernelsBase<MPGPUDedupKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<gpu::GPUModuleOp> first;
    DenseMap<StringAttr, gpu::GPUModuleOp> replacement;
    SmallVector<gpu::GPUModuleOp> duplicates;
    for (auto kernelModule : module.getOps<gpu::GPUModuleOp>()) {
      auto [it, inserted] = first.try_emplace(fingerprint(kernelModule), kernelModule);
      if (!inserted) {
        replacement[kernelModule.getNameAttr()] = it->second;
        duplicates.push_back(kernelModule);
      }
    }
    if (duplicates.empty())
      return;
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it = replacement.find(kernel.getRootReference());
      if (it == replacement.end())
        return;
      gpu::GPUModuleOp target = it->second;
      auto source = module.lookupSymbol<gpu::GPUModuleOp>(kernel.getRootReference());
      std::optional<unsigned> position =
          functionIndex(source, kernel.getLeafReference());
      if (!position)
        return;
      auto functions = target.getOps<gpu::GPUFuncOp>();
      auto function = std::next(functions.begin(), *position);
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getNameAttr(), {FlatSymbolRefAttr::get((*function).getNameAttr())}));
    });
    for (gpu::GPUModuleOp duplicate : duplicates)
      duplicate.erase();
  }
};

} // namespace
