//===- RowKernels.cpp - softmax and norms as one kernel, a block per row ---===//
//
// Softmax, layer norm and RMS norm reach the GPU mapping as several structured
// ops over one row space: fills and elementwise ops on each row's scalars
// (max, sum, mean, variance), reductions along the row, and elementwise ops
// over the rows. Mapped one op at a time they cost a launch each, and their
// reductions run one thread per row. Here each maximal run of consecutive
// such ops with at least one reduction becomes one kernel with one block per
// row:
//
//  * an elementwise op over the rows strides over the row with the block's
//    threads (thread t takes elements t, t + T, ...);
//  * a reduction along the row accumulates one partial per thread in the same
//    stride, then combines the partials with `gpu.all_reduce` (upstream's
//    lowering, run by mp-gpu-lower-all-reduce after outlining: shuffles
//    within each warp, then one warp over the warps' partials through shared
//    memory) and thread 0 folds the total into the output;
//  * an op on the rows' scalars runs on thread 0;
//  * a barrier separates consecutive ops.
//
// Fusing is safe when no block reads what another block writes: every buffer
// the run writes must be accessed, by every op of the run, through the same
// value and the same row-local indexing (the row's dimensions in order,
// possibly with unit dimensions between them). A run stops before the first
// op that breaks this, and before any op that is not a member or cannot move
// (allocations and constants between members move before the kernel,
// deallocations after it).
//
// The reduction order changes from sequential to per-thread strides and a
// tree; with one thread per block (the CPU emulation) it is the sequential
// order again, starting from the combiner's identity.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace mp;
using namespace mp::gpu_detail;

namespace {

/// The rows: the sizes of the row dimensions (unit dimensions dropped), and
/// the length of the row.
struct RowSpace {
  SmallVector<int64_t> rows;
  int64_t length = 0;
  int64_t rank() const { return rows.size(); }
};

/// What a loop dimension of a run's op is: row dimension k (0 <= k <
/// rank), the position along the row (rank), or a unit dimension (-1).
using LoopRoles = SmallVector<int64_t>;

enum class RowOpKind { Scalar, Elementwise, Reduction };

struct RowMember {
  linalg::LinalgOp op;
  RowOpKind kind;
  LoopRoles roles;
  /// Reductions: the payload's combining op (`acc <op> f(inputs)`) and its
  /// kind for gpu.all_reduce.
  Operation *combiner = nullptr;
  gpu::AllReduceOperation combineKind = gpu::AllReduceOperation::ADD;
};

/// An access in row terms: per memref dimension, the role of the loop
/// dimension it reads (-1 for a constant 0 or a unit dimension). Row-local
/// when the row dimensions appear in order, possibly followed by the
/// position along the row: then the element belongs to one row.
std::optional<SmallVector<int64_t>> rowAccess(AffineMap map, ArrayRef<int64_t> roles,
                                              int64_t rank) {
  SmallVector<int64_t> access;
  int64_t next = 0;
  for (AffineExpr expr : map.getResults()) {
    int64_t role;
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      role = roles[dim.getPosition()];
    } else if (auto constant = dyn_cast<AffineConstantExpr>(expr);
               constant && constant.getValue() == 0) {
      role = -1;
    } else {
      return std::nullopt;
    }
    if (role >= 0) {
      if (role != next || next > rank)
        return std::nullopt;
      ++next;
    }
    access.push_back(role);
  }
  if (next < rank)
    return std::nullopt; // does not name the row
  return access;
}

/// Whether a row-local access includes the position along the row.
bool alongRow(ArrayRef<int64_t> access, int64_t rank) {
  return llvm::is_contained(access, rank);
}

