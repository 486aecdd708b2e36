//===- VerifyHost.cpp - nothing computes on the host ----------------------===//
//
// mp-gpu-verify-host runs after mp-gpu-map-kernels: outside GPU kernels a
// host function may only allocate and describe buffers, materialize
// constants and index arithmetic, launch kernels, call other functions and
// return. Any other op (a loop over data, a load, float arithmetic, an
// assertion) would run on the host while the data lives on the device, so
// each one is an error at its location. Stock MLIR's GPU mapping leaves such
// ops behind silently.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mp {
#define GEN_PASS_DEF_MPGPUVERIFYHOST
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

bool allowedOnHost(Operation *op) {
  if (isa<gpu::LaunchOp, gpu::LaunchFuncOp, gpu::MemcpyOp, gpu::MemsetOp, gpu::AllocOp,
          gpu::DeallocOp, gpu::WaitOp, func::ReturnOp, func::CallOp>(op))
    return true;
  // Buffers and views: no element is read or written.
  if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp, memref::GetGlobalOp,
          memref::ExpandShapeOp, memref::CollapseShapeOp, memref::SubViewOp,
          memref::CastOp, memref::ReinterpretCastOp, memref::ExtractStridedMetadataOp,
          memref::DimOp>(op))
    return true;
  if (isa<arith::ConstantOp>(op))
    return true;
  // Index arithmetic (sizes, offsets) is host work.
  if (op->getDialect() && isa<arith::ArithDialect>(op->getDialect()) &&
      llvm::all_of(op->getResultTypes(), [](Type t) { return t.isIndex(); }))
    return true;
  return false;
}

struct MPGPUVerifyHostPass : mp::impl::MPGPUVerifyHostBase<MPGPUVerifyHostPass> {
  void runOnOperation() override {
    bool failed = false;
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (op == func)
          return WalkResult::advance();
        if (isa<gpu::LaunchOp>(op))
          return WalkResult::skip();
        if (!allowedOnHost(op)) {
          op->emitError() << "'" << op->getName()
                          << "' is left on the host: every op that touches model "
                             "data must become a GPU kernel";
          failed = true;
          return WalkResult::skip();
        }
        return WalkResult::advance();
      });
    }
    if (failed)
      signalPassFailure();
  }
};

} // namespace
