//===- Kernels.h - kernel builders shared by the GPU mapping -----*- C++ -*-===//
//
// Internal to lib/Conversion/GPU.
//
//===----------------------------------------------------------------------===//

#ifndef MP_LIB_CONVERSION_GPU_KERNELS_H
#define MP_LIB_CONVERSION_GPU_KERNELS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mp::gpu_detail {

/// An index constant.
mlir::Value index(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// Creates `gpu.launch` with a 1-D block of `threads` and a grid of
/// (gx, gy, gz); returns it with the builder inside its body.
mlir::gpu::LaunchOp createLaunch(mlir::OpBuilder &b, mlir::Location loc, int64_t gx,
                                 int64_t gy, int64_t gz, int64_t threads);

/// Maps a contraction on buffers to a warp-level tensor-core kernel
/// (TensorCores.cpp), fusing the fill that initializes its output and the
/// elementwise op that consumes it where that is safe. Fails, changing
/// nothing, when the op is not a contraction tensor cores can take.
mlir::LogicalResult mapToTensorCores(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op);

} // namespace mp::gpu_detail

#endif // MP_LIB_CONVERSION_GPU_KERNELS_H
