//===- TensorCores.cpp - contractions as warp-level mma kernels -----------===//
//
// A contraction on buffers (named matmul / batch_matmul or any generic whose
// payload is `out + extf(a) * extf(b)` with f16/bf16 `a`, `b` and an f32
// accumulator, in any layout the indexing maps describe) becomes a kernel
// written at warp level:
//
//  * the innermost m, n and k dimensions are tiled 16 x 8 x 16 (m16n8k16);
//    four warps per block, each owning (16*wm) x (8*wn) of the output;
//  * the other parallel dimensions (batch, further m/n) index grid.z; the
//    other reduction dimensions are loops around the k loop, in the op's
//    order (the order the loops of the op itself would use);
//  * operand tiles are `vector.transfer_read`s whose permutation maps carry
//    the layout (transposed operands included): A as 16x16 (m, k), B as 8x16
//    (n, k), followed by the casts the payload applies (an f32 activation
//    rounded to bf16 in the kernel's prologue);
//  * `vector.contract` accumulates into 16x8 f32 tiles carried by the loops.
//
// Two neighbours are fused when it is safe: the fill (or the copy of a filled
// buffer) that initializes the output becomes the accumulators' initial value,
// and the elementwise generic that consumes the output (bias, activation,
// residual, the cast to the storage type) is applied to the accumulator tiles
// before they are stored, so the f32 result never goes to memory on its own.
//
// mp-gpu-lower-warp-mma then distributes the tiles over lanes.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using namespace mp::gpu_detail;

namespace {

bool touches(Operation *op, Value root) {
  return llvm::any_of(op->getOperands(), [&](Value operand) {
    return isa<MemRefType>(operand.getType()) && rootBuffer(operand) == root;
  });
}

/// An mma operand: payload input `input`, then `casts` (in order) give the
/// f16/bf16 value the payload widens to f32 before multiplying.
struct Operand {
  unsigned input;
  SmallVector<Operation *> casts;
};

FailureOr<Operand> traceOperand(Value v, linalg::LinalgOp op, Type &mmaType,
                                unsigned &opsSeen) {
  auto widen = v.getDefiningOp<arith::ExtFOp>();
  if (!widen || !widen.getType().isF32())
    return failure();
  ++opsSeen;
  Value current = widen.getIn();
  Type type = current.getType();
  if (!(type.isF16() || type.isBF16()) || (mmaType && mmaType != type))
    return failure();
  mmaType = type;
  SmallVector<Operation *> casts;
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(current)) {
      if (arg.getOwner() != op.getBlock() || arg.getArgNumber() >= op.getNumDpsInputs())
        return failure();
      std::reverse(casts.begin(), casts.end());
      return Operand{arg.getArgNumber(), casts};
    }
    Operation *def = current.getDefiningOp();
    if (!def || !isa<arith::ExtFOp, arith::TruncFOp>(def) ||
        def->getBlock() != op.getBlock() || !def->hasOneUse())
      return failure();
    casts.push_back(def);
    ++opsSeen;
    current = def->getOperand(0);
  }
}

struct Plan {
  unsigned mT, nT, kT;
  SmallVector<unsigned> gridDims, outerK;
  SmallVector<int64_t> ranges;
  Operand a, b;
  Type mmaType;
  // Fusion.
  Operation *initOp = nullptr; // fill or copy to erase
  std::optional<double> init;  // accumulators' initial value
  linalg::GenericOp epilogue;
  bool writeOutput = true; // the contraction's own output is still read
};

