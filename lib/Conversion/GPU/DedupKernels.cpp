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

/// The module's text with its own name (and its functions' names, which
/// outlining derives from it) replaced by a placeholder.
std::string fingerprint(gpu::GPUModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, OpPrintingFlags().useLocalScope());
  std::string name = "@" + module.getName().str();
  std::string result;
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(name, pos);
    if (hit == std::string::npos)
      break;
    // Whole symbol only: the next character must not continue the name.
    size_t end = hit + name.size();
    bool whole = end >= text.size() || !(isalnum(text[end]) || text[end] == '_');
    result.append(text, pos, hit - pos);
    result += whole ? "@KERNEL" : name;
    pos = end;
  }
  result.append(text, pos, std::string::npos);
  return result;
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
      // Outlining names the function after its module.
      StringAttr function = kernel.getLeafReference();
      if (function == kernel.getRootReference())
        function = target.getNameAttr();
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getNameAttr(), {FlatSymbolRefAttr::get(function)}));
    });
    for (gpu::GPUModuleOp duplicate : duplicates)
      duplicate.erase();
  }
};

} // namespace
