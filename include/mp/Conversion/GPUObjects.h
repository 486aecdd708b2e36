//===- GPUObjects.h - serialized kernels and the CUDA toolkit ---*- C++ -*-===//
//
// Conventions shared by the GPU pipeline, mp-gpu-dump-kernels, compiled
// artifacts (lib/Target) and mp-compile, kept in one place so that the files
// one writes are the files the others look for.
//
//===----------------------------------------------------------------------===//

#ifndef MP_CONVERSION_GPUOBJECTS_H
#define MP_CONVERSION_GPUOBJECTS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mp {

/// The chip of an NVVM object (`sm_90a`), or "unknown".
std::string getObjectChip(mlir::gpu::ObjectAttr object);

/// The file an object is written to: `<binary>.<chip>.ptx` for assembly,
/// `<binary>.<chip>.cubin` otherwise.
std::string getKernelFileName(llvm::StringRef binary, mlir::gpu::ObjectAttr object);

/// The CUDA toolkit root: `explicitPath` when not empty, else $CUDA_HOME,
/// $CUDA_PATH, $CUDA_ROOT, else /usr/local/cuda.
std::string getCudaToolkitRoot(llvm::StringRef explicitPath);

} // namespace mp

#endif // MP_CONVERSION_GPUOBJECTS_H
