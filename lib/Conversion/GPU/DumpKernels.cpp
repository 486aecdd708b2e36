//===- DumpKernels.cpp - write the serialized kernels and a manifest ------===//
//
// mp-gpu-dump-kernels writes, for every gpu.binary of the module, each of its
// objects to `dir` (`<binary>.<chip>.ptx` for assembly, `.cubin` for binaries)
// and a `kernels.json` listing the binaries, their kernels and every launch
// (grid, block, dynamic shared memory, in program order) so that tests and
// tools (ptxas, cuobjdump, the runtime) can pick them up.
//
// It also drops the compile-time measurements that gpu-module-to-binary
// records in each object's properties (`...TimeInMs`): they made the
// pipeline's output differ from run to run.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/GPUObjects.h"
#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace mp {
#define GEN_PASS_DEF_MPGPUDUMPKERNELS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

llvm::json::Value constantOrNull(Value v) {
  APInt value;
  if (v && matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return nullptr;
}

/// Removes the `*TimeInMs` properties of every gpu.object.
void stripTimings(ModuleOp module) {
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    SmallVector<Attribute> objects;
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (!object || !object.getProperties()) {
        objects.push_back(attr);
        continue;
      }
      SmallVector<NamedAttribute> kept;
      for (NamedAttribute property : object.getProperties())
        if (!property.getName().getValue().ends_with("TimeInMs"))
          kept.push_back(property);
      objects.push_back(gpu::ObjectAttr::get(
          module.getContext(), object.getTarget(), object.getFormat(), object.getObject(),
          DictionaryAttr::get(module.getContext(), kept), object.getKernels()));
    }
    binary.setObjectsAttr(ArrayAttr::get(module.getContext(), objects));
  }
}

struct MPGPUDumpKernelsPass
    : mp::impl::MPGPUDumpKernelsBase<MPGPUDumpKernelsPass> {
  using MPGPUDumpKernelsBase::MPGPUDumpKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    stripTimings(module);
    if (dir.empty())
      return;
    if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
      module.emitError() << "cannot create '" << dir << "': " << ec.message();
      return signalPassFailure();
    }
    llvm::json::Array binaries;
    for (auto binary : module.getOps<gpu::BinaryOp>()) {
      llvm::json::Array files;
      for (Attribute attr : binary.getObjects()) {
        auto object = dyn_cast<gpu::ObjectAttr>(attr);
        if (!object)
          continue;
        std::string name = getKernelFileName(binary.getName(), object);
        SmallString<256> path(dir);
        llvm::sys::path::append(path, name);
        std::error_code ec;
        llvm::raw_fd_ostream os(path, ec);
        if (ec) {
          binary.emitError() << "cannot write '" << path << "': " << ec.message();
          return signalPassFailure();
        }
        os << object.getObject().getValue();
        files.push_back(name);
      }
      binaries.push_back(llvm::json::Object{{"name", binary.getName()},
                                            {"files", std::move(files)}});
    }
    llvm::json::Array launches;
    module.walk([&](gpu::LaunchFuncOp launch) {
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      std::string loc;
      llvm::raw_string_ostream los(loc);
      launch.getLoc().print(los);
      launches.push_back(llvm::json::Object{
          {"binary", launch.getKernelModuleName().getValue()},
          {"kernel", launch.getKernelName().getValue()},
          {"grid", llvm::json::Array{constantOrNull(grid.x), constantOrNull(grid.y),
                                     constantOrNull(grid.z)}},
          {"block", llvm::json::Array{constantOrNull(block.x), constantOrNull(block.y),
                                      constantOrNull(block.z)}},
          {"dynamic_shared_memory", launch.getDynamicSharedMemorySize()
                                        ? constantOrNull(launch.getDynamicSharedMemorySize())
                                        : llvm::json::Value(0)},
          {"loc", loc}});
    });
    SmallString<256> manifest(dir);
    llvm::sys::path::append(manifest, "kernels.json");
    std::error_code ec;
    llvm::raw_fd_ostream os(manifest, ec);
    if (ec) {
      module.emitError() << "cannot write '" << manifest << "': " << ec.message();
      return signalPassFailure();
    }
    os << llvm::formatv("{0:2}", llvm::json::Value(llvm::json::Object{
                                     {"binaries", std::move(binaries)},
                                     {"launches", std::move(launches)}}))
       << "\n";
  }
};

} // namespace