/// The combining op of a single-output reduction payload of the form
/// `acc <op> f(inputs)`, with an f32 (or i32 for addi) accumulator.
std::optional<std::pair<Operation *, gpu::AllReduceOperation>>
reductionCombiner(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1)
    return std::nullopt;
  Block *body = op.getBlock();
  BlockArgument acc = body->getArgument(op.getNumDpsInputs());
  if (!acc.hasOneUse())
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  Operation *def = yield.getValues()[0].getDefiningOp();
  if (!def || def != *acc.getUsers().begin() || def->getNumOperands() != 2 ||
      def->getNumResults() != 1 || def->getOperand(0) == def->getOperand(1))
    return std::nullopt;
  Type type = acc.getType();
  using Kind = gpu::AllReduceOperation;
  std::optional<Kind> kind;
  if (type.isF32()) {
    kind = llvm::TypeSwitch<Operation *, std::optional<Kind>>(def)
               .Case<arith::AddFOp>([](auto) { return Kind::ADD; })
               .Case<arith::MulFOp>([](auto) { return Kind::MUL; })
               .Case<arith::MaximumFOp>([](auto) { return Kind::MAXIMUMF; })
               .Case<arith::MinimumFOp>([](auto) { return Kind::MINIMUMF; })
               .Case<arith::MaxNumFOp>([](auto) { return Kind::MAXNUMF; })
               .Case<arith::MinNumFOp>([](auto) { return Kind::MINNUMF; })
               .Default([](Operation *) { return std::nullopt; });
  } else if (type.isInteger(32) && isa<arith::AddIOp>(def)) {
    kind = Kind::ADD;
  }
  if (!kind)
    return std::nullopt;
  // Fast-math flags could let the combination be reassociated differently
  // from what the tree does; take plain ops only.
  if (auto fastmath = dyn_cast<arith::ArithFastMathInterface>(def))
    if (fastmath.getFastMathFlagsAttr().getValue() != arith::FastMathFlags::none)
      return std::nullopt;
  return std::make_pair(def, *kind);
}

/// The identity of a combining kind, as a constant of `type`.
Value combinerIdentity(OpBuilder &b, Location loc, gpu::AllReduceOperation kind,
                       Type type) {
  using Kind = gpu::AllReduceOperation;
  if (isa<IntegerType>(type))
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, 0));
  double value = 0;
  switch (kind) {
  case Kind::ADD:
    value = -0.0; // -0 + x == x for every x, +0 included
    break;
  case Kind::MUL:
    value = 1.0;
    break;
  case Kind::MAXIMUMF:
  case Kind::MAXNUMF:
    value = -std::numeric_limits<double>::infinity();
    break;
  default:
    value = std::numeric_limits<double>::infinity();
    break;
  }
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

/// The space a reduction along its last loop dimension defines, with all
/// other dimensions parallel and static sizes.
std::optional<RowSpace> reductionSpace(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() != 1)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.back() != utils::IteratorType::reduction)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  // The row must be the innermost dimension of what the reduction reads, so
  // that the block's threads read consecutive elements. A matmul's B operand
  // is read down its columns: contractions stay with the other mappings.
  unsigned r = ranges.size() - 1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (!isa<MemRefType>(input->get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isFunctionOfDim(r))
      continue;
    ArrayRef<AffineExpr> results = map.getResults();
    if (results.back() != getAffineDimExpr(r, op.getContext()) ||
        llvm::any_of(results.drop_back(), [&](AffineExpr e) { return e.isFunctionOfDim(r); }))
      return std::nullopt;
  }
  RowSpace space;
  for (int64_t size : ArrayRef(ranges).drop_back())
    if (size != 1)
      space.rows.push_back(size);
  space.length = ranges.back();
  if (space.length <= 1)
    return std::nullopt;
  return space;
}

