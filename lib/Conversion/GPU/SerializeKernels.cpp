//===- SerializeKernels.cpp - kernel modules to binaries, in parallel -----===//
//
// mp-gpu-serialize-kernels does what upstream's gpu-module-to-binary does
// (each gpu.module becomes a gpu.binary holding one object per target: PTX,
// or a cubin through ptxas), but compiles the modules in parallel on the
// context's thread pool. Outlining leaves one module per kernel, and LLVM's
// NVPTX code generation of those modules, one after another, was 63% of
// BERT-base's compile time.
//
// The IR is only read during compilation (each module is translated into its
// own LLVMContext); the binaries replace the modules afterwards, in order, so
// the output does not depend on the number of threads.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/CompilationInterfaces.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Threading.h"
#include "llvm/ADT/StringSwitch.h"

namespace mp {
#define GEN_PASS_DEF_MPGPUSERIALIZEKERNELS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;

namespace {

struct MPGPUSerializeKernelsPass
    : mp::impl::MPGPUSerializeKernelsBase<MPGPUSerializeKernelsPass> {
  using MPGPUSerializeKernelsBase::MPGPUSerializeKernelsBase;

  void runOnOperation() override {
    ModuleOp top = getOperation();
    std::optional<gpu::CompilationTarget> format =
        llvm::StringSwitch<std::optional<gpu::CompilationTarget>>(compilationTarget)
            .Cases({"isa", "assembly"}, gpu::CompilationTarget::Assembly)
            .Cases({"bin", "binary"}, gpu::CompilationTarget::Binary)
            .Cases({"fatbin", "fatbinary"}, gpu::CompilationTarget::Fatbin)
            .Default(std::nullopt);
    if (!format) {
      top.emitError() << "mp-gpu-serialize-kernels: unknown format '" << compilationTarget
                      << "' (isa, bin or fatbin)";
      return signalPassFailure();
    }
    SmallVector<gpu::GPUModuleOp> modules(top.getOps<gpu::GPUModuleOp>());
    for (gpu::GPUModuleOp module : modules)
      if (!module.getTargetsAttr() || module.getTargetsAttr().empty()) {
        module.emitError("has no target attribute to compile it for");
        return signalPassFailure();
      }
    // Built before the threads start; they only look symbols up.
    SymbolTable table(top);
    gpu::TargetOptions options(toolkitPath, /*librariesToLink=*/{}, /*cmdOptions=*/"",
                               /*elfSection=*/"", *format, [&]() { return &table; });

    // One object per (module, target), compiled in parallel.
    std::vector<SmallVector<SmallVector<char, 0>>> blobs(modules.size());
    LogicalResult compiled = failableParallelForEachN(
        &getContext(), 0, modules.size(), [&](size_t i) -> LogicalResult {
          for (Attribute attr : modules[i].getTargetsAttr()) {
            auto target = dyn_cast<gpu::TargetAttrInterface>(attr);
            if (!target)
              return modules[i].emitError() << "target " << attr
                                            << " cannot compile (no TargetAttrInterface)";
            std::optional<SmallVector<char, 0>> blob =
                target.serializeToObject(modules[i], options);
            if (!blob)
              return modules[i].emitError() << "compiling the kernel module for " << attr
                                            << " failed";
            blobs[i].push_back(std::move(*blob));
          }
          return success();
        });
    if (failed(compiled))
      return signalPassFailure();

    for (auto [module, moduleBlobs] : llvm::zip(modules, blobs)) {
      SmallVector<Attribute> objects;
      for (auto [attr, blob] : llvm::zip(module.getTargetsAttr(), moduleBlobs)) {
        auto target = cast<gpu::TargetAttrInterface>(attr);
        Attribute object = target.createObject(module, blob, options);
        if (!object) {
          module.emitError() << "creating the object for " << attr << " failed";
          return signalPassFailure();
        }
        objects.push_back(object);
      }
      OpBuilder b(module);
      b.setInsertionPointAfter(module);
      auto handler = dyn_cast_or_null<gpu::OffloadingLLVMTranslationAttrInterface>(
          module.getOffloadingHandlerAttr());
      gpu::BinaryOp::create(b, module.getLoc(), module.getName(), handler,
                            b.getArrayAttr(objects));
      module.erase();
    }
  }
};

} // namespace