FailureOr<Plan> matchContraction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.hasDynamicShape())
    return failure();
  if (!llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return failure();
  FailureOr<linalg::ContractionDimensions> dims = linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return failure();
  if (!getElementTypeOrSelf(op.getDpsInits()[0].getType()).isF32())
    return failure();

  // Payload: out + extf(a) * extf(b), nothing else.
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return failure();
  Value outArg = body->getArgument(op.getNumDpsInputs());
  Value product = add.getLhs() == outArg ? add.getRhs() : add.getLhs();
  if ((add.getLhs() != outArg && add.getRhs() != outArg) || !product.hasOneUse())
    return failure();
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return failure();
  Plan plan;
  unsigned opsSeen = 2;
  FailureOr<Operand> x = traceOperand(mul.getLhs(), op, plan.mmaType, opsSeen);
  FailureOr<Operand> y = traceOperand(mul.getRhs(), op, plan.mmaType, opsSeen);
  if (failed(x) || failed(y) || x->input == y->input ||
      opsSeen != llvm::range_size(body->without_terminator()))
    return failure();

  plan.mT = dims->m.back();
  plan.nT = dims->n.back();
  plan.kT = dims->k.back();
  AffineMap xMap = op.getIndexingMapsArray()[x->input];
  bool xIsA = xMap.isFunctionOfDim(plan.mT);
  plan.a = xIsA ? *x : *y;
  plan.b = xIsA ? *y : *x;
  plan.ranges = op.getStaticLoopRanges();
  if (plan.ranges[plan.mT] % 16 || plan.ranges[plan.nT] % 8 || plan.ranges[plan.kT] % 16)
    return failure();
  for (unsigned d : dims->batch)
    plan.gridDims.push_back(d);
  for (unsigned d : ArrayRef<unsigned>(dims->m).drop_back())
    plan.gridDims.push_back(d);
  for (unsigned d : ArrayRef<unsigned>(dims->n).drop_back())
    plan.gridDims.push_back(d);
  llvm::sort(plan.gridDims);
  plan.outerK.assign(dims->k.begin(), dims->k.end() - 1);
  int64_t gridZ = 1;
  for (unsigned d : plan.gridDims)
    gridZ *= plan.ranges[d];
  if (gridZ > 65535)
    return failure();
  return plan;
}

/// The float constant a fill writes, if `op` is a fill of a constant.
std::optional<double> filledConstant(Operation *op, Value &target) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op);
  if (!fill || !fill.hasPureBufferSemantics())
    return std::nullopt;
  FloatAttr value;
  if (!matchPattern(fill.getInputs()[0], m_Constant(&value)))
    return std::nullopt;
  target = fill.getOutputs()[0];
  return value.getValueAsDouble();
}

/// The last op before `op` in its block that touches `root`.
Operation *lastToucherBefore(Operation *op, Value root) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode())
    if (touches(prev, root))
      return prev;
  return nullptr;
}

/// Fill fusion: the output's initial contents are a constant written by the
/// last op that touched it (a fill of exactly this buffer, or a copy from a
/// buffer such a fill wrote).
void matchInit(linalg::LinalgOp op, Plan &plan) {
  Value c = op.getDpsInits()[0];
  Operation *last = lastToucherBefore(op, rootBuffer(c));
  Value target;
  if (std::optional<double> value = filledConstant(last, target); value && target == c) {
    plan.initOp = last;
    plan.init = value;
    return;
  }
  auto copy = dyn_cast_or_null<memref::CopyOp>(last);
  if (!copy || copy.getTarget() != c)
    return;
  Operation *filler = lastToucherBefore(copy, rootBuffer(copy.getSource()));
  if (std::optional<double> value = filledConstant(filler, target);
      value && target == copy.getSource()) {
    plan.initOp = copy;
    plan.init = value;
  }
}

/// Buffers (roots) an op may read and may write; ops other than linalg
/// count as reading and writing every buffer they name.
void rootsOf(Operation *op, DenseSet<Value> &reads, DenseSet<Value> &writes) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    Value root = rootBuffer(operand.get());
    if (!linalgOp || !linalgOp.isDpsInput(&operand))
      writes.insert(root);
    if (!linalgOp || linalgOp.isDpsInput(&operand) ||
        linalgOp.payloadUsesValueFromOperand(&operand))
      reads.insert(root);
  }
  op->walk([&](Operation *nested) {
    if (nested != op)
      for (Value operand : nested->getOperands())
        if (isa<MemRefType>(operand.getType())) {
          reads.insert(rootBuffer(operand));
          writes.insert(rootBuffer(operand));
        }
  });
}

