//===- OutlineParallelLoops.cpp - parallel loops as range functions -------===//
//
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"
#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Dialect/MP/Utils/Outlining.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mp {
#define GEN_PASS_DEF_MPOUTLINEPARALLELLOOPS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

/// The dimension threads split: the outermost one with a constant trip count
/// above one, else the outermost.
unsigned splitDimension(scf::ParallelOp op) {
  for (auto [dim, bounds] : llvm::enumerate(
           llvm::zip(op.getLowerBound(), op.getUpperBound(), op.getStep()))) {
    auto [lb, ub, step] = bounds;
    std::optional<int64_t> l = getConstantIntValue(lb), u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0 || (*u - *l + *s - 1) / *s > 1)
      return dim;
  }
  return 0;
}

struct MPOutlineParallelLoopsPass
    : mp::impl::MPOutlineParallelLoopsBase<MPOutlineParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      if (func.isExternal() || func->hasAttr(MPDialect::getParallelBodyAttrName()))
        continue;
      // Every parallel loop inside no other loop (also one under an scf.if):
      // mp-select-parallel-loops kept exactly these.
      SmallVector<scf::ParallelOp> loops;
      func.walk([&](scf::ParallelOp loop) {
        if (loop.getNumResults() == 0 && !loop->getParentOfType<LoopLikeOpInterface>())
          loops.push_back(loop);
      });
      unsigned counter = 0;
      for (scf::ParallelOp loop : loops)
        outline(func, loop, counter++, symbols);
    }
  }

  void outline(func::FuncOp func, scf::ParallelOp loop, unsigned index,
               SymbolTable &symbols) {
    Location loc = loop.getLoc();
    SmallVector<Value> arguments;
    SmallVector<Operation *> cloned;
    collectOutlinedInputs(loop, arguments, cloned);

    OpBuilder b(func);
    b.setInsertionPointAfter(func);
    SmallVector<Type> types(ValueRange(arguments).getTypes());
    types.append(2, b.getIndexType());
    std::string name = (func.getSymName() + "_par" + Twine(index)).str();
    auto body = func::FuncOp::create(b, loc, name, b.getFunctionType(types, {}));
    body.setPrivate();
    body->setAttr(MPDialect::getParallelBodyAttrName(), b.getUnitAttr());
    body->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
    symbols.insert(body); // uniquifies the name if it is taken
    Block *entry = body.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping map;
    for (auto [v, arg] : llvm::zip(arguments, entry->getArguments()))
      map.map(v, arg);
    for (Operation *op : cloned)
      b.clone(*op, map);
    Value begin = entry->getArgument(arguments.size());
    Value end = entry->getArgument(arguments.size() + 1);
    auto copy = cast<scf::ParallelOp>(b.clone(*loop, map));
    // Iterations [begin, end) of dimension `dim`: lb + i * step for i in
    // the range (lb + end * step may pass ub only when end is the trip
    // count, and then no iteration beyond ub exists).
    unsigned dim = splitDimension(loop);
    Value lb = copy.getLowerBound()[dim], step = copy.getStep()[dim];
    b.setInsertionPoint(copy);
    Value from = arith::AddIOp::create(b, loc, lb, arith::MulIOp::create(b, loc, begin, step));
    Value to = arith::AddIOp::create(b, loc, lb, arith::MulIOp::create(b, loc, end, step));
    Value ub = copy.getUpperBound()[dim];
    to = arith::MinSIOp::create(b, loc, to, ub);
    copy.getLowerBoundMutable().slice(dim, 1).assign(from);
    copy.getUpperBoundMutable().slice(dim, 1).assign(to);
    b.setInsertionPointToEnd(entry);
    func::ReturnOp::create(b, loc);

    // The call runs every iteration: [0, ceil((ub - lb) / step)).
    b.setInsertionPoint(loop);
    Value l = loop.getLowerBound()[dim], u = loop.getUpperBound()[dim],
          s = loop.getStep()[dim];
    Value trips = arith::CeilDivSIOp::create(b, loc, arith::SubIOp::create(b, loc, u, l), s);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    SmallVector<Value> operands(arguments);
    operands.push_back(zero);
    operands.push_back(trips);
    func::CallOp::create(b, loc, body, operands);
    loop.erase();
  }
};

} // namespace
