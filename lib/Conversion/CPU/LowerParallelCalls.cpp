//===- LowerParallelCalls.cpp - parallel-loop calls to the thread pool ----===//
//
// See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"
#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mp {
#define GEN_PASS_DEF_MPLOWERPARALLELCALLS
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

using namespace mlir;
using namespace mp;

namespace {

constexpr llvm::StringLiteral kParallelFor = "mp_parallel_for";

struct MPLowerParallelCallsPass
    : mp::impl::MPLowerParallelCallsBase<MPLowerParallelCallsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp call) {
      auto callee = call.getCallee();
      if (!callee)
        return;
      auto func = symbols.lookup<LLVM::LLVMFuncOp>(*callee);
      if (func && func->hasAttr(MPDialect::getParallelBodyAttrName()))
        calls.push_back(call);
    });
    if (calls.empty())
      return;

    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto voidType = LLVM::LLVMVoidType::get(ctx);
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    auto runtime = symbols.lookup<LLVM::LLVMFuncOp>(kParallelFor);
    if (!runtime) {
      runtime = LLVM::LLVMFuncOp::create(
          b, module.getLoc(), kParallelFor,
          LLVM::LLVMFunctionType::get(voidType, {ptr, ptr, i64, i64}));
      symbols.insert(runtime);
    }

    llvm::DenseMap<Operation *, LLVM::LLVMFuncOp> tasks;
    for (LLVM::CallOp call : calls) {
      auto body = symbols.lookup<LLVM::LLVMFuncOp>(*call.getCallee());
      unsigned numOperands = call.getArgOperands().size();
      if (numOperands < 2 || call.getArgOperands()[numOperands - 2].getType() != i64 ||
          call.getArgOperands()[numOperands - 1].getType() != i64) {
        call.emitError("call of an mp.parallel_body function must end with "
                       "the iteration range (two i64)");
        return signalPassFailure();
      }
      ValueRange captured = call.getArgOperands().drop_back(2);
      auto frame = LLVM::LLVMStructType::getLiteral(
          ctx, llvm::to_vector(captured.getTypes()));

      LLVM::LLVMFuncOp &task = tasks[body];
      if (!task) {
        // <body>_task(ptr frame, i64 begin, i64 end): unpack and call.
        b.setInsertionPointAfter(body);
        task = LLVM::LLVMFuncOp::create(
            b, body.getLoc(), (body.getSymName() + "_task").str(),
            LLVM::LLVMFunctionType::get(voidType, {ptr, i64, i64}),
            LLVM::Linkage::Internal);
        symbols.insert(task);
        Block *entry = task.addEntryBlock(b);
        b.setInsertionPointToStart(entry);
        SmallVector<Value> arguments;
        for (auto [i, type] : llvm::enumerate(captured.getTypes())) {
          Value field = LLVM::GEPOp::create(
              b, body.getLoc(), ptr, frame, entry->getArgument(0),
              ArrayRef<LLVM::GEPArg>{0, int32_t(i)});
          arguments.push_back(LLVM::LoadOp::create(b, body.getLoc(), type, field));
        }
        arguments.push_back(entry->getArgument(1));
        arguments.push_back(entry->getArgument(2));
        LLVM::CallOp::create(b, body.getLoc(), body, arguments);
        LLVM::ReturnOp::create(b, body.getLoc(), ValueRange());
      }

      // At the call: the frame on the stack (allocated once, in the entry
      // block), filled, and handed to the pool.
      Location loc = call.getLoc();
      auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
      b.setInsertionPointToStart(&caller.getBody().front());
      Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
      Value slot = LLVM::AllocaOp::create(b, loc, ptr, frame, one);
      b.setInsertionPoint(call);
      for (auto [i, value] : llvm::enumerate(captured)) {
        Value field = LLVM::GEPOp::create(b, loc, ptr, frame, slot,
                                          ArrayRef<LLVM::GEPArg>{0, int32_t(i)});
        LLVM::StoreOp::create(b, loc, value, field);
      }
      Value taskAddress = LLVM::AddressOfOp::create(b, loc, task);
      unsigned n = call.getArgOperands().size();
      LLVM::CallOp::create(b, loc, runtime,
                           ValueRange{taskAddress, slot, call.getArgOperands()[n - 2],
                                      call.getArgOperands()[n - 1]});
      call.erase();
    }
  }
};

} // namespace
