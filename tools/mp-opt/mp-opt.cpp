//===- mp-opt.cpp - mp's optimizer driver ----------------------------------===//
//
// mlir-opt with the mp dialect, passes and pipelines, and only the upstream
// dialects and passes that mp's pipelines use.
//
//===----------------------------------------------------------------------===//

#include "mp/InitMP.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mp::registerDialects(registry);
  mp::registerPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "mp optimizer driver: mixed-precision passes for MLIR\n",
      registry));
}
