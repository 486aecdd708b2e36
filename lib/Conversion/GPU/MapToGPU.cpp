//===- MapToGPU.cpp - every linalg op on buffers becomes a GPU kernel -----===//
//
// mp-gpu-map-kernels turns each structured op of a bufferized function into
// one `gpu.launch`:
//
//  * f16/bf16 matmuls and batch matmuls with f32 accumulators whose sizes are
//    multiples of the mma.sync tile (m16n8k16) become tensor-core kernels,
//    written at warp level: each warp reads whole 16x16 / 16x8 operand tiles
//    with `vector.transfer_read` and accumulates with `vector.contract` in
//    f32; mp-gpu-lower-warp-mma distributes that over the 32 lanes
//    (nvvm.mma.sync). Four warps per block, each owning a (16*wm) x (8*wn)
//    tile of the output.
//  * every other structured op (elementwise chains with their fused casts,
//    reductions, contractions that do not fit the tensor-core rule) becomes a
//    kernel with one thread per point of its parallel iteration space; the
//    reduction dimensions run as loops inside the thread, in the op's order,
//    with the accumulator in a register.
//  * memref.copy becomes a copy kernel.
//
// Ops are mapped in place and in order, so the host function is left with
// allocations, constants and launches only (mp-gpu-verify-host checks it).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "mp/Conversion/Passes.h"
#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mp {
#define GEN_PASS_DEF_MPGPUMAPKERNELS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;
using namespace mp::gpu_detail;

Value mp::gpu_detail::rootBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

Value mp::gpu_detail::index(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

gpu::LaunchOp mp::gpu_detail::createLaunch(OpBuilder &b, Location loc, int64_t gx,
                                           int64_t gy, int64_t gz, int64_t threads) {
  Value one = index(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, index(b, loc, gx), index(b, loc, gy),
                                      index(b, loc, gz), index(b, loc, threads), one,
                                      one);
  b.setInsertionPointToStart(&launch.getBody().front());
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&launch.getBody().front());
  return launch;
}

SmallVector<Value> mp::gpu_detail::applyMap(OpBuilder &b, Location loc, AffineMap map,
                                            ArrayRef<Value> dims) {
  SmallVector<Value> results;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      results.push_back(dims[dim.getPosition()]);
      continue;
    }
    // Dimensions not bound yet (reduction indices, before their loops) are
    // not used by `expr`: output maps read the parallel dimensions only.
    SmallVector<Value> operands(dims);
    for (Value &operand : operands)
      if (!operand)
        operand = index(b, loc, 0);
    results.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), operands));
  }
  return results;
}