/// Epilogue fusion: the first later op that reads the output is an
/// elementwise generic reading it at the element its iteration point names
/// (a permutation: bias-add-and-transpose into the attention heads' layout
/// qualifies), and the ops in between neither touch what it reads nor what
/// it writes, so it can run before them, in the kernel.
void matchEpilogue(linalg::LinalgOp op, Plan &plan) {
  Value c = op.getDpsInits()[0];
  Value cRootForSearch = rootBuffer(c);
  SmallVector<Operation *> between;
  Operation *next = op->getNextNode();
  for (; next; next = next->getNextNode()) {
    if (touches(next, cRootForSearch))
      break;
    between.push_back(next);
  }
  auto generic = dyn_cast_or_null<linalg::GenericOp>(next);
  if (!generic || !generic.hasPureBufferSemantics() || generic.getNumDpsInits() != 1 ||
      generic.getNumReductionLoops() != 0 || generic.hasDynamicShape())
    return;
  auto out = generic.getDpsInitOperand(0);
  AffineMap outMap = generic.getMatchingIndexingMap(out);
  if (!outMap.isPermutation())
    return;
  OpOperand *fromC = nullptr;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    if (input->get() == c && generic.getMatchingIndexingMap(input).isPermutation())
      fromC = input;
    else if (!isa<MemRefType>(input->get().getType()) ||
             !generic.getMatchingIndexingMap(input).isProjectedPermutation())
      return;
  }
  if (!fromC)
    return;
  {
    DenseSet<Value> needed, written;
    for (OpOperand &operand : generic->getOpOperands())
      if (isa<MemRefType>(operand.get().getType()))
        needed.insert(rootBuffer(operand.get()));
    Value outRootE = rootBuffer(out->get());
    for (Operation *mid : between) {
      DenseSet<Value> reads, writes;
      rootsOf(mid, reads, writes);
      for (Value root : writes)
        if (needed.contains(root))
          return;
      if (reads.contains(outRootE))
        return;
    }
  }
  // Written in place over the contraction's output: only at the element it
  // reads (warps may still read their tiles of the output otherwise).
  if (rootBuffer(out->get()) == rootBuffer(c) &&
      (out->get() != c || outMap != generic.getMatchingIndexingMap(fromC)))
    return;
  // Other inputs must not view the output (another warp may not have
  // written it yet), and an input the epilogue overwrites must be read at the
  // element it writes.
  Value cRoot = rootBuffer(c);
  for (OpOperand *input : generic.getDpsInputOperands()) {
    if (input == fromC)
      continue;
    if (rootBuffer(input->get()) == cRoot)
      return;
    if (rootBuffer(input->get()) == rootBuffer(out->get()) &&
        (input->get() != out->get() || generic.getMatchingIndexingMap(input) != outMap))
      return;
  }
  // The kernel reads A and B while it writes: the epilogue's output must not
  // alias them.
  Value outRoot = rootBuffer(out->get());
  for (OpOperand *input : op.getDpsInputOperands())
    if (rootBuffer(input->get()) == outRoot)
      return;
  // Payload ops must have a tile form: elementwise arith/math only.
  for (Operation &inner : generic.getBlock()->without_terminator())
    if (!OpTrait::hasElementwiseMappableTraits(&inner) || inner.getNumRegions() != 0)
      return;
  // The kernel replaces the contraction, so the epilogue's operands must be
  // available there: buffers allocated in between (operand-free allocs) and
  // constants move up; anything else defined in between stops the fusion.
  SmallVector<Operation *> toHoist;
  for (Value operand : generic->getOperands()) {
    Operation *def = operand.getDefiningOp();
    if (!def || def->getBlock() != op->getBlock() || def->isBeforeInBlock(op))
      continue;
    if (!(isa<memref::AllocOp>(def) || isa<arith::ConstantOp>(def)) || def->getNumOperands())
      return;
    toHoist.push_back(def);
  }
  for (Operation *def : toHoist)
    def->moveBefore(op);
  plan.epilogue = generic;
  // The f32 result need not be stored when nothing else reads the buffer.
  if (auto alloc = c.getDefiningOp<memref::AllocOp>()) {
    plan.writeOutput = !llvm::all_of(c.getUsers(), [&](Operation *user) {
      return user == op || user == generic || user == plan.initOp ||
             isa<memref::DeallocOp>(user);
    });
  }
  if (outRoot == rootBuffer(c))
    plan.writeOutput = false; // the epilogue writes in place
}

