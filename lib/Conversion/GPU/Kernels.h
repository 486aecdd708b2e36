//===- Kernels.h - kernel builders shared by the GPU mapping -----*- C++ -*-===//
//
// Internal to lib/Conversion/GPU.
//
//===----------------------------------------------------------------------===//

#ifndef MP_LIB_CONVERSION_GPU_KERNELS_H
#define MP_LIB_CONVERSION_GPU_KERNELS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>

namespace mp::gpu_detail {

/// Called for each kernel a mapping creates, with the ops it replaces, just
/// before they are erased (mp-gpu-map-kernels records each kernel's cost).
using KernelCallback =
    std::function<void(mlir::gpu::LaunchOp, llvm::ArrayRef<mlir::Operation *>)>;

/// The buffer a memref value views (through view-like ops).
mlir::Value rootBuffer(mlir::Value value);

/// An index constant.
mlir::Value index(mlir::OpBuilder &b, mlir::Location loc, int64_t value);

/// Creates `gpu.launch` with a 1-D block of `threads` and a grid of
/// (gx, gy, gz); returns it with the builder inside its body.
mlir::gpu::LaunchOp createLaunch(mlir::OpBuilder &b, mlir::Location loc, int64_t gx,
                                 int64_t gy, int64_t gz, int64_t threads);

/// Applies `map` to the loop indices `dims`: one value per result (an
/// affine.apply where the result is not a plain dimension). Unset entries of
/// `dims` stand for dimensions the results do not use.
llvm::SmallVector<mlir::Value> applyMap(mlir::OpBuilder &b, mlir::Location loc,
                                        mlir::AffineMap map,
                                        llvm::ArrayRef<mlir::Value> dims);

/// Clones `op`'s payload at the loop point `ivs`: inputs are loaded through
/// their indexing maps, `accs` stand for the output block arguments, and
/// linalg.index becomes the matching entry of `ivs`. Returns the yielded
/// values (stores are the caller's). `input`, where given, may supply an
/// input's value instead of the load (a recomputed producer).
llvm::SmallVector<mlir::Value>
clonePayload(mlir::OpBuilder &b, mlir::linalg::LinalgOp op, llvm::ArrayRef<mlir::Value> ivs,
             mlir::ValueRange accs,
             llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::OpOperand &)> input = {});

/// Maps a contraction on buffers to a warp-level tensor-core kernel
/// (TensorCores.cpp), fusing the fill that initializes its output and the
/// elementwise op that consumes it where that is safe. Fails, changing
/// nothing, when the op is not a contraction tensor cores can take.
mlir::LogicalResult mapToTensorCores(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op,
                                     const KernelCallback &onKernel);

/// Fuses each row-wise computation of `func` (softmax, layer norm, RMS norm:
/// runs of consecutive structured ops over one row space with at least one
/// reduction along the row) into one kernel with a block per row
/// (RowKernels.cpp). `threads` is the block size, 0 to choose it from the
/// row length. Returns the number of kernels formed.
int64_t mapRowKernels(mlir::RewriterBase &rewriter, mlir::func::FuncOp func,
                      int64_t threads, const KernelCallback &onKernel);

/// Arithmetic ops of `op`'s payload times its iteration points (0 for ops
/// that are not structured).
int64_t opFlops(mlir::Operation *op);

/// Bytes `op` would move as a kernel of its own: each buffer it reads, read
/// whole, and each it writes, written whole.
int64_t unfusedBytes(mlir::Operation *op);

/// The cost of a kernel that replaces `replaced`: {flops, bytes (every
/// buffer its body reads or writes, once whole each way), ops, tensor_cores}
/// (KernelCost.cpp).
mlir::DictionaryAttr kernelCost(mlir::gpu::LaunchOp launch,
                                llvm::ArrayRef<mlir::Operation *> replaced);

} // namespace mp::gpu_detail

#endif // MP_LIB_CONVERSION_GPU_KERNELS_H
