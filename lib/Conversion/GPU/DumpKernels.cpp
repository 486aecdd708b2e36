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
#include "mp/Dialect/MP/IR/MPDialect.h"

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
    // The cost report: mp-gpu-map-kernels' per-launch costs on the host
    // functions, in launch order, with a roofline estimate on an H200.
    constexpr double kBandwidth = 4.8e12;     // bytes/s, HBM3e
    constexpr double kTensorPeak = 989e12;    // dense f16/bf16 FLOP/s
    constexpr double kCudaCorePeak = 67e12;   // f32 FLOP/s
    DenseMap<Operation *, unsigned> launchIndex;
    int64_t totalFlops = 0, totalBytes = 0, unfusedBytes = 0, unfusedKernels = 0;
    double totalSeconds = 0;
    bool haveCosts = false;
    module.walk([&](func::FuncOp func) {
      auto costs = func->getAttrOfType<DictionaryAttr>(MPDialect::getKernelCostsAttrName());
      if (!costs)
        return;
      haveCosts = true;
      if (auto bytes = costs.getAs<IntegerAttr>("unfused_bytes"))
        unfusedBytes += bytes.getInt();
      if (auto kernels = costs.getAs<IntegerAttr>("unfused_kernels"))
        unfusedKernels += kernels.getInt();
    });
    auto costOf = [&](gpu::LaunchFuncOp launch) -> llvm::json::Value {
      auto func = launch->getParentOfType<func::FuncOp>();
      auto costs =
          func ? func->getAttrOfType<DictionaryAttr>(MPDialect::getKernelCostsAttrName())
               : DictionaryAttr();
      if (!costs)
        return nullptr;
      unsigned index = launchIndex[func]++;
      auto all = costs.getAs<ArrayAttr>("launches");
      auto cost = all && index < all.size() ? dyn_cast<DictionaryAttr>(all[index]) : nullptr;
      if (!cost || !cost.get("bytes"))
        return nullptr;
      int64_t flops = cast<IntegerAttr>(cost.get("flops")).getInt();
      int64_t bytes = cast<IntegerAttr>(cost.get("bytes")).getInt();
      bool tensorCores = cast<BoolAttr>(cost.get("tensor_cores")).getValue();
      double memory = bytes / kBandwidth;
      double compute = flops / (tensorCores ? kTensorPeak : kCudaCorePeak);
      totalFlops += flops;
      totalBytes += bytes;
      totalSeconds += std::max(memory, compute);
      return llvm::json::Object{
          {"flops", flops},
          {"bytes", bytes},
          {"intensity", bytes ? double(flops) / bytes : 0.0},
          {"roofline_us", std::max(memory, compute) * 1e6},
          {"bound", compute > memory ? "compute" : "memory"},
          {"tensor_cores", tensorCores},
          {"ops", cast<IntegerAttr>(cost.get("ops")).getInt()}};
    };
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
          {"loc", loc},
          {"cost", costOf(launch)}});
    });
    llvm::json::Object report{{"binaries", std::move(binaries)}};
    if (haveCosts)
      report["cost"] = llvm::json::Object{
          {"model", "H200: 4.8 TB/s; 989 TFLOP/s on tensor cores (f16/bf16), 67 TFLOP/s "
                    "otherwise; each kernel max(bytes / bandwidth, flops / peak)"},
          {"launches", static_cast<int64_t>(launches.size())},
          {"flops", totalFlops},
          {"bytes", totalBytes},
          {"roofline_us", totalSeconds * 1e6},
          {"unfused_kernels", unfusedKernels},
          {"unfused_bytes", unfusedBytes}};
    report["launches"] = std::move(launches);
    SmallString<256> manifest(dir);
    llvm::sys::path::append(manifest, "kernels.json");
    std::error_code ec;
    llvm::raw_fd_ostream os(manifest, ec);
    if (ec) {
      module.emitError() << "cannot write '" << manifest << "': " << ec.message();
      return signalPassFailure();
    }
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  }
};

} // namespace