/// Indices of an operand at the op's iteration point `ivs`.
SmallVector<Value> indicesAt(AffineMap map, ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults())
    indices.push_back(ivs[cast<AffineDimExpr>(expr).getPosition()]);
  return indices;
}

/// Where a tile lives: a buffer (a rank-reduced subview when the operand has
/// dimensions besides the tile's), the tile's origin in it, and the
/// permutation map that places the tile's rows and columns. Transfer maps
/// that skip buffer dimensions are avoided: upstream's permutation-map
/// lowering does not terminate on some of them (CPU emulation path).
struct TileAccess {
  Value buffer;
  SmallVector<Value> indices;
  AffineMap perm;
};

TileAccess tileAccess(OpBuilder &b, Location loc, Value memref, AffineMap map,
                      ArrayRef<unsigned> tileDims, ArrayRef<Value> ivs) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<Value> full = indicesAt(map, ivs);
  SmallVector<std::optional<unsigned>> tilePos;
  SmallVector<bool> kept(type.getRank(), false);
  for (unsigned d : tileDims) {
    tilePos.push_back(map.getResultPosition(getAffineDimExpr(d, ctx)));
    if (tilePos.back())
      kept[*tilePos.back()] = true;
  }
  TileAccess access;
  if (llvm::all_of(kept, [](bool k) { return k; })) {
    access.buffer = memref;
    access.indices = full;
    SmallVector<AffineExpr> results;
    for (auto pos : tilePos)
      results.push_back(pos ? getAffineDimExpr(*pos, ctx) : getAffineConstantExpr(0, ctx));
    access.perm = AffineMap::get(type.getRank(), 0, results, ctx);
    return access;
  }
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SmallVector<int64_t> shape;
  SmallVector<unsigned> newPos(type.getRank(), 0);
  for (int64_t j = 0; j < type.getRank(); ++j) {
    strides.push_back(b.getIndexAttr(1));
    if (kept[j]) {
      newPos[j] = shape.size();
      shape.push_back(type.getDimSize(j));
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(type.getDimSize(j)));
      access.indices.push_back(full[j]);
    } else {
      offsets.push_back(full[j]);
      sizes.push_back(b.getIndexAttr(1));
    }
  }
  auto viewType = memref::SubViewOp::inferRankReducedResultType(shape, type, offsets, sizes,
                                                                strides);
  access.buffer = memref::SubViewOp::create(b, loc, cast<MemRefType>(viewType), memref,
                                            offsets, sizes, strides);
  SmallVector<AffineExpr> results;
  for (auto pos : tilePos)
    results.push_back(pos ? getAffineDimExpr(newPos[*pos], ctx) : getAffineConstantExpr(0, ctx));
  access.perm = AffineMap::get(shape.size(), 0, results, ctx);
  return access;
}

Value tileRead(OpBuilder &b, Location loc, Value memref, AffineMap map,
               ArrayRef<unsigned> tileDims, ArrayRef<int64_t> shape, ArrayRef<Value> ivs) {
  Type elementType = getElementTypeOrSelf(memref.getType());
  auto type = VectorType::get(shape, elementType);
  Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  TileAccess access = tileAccess(b, loc, memref, map, tileDims, ivs);
  SmallVector<bool> inBounds(shape.size(), true);
  return vector::TransferReadOp::create(b, loc, type, access.buffer, access.indices, pad,
                                        AffineMapAttr::get(access.perm),
                                        b.getBoolArrayAttr(inBounds));
}