SmallVector<Value>
mp::gpu_detail::clonePayload(OpBuilder &b, linalg::LinalgOp op, ArrayRef<Value> ivs,
                             ValueRange accs,
                             function_ref<Value(OpBuilder &, OpOperand &)> input) {
  Location loc = op.getLoc();
  Block *body = op.getBlock();
  unsigned numInputs = op.getNumDpsInputs();
  IRMapping mapping;
  for (OpOperand *operand : op.getDpsInputOperands()) {
    Value arg = body->getArgument(operand->getOperandNumber());
    if (arg.use_empty())
      continue;
    if (!isa<MemRefType>(operand->get().getType())) {
      mapping.map(arg, operand->get()); // a scalar operand
      continue;
    }
    if (input)
      if (Value supplied = input(b, *operand)) {
        mapping.map(arg, supplied);
        continue;
      }
    mapping.map(arg, memref::LoadOp::create(
                         b, loc, operand->get(),
                         applyMap(b, loc, op.getMatchingIndexingMap(operand), ivs)));
  }
  for (auto [i, value] : llvm::enumerate(accs))
    mapping.map(body->getArgument(numInputs + i), value);
  for (Operation &inner : body->without_terminator()) {
    if (auto indexOp = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(indexOp.getResult(), ivs[indexOp.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  SmallVector<Value> results;
  for (Value v : cast<linalg::YieldOp>(body->getTerminator()).getValues())
    results.push_back(mapping.lookupOrDefault(v));
  return results;
}

namespace {

//===----------------------------------------------------------------------===//
// One thread per parallel point
//===----------------------------------------------------------------------===//

LogicalResult mapPerPoint(RewriterBase &rewriter, linalg::LinalgOp op,
                          int64_t blockSize, const KernelCallback &onKernel) {
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return op.emitOpError("has dynamic sizes; the GPU lowering handles static "
                          "shapes only");
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> parallel, reduction;
  for (auto [d, kind] : llvm::enumerate(iterators))
    (kind == utils::IteratorType::parallel ? parallel : reduction).push_back(d);
  // Each thread owns the output elements of its point: every parallel
  // dimension must index every output, or two threads would write one element.
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (unsigned d : parallel)
      if (!map.isFunctionOfDim(d))
        return op.emitOpError("writes an output that does not depend on "
                              "parallel dimension ")
               << d << "; it cannot be mapped to one thread per point";
  }
  int64_t total = 1;
  for (unsigned d : parallel)
    total *= ranges[d];
  if (total == 0) { // nothing to compute
    rewriter.eraseOp(op);
    return success();
  }
  int64_t threads = std::min<int64_t>(blockSize, llvm::alignTo(total, 32));
  int64_t blocks = llvm::divideCeil(total, threads);

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  gpu::LaunchOp launch = createLaunch(rewriter, loc, blocks, 1, 1, threads);
  Value linear = arith::AddIOp::create(
      rewriter, loc,
      arith::MulIOp::create(rewriter, loc, launch.getBlockIds().x,
                            index(rewriter, loc, threads)),
      launch.getThreadIds().x);
  Value inRange = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                        linear, index(rewriter, loc, total));
  auto ifOp = scf::IfOp::create(rewriter, loc, inRange, /*withElse=*/false);
  rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());

  // Delinearize, the last parallel dimension fastest (coalesced accesses for
  // row-major outputs).
  SmallVector<Value> ivs(iterators.size());
  Value rest = linear;
  for (unsigned d : llvm::reverse(parallel)) {
    Value size = index(rewriter, loc, ranges[d]);
    ivs[d] = arith::RemUIOp::create(rewriter, loc, rest, size);
    rest = arith::DivUIOp::create(rewriter, loc, rest, size);
  }

  // Initial accumulators: the outputs' current values where the payload reads
  // them, otherwise a placeholder the payload never uses.
  // Output indices depend on the parallel dimensions only: computed once,
  // before the reduction loops, for the load and the store.
  SmallVector<SmallVector<Value>> outIndices;
  for (OpOperand &init : op.getDpsInitsMutable())
    outIndices.push_back(applyMap(rewriter, loc, op.getMatchingIndexingMap(&init), ivs));
  SmallVector<Value> accs;
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
    Type elementType = getElementTypeOrSelf(init.get().getType());
    if (op.payloadUsesValueFromOperand(&init) || !reduction.empty()) {
      accs.push_back(memref::LoadOp::create(rewriter, loc, init.get(), outIndices[i]));
    } else {
      accs.push_back(ub::PoisonOp::create(rewriter, loc, elementType));
    }
  }

  // The payload at the innermost point, given the accumulators.
  auto emitPayload = [&](OpBuilder &b, ValueRange current) -> SmallVector<Value> {
    return clonePayload(b, op, ivs, current);
  };

  // Reduction loops, outermost first, in the op's dimension order.
  std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)> build =
      [&](OpBuilder &b, unsigned level, ValueRange current) -> SmallVector<Value> {
    if (level == reduction.size())
      return emitPayload(b, current);
    unsigned d = reduction[level];
    auto loop = scf::ForOp::create(
        b, loc, index(b, loc, 0), index(b, loc, ranges[d]), index(b, loc, 1), current,
        [&](OpBuilder &nested, Location, Value iv, ValueRange iterArgs) {
          ivs[d] = iv;
          SmallVector<Value> next = build(nested, level + 1, iterArgs);
          scf::YieldOp::create(nested, loc, next);
        });
    return SmallVector<Value>(loop.getResults());
  };
  SmallVector<Value> results = build(rewriter, 0, accs);
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
    memref::StoreOp::create(rewriter, loc, results[i], init.get(), outIndices[i]);
  if (onKernel)
    onKernel(launch, {op.getOperation()});
  rewriter.eraseOp(op);
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct MPGPUMapKernelsPass
    : mp::impl::MPGPUMapKernelsBase<MPGPUMapKernelsPass> {
  using MPGPUMapKernelsBase::MPGPUMapKernelsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    bool failed = false;
    // Each kernel's cost, recorded as it is created.
    DenseMap<Operation *, DictionaryAttr> costs;
    KernelCallback record = [&](gpu::LaunchOp launch, ArrayRef<Operation *> replaced) {
      costs[launch] = kernelCost(launch, replaced);
    };
    // The baseline of the cost report: one kernel per op.
    int64_t unfused = 0, unfusedKernels = 0;
    for (Block &block : func.getBody())
      for (Operation &op : block)
        if (isa<linalg::LinalgOp, memref::CopyOp>(op)) {
          unfused += unfusedBytes(&op);
          ++unfusedKernels;
        }
    // Tensor cores first, in program order: they fuse the fill before and
    // the elementwise op after them, which must not be mapped on their own.
    if (tensorCores) {
      SmallVector<linalg::LinalgOp> contractions;
      for (Block &block : func.getBody())
        for (auto op : block.getOps<linalg::LinalgOp>())
          if (op.getNumReductionLoops() > 0)
            contractions.push_back(op);
      for (linalg::LinalgOp op : contractions)
        (void)mapToTensorCores(rewriter, op, record);
    }
    // Copies become identity generics, so row kernels can take those among
    // their ops (the copy of a fill into a reduction's accumulator).
    SmallVector<memref::CopyOp> copies;
    for (Block &block : func.getBody())
      for (auto copy : block.getOps<memref::CopyOp>())
        if (cast<MemRefType>(copy.getSource().getType()).hasStaticShape() &&
            cast<MemRefType>(copy.getTarget().getType()).hasStaticShape())
          copies.push_back(copy);
    for (memref::CopyOp copy : copies)
      copyToGeneric(rewriter, copy);
    // Row-wise computations (softmax, norms): one kernel, a block per row.
    if (rowKernels)
      mapRowKernels(rewriter, func, rowThreads, record);
    // Then every remaining op, one thread per point. Top-level ops only:
    // kernels are not nested in host control flow.
    DenseSet<Operation *> refused;
    while (true) {
      Operation *next = nullptr;
      for (Block &block : func.getBody()) {
        for (Operation &op : block)
          if (isa<linalg::LinalgOp, memref::CopyOp>(op) && !refused.contains(&op)) {
            next = &op;
            break;
          }
        if (next)
          break;
      }
      if (!next)
        break;
      LogicalResult mapped = success();
      if (auto copy = dyn_cast<memref::CopyOp>(next)) {
        mapped = mapCopy(rewriter, copy, record);
      } else {
        auto linalgOp = cast<linalg::LinalgOp>(next);
        if (!linalgOp.hasPureBufferSemantics())
          mapped = next->emitOpError(
              "is on tensors; mp-gpu-map-kernels runs after bufferization");
        else
          mapped = mapPerPoint(rewriter, linalgOp, blockSize, record);
      }
      if (mlir::failed(mapped)) {
        refused.insert(next);
        failed = true;
      }
    }
    if (failed)
      return signalPassFailure();
    // The costs in launch order, for mp-gpu-dump-kernels (the launches
    // become gpu.launch_func in place, in this order).
    SmallVector<Attribute> launchCosts;
    func.walk([&](gpu::LaunchOp launch) {
      DictionaryAttr cost = costs.lookup(launch);
      launchCosts.push_back(cost ? Attribute(cost) : DictionaryAttr::get(&getContext()));
    });
    if (launchCosts.empty())
      return;
    Builder b(&getContext());
    func->setAttr(MPDialect::getKernelCostsAttrName(),
                  b.getDictionaryAttr({
                      b.getNamedAttr("launches", b.getArrayAttr(launchCosts)),
                      b.getNamedAttr("unfused_bytes", b.getI64IntegerAttr(unfused)),
                      b.getNamedAttr("unfused_kernels", b.getI64IntegerAttr(unfusedKernels)),
                  }));
  }

  LogicalResult mapCopy(RewriterBase &rewriter, memref::CopyOp copy,
                        const KernelCallback &record) {
    auto source = cast<MemRefType>(copy.getSource().getType());
    if (!source.hasStaticShape())
      return copy.emitOpError("has dynamic sizes; the GPU lowering handles static "
                              "shapes only");
    return mapPerPoint(rewriter, copyToGeneric(rewriter, copy), blockSize, record);
  }

  /// A copy as the identity generic (the per-point mapping and the row
  /// kernels take it as any other op).
  static linalg::LinalgOp copyToGeneric(RewriterBase &rewriter, memref::CopyOp copy) {
    auto source = cast<MemRefType>(copy.getSource().getType());
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(copy);
    AffineMap identity = rewriter.getMultiDimIdentityMap(source.getRank());
    auto generic = linalg::GenericOp::create(
        rewriter, copy.getLoc(), ValueRange{copy.getSource()}, ValueRange{copy.getTarget()},
        ArrayRef<AffineMap>{identity, identity},
        SmallVector<utils::IteratorType>(source.getRank(), utils::IteratorType::parallel),
        [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, args[0]);
        });
    rewriter.eraseOp(copy);
    return cast<linalg::LinalgOp>(generic.getOperation());
  }
};

} // namespace