/// How `op` runs inside a row kernel over `space`, if it can: its loop
/// dimensions must be the row dimensions in order (unit dimensions anywhere),
/// possibly followed by the row itself as the last dimension.
std::optional<RowMember> classify(linalg::LinalgOp op, const RowSpace &space) {
  if (!op.hasPureBufferSemantics())
    return std::nullopt;
  for (Value operand : op->getOperands())
    if (auto type = dyn_cast<MemRefType>(operand.getType()); type && !type.hasStaticShape())
      return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t rank = space.rank();
  LoopRoles roles;
  int64_t next = 0;
  for (auto [d, size] : llvm::enumerate(ranges)) {
    bool parallel = iterators[d] == utils::IteratorType::parallel;
    if (next < rank && parallel && size == space.rows[next]) {
      roles.push_back(next++);
    } else if (size == 1 && parallel) {
      roles.push_back(-1);
    } else if (next == rank && d + 1 == ranges.size() && size == space.length) {
      roles.push_back(rank);
      ++next;
    } else {
      return std::nullopt;
    }
  }
  if (next < rank)
    return std::nullopt;
  RowMember member{op, RowOpKind::Scalar, roles};
  if (next > rank)
    member.kind = iterators.back() == utils::IteratorType::parallel ? RowOpKind::Elementwise
                                                                  : RowOpKind::Reduction;
  // Each output element belongs to one row, and to one position along it
  // where the op runs along the row in parallel.
  for (OpOperand &init : op.getDpsInitsMutable()) {
    std::optional<SmallVector<int64_t>> access =
        rowAccess(op.getMatchingIndexingMap(&init), roles, rank);
    if (!access || alongRow(*access, rank) != (member.kind == RowOpKind::Elementwise))
      return std::nullopt;
  }
  if (member.kind == RowOpKind::Reduction) {
    auto combiner = reductionCombiner(op);
    if (!combiner)
      return std::nullopt;
    member.combiner = combiner->first;
    member.combineKind = combiner->second;
  }
  return member;
}

/// One access of a run's op to a buffer.
struct BufferAccess {
  Value value;
  std::optional<SmallVector<int64_t>> access;
  bool write;
};

/// The run's accesses by buffer; `accept` adds an op's if the run stays
/// free of races between blocks.
struct RunAccesses {
  llvm::MapVector<Value, SmallVector<BufferAccess>> byRoot;

  bool accept(const RowMember &member, int64_t rank) {
    linalg::LinalgOp op = member.op;
    llvm::MapVector<Value, SmallVector<BufferAccess>> merged = byRoot;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<MemRefType>(operand.get().getType()))
        continue;
      bool write = op.isDpsInit(&operand);
      merged[rootBuffer(operand.get())].push_back(
          {operand.get(), rowAccess(op.getMatchingIndexingMap(&operand), member.roles, rank),
           write});
    }
    for (auto &[root, accesses] : merged) {
      if (llvm::none_of(accesses, [](const BufferAccess &a) { return a.write; }))
        continue;
      const BufferAccess &first = accesses.front();
      for (const BufferAccess &a : accesses)
        if (a.value != first.value || !a.access || !first.access || *a.access != *first.access)
          return false;
    }
    byRoot = std::move(merged);
    return true;
  }
};

/// Host ops that may sit between a run's ops: they move before the kernel
/// (allocations, constants) or after it (deallocations).
enum class Movable { No, Before, After };
Movable movable(Operation *op) {
  if (auto alloc = dyn_cast<memref::AllocOp>(op))
    return alloc->getNumOperands() == 0 ? Movable::Before : Movable::No;
  if (isa<arith::ConstantOp, memref::GetGlobalOp>(op))
    return Movable::Before;
  if (isa<memref::DeallocOp>(op))
    return Movable::After;
  return Movable::No;
}

struct Run {
  RowSpace space;
  SmallVector<RowMember> members;
  SmallVector<Operation *> before, after;
};