void tileWrite(OpBuilder &b, Location loc, Value tile, Value memref, AffineMap map,
               ArrayRef<unsigned> tileDims, ArrayRef<Value> ivs) {
  TileAccess access = tileAccess(b, loc, memref, map, tileDims, ivs);
  vector::TransferWriteOp::create(b, loc, tile, access.buffer, access.indices,
                                  AffineMapAttr::get(access.perm),
                                  b.getBoolArrayAttr({true, true}));
}

/// The payload casts of an operand, applied to its tile.
Value applyCasts(OpBuilder &b, Location loc, Value tile, ArrayRef<Operation *> casts) {
  for (Operation *castOp : casts) {
    auto type = VectorType::get(cast<VectorType>(tile.getType()).getShape(),
                                castOp->getResult(0).getType());
    OperationState state(loc, castOp->getName(), ValueRange{tile}, TypeRange{type},
                         castOp->getAttrs());
    tile = b.create(state)->getResult(0);
  }
  return tile;
}

/// The epilogue's payload on 16x8 tiles: block arguments are tiles (the
/// accumulator for the contraction's output), ops are cloned with vector
/// types, scalars from outside are broadcast.
Value applyEpilogue(OpBuilder &b, Location loc, linalg::GenericOp epilogue,
                    ArrayRef<Value> argTiles) {
  Block *body = epilogue.getBlock();
  IRMapping mapping;
  for (auto [arg, tile] : llvm::zip(body->getArguments(), argTiles))
    if (tile)
      mapping.map(arg, tile);
  auto tileOf = [&](Type scalar) { return VectorType::get({16, 8}, scalar); };
  for (Operation &inner : body->without_terminator()) {
    SmallVector<Value> operands;
    for (Value operand : inner.getOperands()) {
      if (Value mapped = mapping.lookupOrNull(operand)) {
        operands.push_back(mapped);
        continue;
      }
      operands.push_back(vector::BroadcastOp::create(b, loc, tileOf(operand.getType()), operand));
    }
    SmallVector<Type> types;
    for (Type t : inner.getResultTypes())
      types.push_back(tileOf(t));
    OperationState state(loc, inner.getName(), operands, types, inner.getAttrs());
    Operation *clone = b.create(state);
    mapping.map(inner.getResults(), clone->getResults());
  }
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  return mapping.lookup(yield.getValues()[0]);
}

int64_t largestDividing(int64_t n, ArrayRef<int64_t> choices) {
  for (int64_t c : choices)
    if (n % c == 0)
      return c;
  return 1;
}

