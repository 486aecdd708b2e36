//===- Objects.cpp - serialized kernels and the CUDA toolkit ---------------===//

#include "mp/Conversion/GPUObjects.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

#include <cstdlib>

using namespace mlir;

std::string mp::getObjectChip(gpu::ObjectAttr object) {
  if (auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()))
    return target.getChip().str();
  return "unknown";
}

std::string mp::getKernelFileName(llvm::StringRef binary, gpu::ObjectAttr object) {
  bool assembly = object.getFormat() == gpu::CompilationTarget::Assembly;
  return (binary + "." + getObjectChip(object) + (assembly ? ".ptx" : ".cubin")).str();
}

std::string mp::getCudaToolkitRoot(llvm::StringRef explicitPath) {
  if (!explicitPath.empty())
    return explicitPath.str();
  for (const char *name : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
    if (const char *value = std::getenv(name); value && *value)
      return value;
  return "/usr/local/cuda";
}