/// The longest run starting at `ops[begin]` over `space`; ends at `*end`.
Run buildRun(ArrayRef<Operation *> ops, size_t begin, const RowSpace &space, size_t *end) {
  Run run;
  run.space = space;
  RunAccesses accesses;
  SmallVector<Operation *> pendingBefore, pendingAfter;
  size_t i = begin;
  for (; i < ops.size(); ++i) {
    Operation *op = ops[i];
    Movable move = movable(op);
    if (move == Movable::Before) {
      pendingBefore.push_back(op);
      continue;
    }
    if (move == Movable::After) {
      pendingAfter.push_back(op);
      continue;
    }
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp)
      break;
    std::optional<RowMember> member = classify(linalgOp, space);
    if (!member || !accesses.accept(*member, space.rank()))
      break;
    run.members.push_back(*member);
    run.before.append(pendingBefore);
    run.after.append(pendingAfter);
    pendingBefore.clear();
    pendingAfter.clear();
  }
  *end = i;
  return run;
}

/// The loop indices of `member` in the block of row `rowIvs`, at position
/// `r` along the row (null where the caller's maps do not read it).
SmallVector<Value> memberIvs(OpBuilder &b, const RowMember &member, ArrayRef<Value> rowIvs,
                             Value r) {
  SmallVector<Value> ivs;
  for (int64_t role : member.roles) {
    if (role < 0)
      ivs.push_back(index(b, member.op->getLoc(), 0));
    else if (role < static_cast<int64_t>(rowIvs.size()))
      ivs.push_back(rowIvs[role]);
    else
      ivs.push_back(r);
  }
  return ivs;
}

using InputHook = function_ref<Value(OpBuilder &, OpOperand &)>;

/// Stores what `op`'s payload yields at `ivs` (no reduction left).
void emitPoint(OpBuilder &b, linalg::LinalgOp op, ArrayRef<Value> ivs, InputHook input = {}) {
  Location loc = op.getLoc();
  SmallVector<SmallVector<Value>> outIndices;
  SmallVector<Value> accs;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    outIndices.push_back(applyMap(b, loc, op.getMatchingIndexingMap(&init), ivs));
    if (op.payloadUsesValueFromOperand(&init))
      accs.push_back(memref::LoadOp::create(b, loc, init.get(), outIndices.back()));
    else
      accs.push_back(ub::PoisonOp::create(b, loc, getElementTypeOrSelf(init.get().getType())));
  }
  SmallVector<Value> results = clonePayload(b, op, ivs, accs, input);
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
    memref::StoreOp::create(b, loc, results[i], init.get(), outIndices[i]);
}

/// The elementwise ops of a run whose output only later ops of the run read
/// (a buffer allocated for it, read at the element of the row it was written
/// at, the op's own inputs not written again by the run): they are not
/// emitted, their readers recompute the value instead (softmax's
/// exponentials never reach memory). Maps each such buffer to its op.
DenseMap<Value, unsigned> recomputable(Run &run, int64_t rank) {
  DenseMap<Value, unsigned> result;
  for (auto [i, member] : llvm::enumerate(run.members)) {
    linalg::LinalgOp op = member.op;
    if (member.kind != RowOpKind::Elementwise || op.getNumDpsInits() != 1)
      continue;
    OpOperand &init = op.getDpsInitsMutable()[0];
    Value buffer = init.get();
    if (!buffer.getDefiningOp<memref::AllocOp>() || op.payloadUsesValueFromOperand(&init))
      continue;
    // Read by ops before the run too (the buffer held the producer's input):
    // fine; read after it: not.
    std::optional<SmallVector<int64_t>> written =
        rowAccess(op.getMatchingIndexingMap(&init), member.roles, rank);
    bool ok = written.has_value();
    bool read = false;
    Operation *first = run.members.front().op;
    for (OpOperand &use : buffer.getUses()) {
      Operation *user = use.getOwner();
      if (isa<memref::DeallocOp>(user))
        continue;
      if (user == op.getOperation()) {
        // Written in place: read at the element it writes, so the buffer
        // still holds that input when the op is not run.
        if (op.isDpsInput(&use) &&
            rowAccess(op.getMatchingIndexingMap(&use), member.roles, rank) != written)
          ok = false;
        continue;
      }
      RowMember *other = llvm::find_if(run.members, [&](RowMember &m) {
        return m.op.getOperation() == user;
      });
      if (other == run.members.end()) {
        // Outside the run: only before it (the buffer is dead after); a
        // kernel already mapped uses it from inside its body.
        Operation *top = first->getBlock()->findAncestorOpInBlock(*user);
        if (!top || !top->isBeforeInBlock(first))
          ok = false;
        continue;
      }
      if (other - run.members.begin() < (ptrdiff_t)i)
        continue; // an earlier op of the run
      if (!other->op.isDpsInput(&use) ||
          rowAccess(other->op.getMatchingIndexingMap(&use), other->roles, rank) != written) {
        ok = false;
        break;
      }
      read = true;
    }
    // What it reads must keep its value until the last reader, except the
    // row's scalars (a max, a mean), which are captured in registers where
    // the op stood (`captures`).
    for (RowMember &other : MutableArrayRef(run.members).drop_front(i + 1))
      for (OpOperand &otherInit : other.op.getDpsInitsMutable())
        for (OpOperand *in : op.getDpsInputOperands()) {
          if (rootBuffer(in->get()) != rootBuffer(otherInit.get()))
            continue;
          std::optional<SmallVector<int64_t>> access =
              rowAccess(op.getMatchingIndexingMap(in), member.roles, rank);
          if (!access || alongRow(*access, rank))
            ok = false;
        }
    if (ok && read)
      result[buffer] = i;
  }
  return result;
}

