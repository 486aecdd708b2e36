//===- KernelCost.cpp - static cost of the mapped kernels -----------------===//
//
// What mp-gpu-map-kernels records per kernel, for the cost report that
// mp-gpu-dump-kernels writes into kernels.json:
//
//  * flops: the floating-point and integer arithmetic of the ops the kernel
//    replaces, one per arith/math op of each payload (casts and constants
//    excluded) at every point of the op's iteration space: 2*M*N*K for a
//    matmul, plus its epilogue;
//  * bytes: the minimum global traffic of the kernel as written: every
//    buffer its body reads, read once whole, plus every buffer it writes,
//    written once whole (an intermediate row buffer a row kernel writes and
//    reads again counts twice; the f32 accumulator a tensor-core kernel does
//    not store counts zero);
//  * the unfused baseline: the same, one kernel per op.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/CastInterfaces.h"

using namespace mlir;
using namespace mp;
using namespace mp::gpu_detail;

namespace {

int64_t bufferBytes(Value buffer) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || !type.hasStaticShape())
    return 0;
  unsigned bits = type.getElementTypeBitWidth();
  return (type.getNumElements() * bits + 7) / 8;
}

} // namespace

int64_t mp::gpu_detail::opFlops(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp)
    return 0;
  int64_t points = 1;
  for (int64_t range : linalgOp.getStaticLoopRanges())
    points *= ShapedType::isDynamic(range) ? 0 : range;
  int64_t perPoint = 0;
  for (Operation &inner : linalgOp.getBlock()->without_terminator()) {
    StringRef dialect = inner.getDialect() ? inner.getDialect()->getNamespace() : "";
    if ((dialect == "arith" || dialect == "math") && !isa<CastOpInterface>(inner) &&
        !isa<arith::ConstantOp>(inner))
      ++perPoint;
  }
  return points * perPoint;
}

int64_t mp::gpu_detail::unfusedBytes(Operation *op) {
  DenseSet<Value> read, written;
  if (auto copy = dyn_cast<memref::CopyOp>(op)) {
    return bufferBytes(copy.getSource()) + bufferBytes(copy.getTarget());
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp)
    return 0;
  int64_t bytes = 0;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (linalgOp.isDpsInput(&operand)) {
      if (read.insert(operand.get()).second)
        bytes += bufferBytes(operand.get());
      continue;
    }
    if (written.insert(operand.get()).second)
      bytes += bufferBytes(operand.get());
    if (linalgOp.payloadUsesValueFromOperand(&operand) && read.insert(operand.get()).second)
      bytes += bufferBytes(operand.get());
  }
  return bytes;
}

DictionaryAttr mp::gpu_detail::kernelCost(gpu::LaunchOp launch, ArrayRef<Operation *> replaced) {
  MLIRContext *ctx = launch.getContext();
  int64_t flops = 0;
  for (Operation *op : replaced)
    flops += opFlops(op);
  // Buffers from outside the kernel that its body reads and writes.
  llvm::SetVector<Value> read, written;
  launch.getBody().walk([&](Operation *op) {
    auto note = [&](Value buffer, bool write) {
      Value root = rootBuffer(buffer);
      if (launch.getBody().isAncestor(root.getParentRegion()))
        return; // workgroup memory or a view made inside
      (write ? written : read).insert(root);
    };
    if (auto load = dyn_cast<memref::LoadOp>(op))
      note(load.getMemRef(), false);
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      note(store.getMemRef(), true);
    else if (auto transfer = dyn_cast<vector::TransferReadOp>(op))
      note(transfer.getBase(), false);
    else if (auto transfer = dyn_cast<vector::TransferWriteOp>(op))
      note(transfer.getBase(), true);
  });
  int64_t bytes = 0;
  for (Value buffer : read)
    bytes += bufferBytes(buffer);
  for (Value buffer : written)
    bytes += bufferBytes(buffer);
  Builder b(ctx);
  return b.getDictionaryAttr({
      b.getNamedAttr("flops", b.getI64IntegerAttr(flops)),
      b.getNamedAttr("bytes", b.getI64IntegerAttr(bytes)),
      b.getNamedAttr("ops", b.getI64IntegerAttr(replaced.size())),
      b.getNamedAttr("tensor_cores",
                     b.getBoolAttr(launch->hasAttr("mp.warp_synchronous"))),
  });
}
