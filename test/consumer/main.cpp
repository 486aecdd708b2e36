//===- main.cpp - consumer of an installed mp ------------------------------===//
//
// Parses IR with an mp.cast, runs mp-lower-to-arith through a PassManager and
// prints the result: a program outside the mp tree linking MP::Dialect and
// MP::Conversion; and uses the runtime libraries (MP::RuntimeHost metrics,
// MP::RuntimeCuda status names).
//
//===----------------------------------------------------------------------===//

#include "mp/Conversion/Passes.h"
#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mp/Runtime/Cuda.h"
#include "mp/Runtime/Metrics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

int main() {
  mlir::DialectRegistry registry;
  registry.insert<mp::MPDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::linalg::LinalgDialect,
                  mlir::tensor::TensorDialect>();
  mlir::MLIRContext context(registry);
  const char *source = R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf16> {
      %0 = mp.cast %x saturate : tensor<4xf32> to tensor<4xf16>
      return %0 : tensor<4xf16>
    })mlir";
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  pm.addPass(mp::createMPLowerToArith());
  if (mlir::failed(pm.run(*module)))
    return 2;
  module->print(llvm::outs());
  mp::runtime::ErrorMetrics metrics =
      mp::runtime::compareOutputs({1.0, 2.0}, {1.0, 2.5}, mp::runtime::UlpFormat());
  if (metrics.maxAbsError != 0.5)
    return 3;
  llvm::outs() << "\nruntime: " << mpcuStatusName(MPCU_NO_DRIVER) << "\n";
  llvm::outs() << "consumer: ok\n";
  return 0;
}