void emitRun(RewriterBase &rewriter, Run &run, int64_t threads, const KernelCallback &onKernel) {
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<Location> locs;
  for (RowMember &m : run.members)
    locs.push_back(m.op.getLoc());
  Location loc = FusedLoc::get(ctx, locs);
  Operation *first = run.members.front().op;
  for (Operation *op : run.before)
    op->moveBefore(first);

  const RowSpace &space = run.space;
  int64_t numRows = 1;
  for (int64_t size : space.rows)
    numRows *= size;
  if (threads <= 0)
    threads = std::clamp<int64_t>(llvm::alignTo(space.length, 32), 32, 256);

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(first);
  gpu::LaunchOp launch = createLaunch(rewriter, loc, numRows, 1, 1, threads);
  // The row of this block, the last row dimension fastest.
  SmallVector<Value> rowIvs(space.rows.size());
  Value rest = launch.getBlockIds().x;
  for (int64_t d = space.rows.size() - 1; d >= 0; --d) {
    Value size = index(rewriter, loc, space.rows[d]);
    rowIvs[d] = arith::RemUIOp::create(rewriter, loc, rest, size);
    rest = arith::DivUIOp::create(rewriter, loc, rest, size);
  }
  Value tid = launch.getThreadIds().x;
  Value isFirst = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, tid,
                                        index(rewriter, loc, 0));
  Value length = index(rewriter, loc, space.length);
  Value step = index(rewriter, loc, threads);

  DenseMap<Value, unsigned> recomputed = recomputable(run, space.rank());
  // Row scalars a recomputed op reads, loaded by every thread where the op
  // stood (a later op of the run overwrites their buffer).
  DenseMap<OpOperand *, Value> captured;
  // The value of a recomputed buffer at position `r` of the row: its
  // producer's payload, inputs recomputed in turn.
  // Only buffers of ops before `limit` (the reader's position) are
  // recomputed: an op written in place reads its buffer's earlier contents.
  std::function<Value(OpBuilder &, OpOperand &, Value, unsigned)> recompute =
      [&](OpBuilder &b, OpOperand &operand, Value r, unsigned limit) -> Value {
    if (Value value = captured.lookup(&operand))
      return value;
    auto it = recomputed.find(operand.get());
    if (it == recomputed.end() || it->second >= limit)
      return Value();
    RowMember &producer = run.members[it->second];
    SmallVector<Value> accs = {
        ub::PoisonOp::create(b, producer.op->getLoc(),
                             getElementTypeOrSelf(operand.get().getType()))};
    unsigned at = it->second;
    return clonePayload(b, producer.op, memberIvs(b, producer, rowIvs, r), accs,
                        [&](OpBuilder &nb, OpOperand &inner) {
                          return recompute(nb, inner, r, at);
                        })[0];
  };
  // Capture, in order, the row scalars of recomputed ops that a later op
  // writes; a barrier after the loads keeps the writer from overtaking them.
  auto capture = [&](unsigned i) -> bool {
    RowMember &member = run.members[i];
    bool any = false;
    for (OpOperand *in : member.op.getDpsInputOperands()) {
      if (!isa<MemRefType>(in->get().getType()))
        continue;
      bool overwritten = false;
      for (RowMember &other : MutableArrayRef(run.members).drop_front(i + 1))
        for (OpOperand &otherInit : other.op.getDpsInitsMutable())
          overwritten |= rootBuffer(in->get()) == rootBuffer(otherInit.get());
      if (!overwritten)
        continue;
      SmallVector<Value> ivs = memberIvs(rewriter, member, rowIvs, Value());
      captured[in] = memref::LoadOp::create(
          rewriter, member.op->getLoc(), in->get(),
          applyMap(rewriter, member.op->getLoc(), member.op.getMatchingIndexingMap(in), ivs));
      any = true;
    }
    return any;
  };
  DenseSet<unsigned> skipped;
  for (auto &entry : recomputed)
    skipped.insert(entry.second);
  SmallVector<unsigned> emitted;
  for (unsigned i = 0; i < run.members.size(); ++i)
    if (!skipped.contains(i))
      emitted.push_back(i);

  unsigned nextMember = 0;
  for (auto [position, i] : llvm::enumerate(emitted)) {
    // The recomputed ops that stood before this one capture their inputs.
    bool capturedAny = false;
    for (; nextMember < i; ++nextMember)
      if (skipped.contains(nextMember))
        capturedAny |= capture(nextMember);
    nextMember = i + 1;
    if (capturedAny)
      gpu::BarrierOp::create(rewriter, run.members[i].op->getLoc());
    RowMember &member = run.members[i];
    linalg::LinalgOp op = member.op;
    Location opLoc = op.getLoc();
    switch (member.kind) {
    case RowOpKind::Scalar: {
      auto ifOp = scf::IfOp::create(rewriter, opLoc, isFirst, /*withElse=*/false);
      OpBuilder::InsertionGuard inner(rewriter);
      rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());
      emitPoint(rewriter, op, memberIvs(rewriter, member, rowIvs, Value()));
      break;
    }
    case RowOpKind::Elementwise: {
      scf::ForOp::create(rewriter, opLoc, tid, length, step, ValueRange{},
                         [&](OpBuilder &b, Location, Value r, ValueRange) {
                           emitPoint(b, op, memberIvs(b, member, rowIvs, r),
                                     [&](OpBuilder &nb, OpOperand &operand) {
                                       return recompute(nb, operand, r, i);
                                     });
                           scf::YieldOp::create(b, opLoc);
                         });
      break;
    }
    case RowOpKind::Reduction: {
      OpOperand &init = op.getDpsInitsMutable()[0];
      Type accType = getElementTypeOrSelf(init.get().getType());
      Value identity = combinerIdentity(rewriter, opLoc, member.combineKind, accType);
      auto loop = scf::ForOp::create(
          rewriter, opLoc, tid, length, step, ValueRange{identity},
          [&](OpBuilder &b, Location, Value r, ValueRange iterArgs) {
            SmallVector<Value> next =
                clonePayload(b, op, memberIvs(b, member, rowIvs, r), iterArgs,
                             [&](OpBuilder &nb, OpOperand &operand) {
                               return recompute(nb, operand, r, i);
                             });
            scf::YieldOp::create(b, opLoc, next);
          });
      Value total = gpu::AllReduceOp::create(
          rewriter, opLoc, loop.getResult(0),
          gpu::AllReduceOperationAttr::get(ctx, member.combineKind), /*uniform=*/true);
      auto ifOp = scf::IfOp::create(rewriter, opLoc, isFirst, /*withElse=*/false);
      OpBuilder::InsertionGuard inner(rewriter);
      rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());
      SmallVector<Value> ivs = memberIvs(rewriter, member, rowIvs, Value());
      SmallVector<Value> outIndex =
          applyMap(rewriter, opLoc, op.getMatchingIndexingMap(&init), ivs);
      Value old = memref::LoadOp::create(rewriter, opLoc, init.get(), outIndex);
      // The payload's own combining op, the output's old value in the
      // accumulator's place.
      Block *body = op.getBlock();
      IRMapping mapping;
      for (Value operand : member.combiner->getOperands())
        mapping.map(operand, operand == body->getArgument(op.getNumDpsInputs()) ? old : total);
      Value combined = rewriter.clone(*member.combiner, mapping)->getResult(0);
      memref::StoreOp::create(rewriter, opLoc, combined, init.get(), outIndex);
      break;
    }
    }
    if (position + 1 < emitted.size())
      gpu::BarrierOp::create(rewriter, opLoc);
  }

  for (Operation *op : run.after)
    op->moveAfter(launch);
  if (onKernel) {
    SmallVector<Operation *> replaced;
    for (RowMember &member : run.members)
      replaced.push_back(member.op);
    onKernel(launch, replaced);
  }
  for (RowMember &member : run.members)
    rewriter.eraseOp(member.op);
  // Recomputed buffers no op uses any more need no allocation.
  for (auto &[buffer, i] : recomputed) {
    if (!llvm::all_of(buffer.getUsers(),
                      [](Operation *user) { return isa<memref::DeallocOp>(user); }))
      continue;
    for (Operation *user : llvm::make_early_inc_range(buffer.getUsers()))
      rewriter.eraseOp(user);
    rewriter.eraseOp(buffer.getDefiningOp());
  }
}

} // namespace