void buildKernel(RewriterBase &rewriter, linalg::LinalgOp op, const Plan &plan,
                 const KernelCallback &onKernel) {
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Value aBuf = op.getDpsInputs()[plan.a.input], bBuf = op.getDpsInputs()[plan.b.input];
  Value cBuf = op.getDpsInits()[0];
  AffineMap aMap = maps[plan.a.input], bMap = maps[plan.b.input], cMap = maps.back();
  int64_t m = plan.ranges[plan.mT], n = plan.ranges[plan.nT];

  int64_t wm = largestDividing(m / 16, {2, 1});
  int64_t wn = largestDividing(n / 8, {4, 2, 1});
  int64_t warpM = 16 * wm, warpN = 8 * wn;
  int64_t blockM = 2 * warpM, blockN = 2 * warpN;
  int64_t gridZ = 1;
  for (unsigned d : plan.gridDims)
    gridZ *= plan.ranges[d];

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  gpu::LaunchOp launch = createLaunch(rewriter, loc, llvm::divideCeil(n, blockN),
                                      llvm::divideCeil(m, blockM), gridZ, 128);
  launch->setAttr(mp::MPDialect::getWarpSynchronousAttrName(), rewriter.getUnitAttr());
  auto c = [&](int64_t v) { return index(rewriter, loc, v); };
  Value tx = launch.getThreadIds().x;
  Value warp = arith::DivUIOp::create(rewriter, loc, tx, c(32));
  Value warpRow = arith::DivUIOp::create(rewriter, loc, warp, c(2));
  Value warpCol = arith::RemUIOp::create(rewriter, loc, warp, c(2));
  auto origin = [&](Value blockId, int64_t blockSize, Value warpId, int64_t warpSize) {
    return arith::AddIOp::create(
        rewriter, loc, arith::MulIOp::create(rewriter, loc, blockId, c(blockSize)),
        arith::MulIOp::create(rewriter, loc, warpId, c(warpSize)));
  };
  Value m0 = origin(launch.getBlockIds().y, blockM, warpRow, warpM);
  Value n0 = origin(launch.getBlockIds().x, blockN, warpCol, warpN);
  Value inRange = arith::AndIOp::create(
      rewriter, loc, arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult, m0, c(m)),
      arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult, n0, c(n)));
  auto ifOp = scf::IfOp::create(rewriter, loc, inRange, /*withElse=*/false);
  rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());

  // The iteration point: grid.z delinearized over the other parallel dims.
  SmallVector<Value> ivs(plan.ranges.size());
  Value rest = launch.getBlockIds().z;
  for (unsigned d : llvm::reverse(plan.gridDims)) {
    ivs[d] = arith::RemUIOp::create(rewriter, loc, rest, c(plan.ranges[d]));
    rest = arith::DivUIOp::create(rewriter, loc, rest, c(plan.ranges[d]));
  }
  auto plus = [&](OpBuilder &b, Value v, int64_t off) -> Value {
    return off ? arith::AddIOp::create(b, loc, v, index(b, loc, off)).getResult() : v;
  };
  auto accType = VectorType::get({16, 8}, rewriter.getF32Type());

  // Accumulators: the fused fill's constant, or the output's contents.
  SmallVector<Value> accs;
  for (int64_t i = 0; i < wm; ++i)
    for (int64_t j = 0; j < wn; ++j) {
      if (plan.init) {
        accs.push_back(arith::ConstantOp::create(
            rewriter, loc, DenseElementsAttr::get(accType, rewriter.getF32FloatAttr(*plan.init))));
        continue;
      }
      ivs[plan.mT] = plus(rewriter, m0, 16 * i);
      ivs[plan.nT] = plus(rewriter, n0, 8 * j);
      accs.push_back(tileRead(rewriter, loc, cBuf, cMap, {plan.mT, plan.nT}, {16, 8}, ivs));
    }

  auto contractMaps = rewriter.getAffineMapArrayAttr(
      {AffineMap::get(3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(2, ctx)}, ctx),
       AffineMap::get(3, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(2, ctx)}, ctx),
       AffineMap::get(3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx)});
  auto kinds = rewriter.getArrayAttr(
      {vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
       vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
       vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction)});

  // Reduction loops: the other k dims (outermost first), then k by 16.
  std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)> loops =
      [&](OpBuilder &b, unsigned level, ValueRange current) -> SmallVector<Value> {
    bool inner = level == plan.outerK.size();
    unsigned d = inner ? plan.kT : plan.outerK[level];
    auto loop = scf::ForOp::create(
        b, loc, index(b, loc, 0), index(b, loc, plan.ranges[d]), index(b, loc, inner ? 16 : 1),
        current, [&](OpBuilder &nb, Location, Value iv, ValueRange iterArgs) {
          ivs[d] = iv;
          if (!inner) {
            scf::YieldOp::create(nb, loc, loops(nb, level + 1, iterArgs));
            return;
          }
          SmallVector<Value> aTiles, bTiles;
          for (int64_t i = 0; i < wm; ++i) {
            ivs[plan.mT] = plus(nb, m0, 16 * i);
            Value tile = tileRead(nb, loc, aBuf, aMap, {plan.mT, plan.kT}, {16, 16}, ivs);
            aTiles.push_back(applyCasts(nb, loc, tile, plan.a.casts));
          }
          for (int64_t j = 0; j < wn; ++j) {
            ivs[plan.nT] = plus(nb, n0, 8 * j);
            Value tile = tileRead(nb, loc, bBuf, bMap, {plan.nT, plan.kT}, {8, 16}, ivs);
            bTiles.push_back(applyCasts(nb, loc, tile, plan.b.casts));
          }
          SmallVector<Value> next;
          for (int64_t i = 0; i < wm; ++i)
            for (int64_t j = 0; j < wn; ++j)
              next.push_back(vector::ContractionOp::create(nb, loc, aTiles[i], bTiles[j],
                                                           iterArgs[i * wn + j], contractMaps,
                                                           kinds, vector::CombiningKind::ADD));
          scf::YieldOp::create(nb, loc, next);
        });
    return SmallVector<Value>(loop.getResults());
  };
  SmallVector<Value> results = loops(rewriter, 0, accs);

  // Store: the epilogue's result and/or the accumulators.
  for (int64_t i = 0; i < wm; ++i)
    for (int64_t j = 0; j < wn; ++j) {
      Value acc = results[i * wn + j];
      ivs[plan.mT] = plus(rewriter, m0, 16 * i);
      ivs[plan.nT] = plus(rewriter, n0, 8 * j);
      SmallVector<Value> cIndices = indicesAt(cMap, ivs);
      if (plan.writeOutput)
        tileWrite(rewriter, loc, acc, cBuf, cMap, {plan.mT, plan.nT}, ivs);
      if (!plan.epilogue)
        continue;
      // The epilogue's iteration point: its map of the output names, for
      // each dimension of the output buffer, the loop dimension that indexes
      // it (a permutation).
      linalg::GenericOp e = plan.epilogue;
      AffineMap fromCMap;
      for (OpOperand *input : e.getDpsInputOperands())
        if (input->get() == cBuf)
          fromCMap = e.getMatchingIndexingMap(input);
      SmallVector<Value> eIvs(e.getNumLoops());
      for (auto [k, index] : llvm::enumerate(cIndices))
        eIvs[cast<AffineDimExpr>(fromCMap.getResult(k)).getPosition()] = index;
      auto loopDimOf = [&](unsigned cDim) {
        unsigned k = *cMap.getResultPosition(getAffineDimExpr(cDim, ctx));
        return cast<AffineDimExpr>(fromCMap.getResult(k)).getPosition();
      };
      unsigned rowDim = loopDimOf(plan.mT), colDim = loopDimOf(plan.nT);
      SmallVector<Value> argTiles;
      for (OpOperand *input : e.getDpsInputOperands()) {
        if (input->get() == cBuf) {
          argTiles.push_back(acc);
          continue;
        }
        argTiles.push_back(tileRead(rewriter, loc, input->get(),
                                    e.getMatchingIndexingMap(input), {rowDim, colDim}, {16, 8},
                                    eIvs));
      }
      OpOperand *out = e.getDpsInitOperand(0);
      if (e.payloadUsesValueFromOperand(out))
        argTiles.push_back(tileRead(rewriter, loc, out->get(), e.getMatchingIndexingMap(out),
                                    {rowDim, colDim}, {16, 8}, eIvs));
      else
        argTiles.push_back(Value());
      Value result = applyEpilogue(rewriter, loc, e, argTiles);
      tileWrite(rewriter, loc, result, out->get(), e.getMatchingIndexingMap(out),
                {rowDim, colDim}, eIvs);
    }
  if (onKernel) {
    SmallVector<Operation *> replaced = {op};
    if (plan.initOp)
      replaced.push_back(plan.initOp);
    if (plan.epilogue)
      replaced.push_back(plan.epilogue);
    onKernel(launch, replaced);
  }
  if (plan.epilogue)
    rewriter.eraseOp(plan.epilogue);
  if (plan.initOp)
    rewriter.eraseOp(plan.initOp);
  rewriter.eraseOp(op);
}

} // namespace

LogicalResult mp::gpu_detail::mapToTensorCores(RewriterBase &rewriter, linalg::LinalgOp op,
                                               const KernelCallback &onKernel) {
  FailureOr<Plan> plan = matchContraction(op);
  if (failed(plan))
    return failure();
  matchInit(op, *plan);
  matchEpilogue(op, *plan);
  buildKernel(rewriter, op, *plan, onKernel);
  return success();
}
