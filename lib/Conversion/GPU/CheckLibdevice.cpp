//===- CheckLibdevice.cpp - math calls need libdevice ---------------------===//
//
// convert-gpu-to-nvvm lowers math ops (exp, tanh, rsqrt, erf, ...) to calls
// of libdevice functions (`__nv_expf`, ...), which gpu-module-to-binary links
// from the CUDA toolkit. Without libdevice the calls stay unresolved and the
// PTX does not assemble. mp-gpu-check-libdevice runs on the NVVM-level
// modules and turns that into an error at the kernel that needs it, naming
// the path it looked at.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace mp {
#define GEN_PASS_DEF_MPGPUCHECKLIBDEVICE
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

struct MPGPUCheckLibdevicePass
    : mp::impl::MPGPUCheckLibdeviceBase<MPGPUCheckLibdevicePass> {
  using MPGPUCheckLibdeviceBase::MPGPUCheckLibdeviceBase;

  void runOnOperation() override {
    SmallString<256> libdevice(cudaPath);
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (llvm::sys::fs::exists(libdevice))
      return;
    bool failed = false;
    getOperation().walk([&](LLVM::LLVMFuncOp func) {
      if (!func.isExternal() || !func.getName().starts_with("__nv_"))
        return;
      func.emitError() << "kernels call '" << func.getName()
                       << "' from libdevice, which was not found at '" << libdevice
                       << "' (give the CUDA toolkit with mp-lower-to-ptx{cuda-path=...} "
                          "or CUDA_HOME)";
      failed = true;
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
