//===- MPDialectPlugin.cpp - mp dialect as an mlir-opt plugin -------------===//

#include "mp/InitMP.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "MPDialect", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mp::registerMPDialect(*registry);
          }};
}
