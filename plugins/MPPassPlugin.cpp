//===- MPPassPlugin.cpp - mp passes and pipelines as an mlir-opt plugin ---===//

#include "mp/InitMP.h"

#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "MPPasses", LLVM_VERSION_STRING,
          []() { mp::registerMPPasses(); }};
}