int64_t mp::gpu_detail::mapRowKernels(RewriterBase &rewriter, func::FuncOp func,
                                      int64_t threads, const KernelCallback &onKernel) {
  int64_t formed = 0;
  for (Block &block : func.getBody()) {
    SmallVector<Operation *> ops;
    for (Operation &op : block)
      ops.push_back(&op);
    // Ops before `floor` may belong to a run already emitted (erased).
    size_t floor = 0;
    for (size_t i = 0; i < ops.size(); ++i) {
      auto reduction = dyn_cast<linalg::LinalgOp>(ops[i]);
      if (!reduction)
        continue;
      std::optional<RowSpace> space = reductionSpace(reduction);
      if (!space || !classify(reduction, *space))
        continue;
      // Extend back over the members just before the reduction (the fills
      // and elementwise ops that feed it), then forward as far as it goes.
      size_t begin = i;
      for (size_t j = i; j-- > floor;) {
        if (movable(ops[j]) != Movable::No)
          continue;
        auto linalgOp = dyn_cast<linalg::LinalgOp>(ops[j]);
        if (!linalgOp || !classify(linalgOp, *space))
          break;
        begin = j;
      }
      // A conflict among the earlier ops may stop the run short of the
      // reduction: start later.
      Run run;
      size_t end = i;
      for (size_t start = begin; start <= i; ++start) {
        if (movable(ops[start]) != Movable::No)
          continue;
        run = buildRun(ops, start, *space, &end);
        if (end > i)
          break;
      }
      if (end <= i)
        continue;
      emitRun(rewriter, run, threads, onKernel);
      ++formed;
      floor = end;
      i = end - 1;
    }
  }
  return formed;
}
