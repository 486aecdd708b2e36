//===- Artifact.h - compiled model artifacts --------------------*- C++ -*-===//
//
// Turns the output of mp-lower-to-ptx (gpu.binary kernels and a host function
// of buffers, views and gpu.launch_func) into an artifact directory that the
// runtime runs without MLIR: the kernels, the weights in their stored formats
// (weights.bin), the host launch sequence as C source against the runtime's C
// API (model.c, compiled to libmodel.so by mp-compile), and manifest.json.
// The format is described in docs/Artifacts.md.
//
//===----------------------------------------------------------------------===//

#ifndef MP_TARGET_ARTIFACT_H
#define MP_TARGET_ARTIFACT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace mp {

struct ArtifactOptions {
  /// The directory to write (created if missing).
  std::string dir;
  /// The host function to compile; empty: the module's only public function.
  std::string entry;
  /// Recorded in the manifest's "compile" object (source, policy, chip, ...).
  llvm::json::Object compile;
};

/// Writes manifest.json, model.c, weights.bin, the kernels and the runtime
/// headers model.c includes (include/mp/Runtime/*.h) into `options.dir`.
/// Every host op that cannot be expressed against the runtime (dynamic
/// shapes, host computation, asynchronous tokens, kernel parameters that do
/// not match the PTX) is reported as an error at its location.
mlir::LogicalResult writeArtifact(mlir::ModuleOp module, const ArtifactOptions &options);

/// Compiles `dir`/model.c into `dir`/libmodel.so with the C compiler `cc`,
/// linking libmpRuntimeCuda from `runtimeLibDir` when not empty. `log`
/// receives the command and, on failure, the compiler's output.
mlir::LogicalResult compileArtifactLibrary(llvm::StringRef dir, llvm::StringRef cc,
                                           llvm::StringRef runtimeLibDir, std::string &log);

} // namespace mp

#endif // MP_TARGET_ARTIFACT_H
