//===- Runner.h - JIT-compile and run a tensor function on the CPU -*- C++ -*-===//

#ifndef MP_TOOLS_MPRUN_RUNNER_H
#define MP_TOOLS_MPRUN_RUNNER_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mp {

/// A host tensor in the element type's native storage (f16/bf16 as 16-bit
/// patterns, fp8 as bytes), C order.
struct HostTensor {
  mlir::Type elementType;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  static HostTensor zeros(mlir::Type elementType, llvm::ArrayRef<int64_t> shape);
  int64_t numElements() const;
  size_t elementSize() const;
  double get(int64_t index) const;
  /// Stores `value` rounded to nearest even (saturating for integers).
  void set(int64_t index, double value);
  std::vector<double> toDoubles() const;
};

/// Storage size in bytes of one element of `type`, or 0 if unsupported.
size_t storageSize(mlir::Type type);

/// The tensor type a function boundary value stands for: ranked tensors as
/// they are, and memrefs with the identity layout (IR that is already
/// bufferized, such as mp-gpu-emulate's output, has the same calling
/// convention) as the tensor of the same shape; null otherwise.
mlir::RankedTensorType asBoundaryTensorType(mlir::Type type);

/// A large constant global whose bytes are copied in after JIT compilation:
/// `raw` is its storage in the context (one element when `splat`).
struct ExternalConstant {
  std::string symbol;
  llvm::ArrayRef<char> raw;
  size_t elementBytes = 0;
  int64_t count = 0;
  bool splat = false;
};

/// A function compiled for the CPU with mp-cpu-lowering and the MLIR
/// ExecutionEngine.
class CompiledFunction {
public:
  /// Takes `module` (already transformed as wanted), lowers it and JITs it.
  /// Errors are reported as diagnostics on the module's context.
  static mlir::FailureOr<std::unique_ptr<CompiledFunction>>
  compile(mlir::OwningOpRef<mlir::ModuleOp> module, llvm::StringRef entry,
          double *loweringSeconds, double *jitSeconds, bool vectorize,
          bool threads);

  /// Loads into `context` every dialect that `pipeline` (a --pipeline text,
  /// may be empty) and the CPU lowering depend on, so that two compilations
  /// can then run on two threads without loading dialects concurrently.
  static mlir::LogicalResult prepareContext(mlir::MLIRContext &context,
                                            llvm::StringRef pipeline);

  /// The value of an i64 global of the compiled code (a counter such as
  /// mp_f16_guard_rescales), or nothing when the code has no such symbol.
  std::optional<int64_t> readI64Global(llvm::StringRef symbol);

  llvm::ArrayRef<mlir::RankedTensorType> getArgumentTypes() const { return argTypes; }
  llvm::ArrayRef<mlir::RankedTensorType> getResultTypes() const { return resultTypes; }

  /// Runs the function. Inputs must have the argument types' element types
  /// and shapes compatible with the arguments.
  llvm::Expected<std::vector<HostTensor>> run(llvm::ArrayRef<HostTensor> inputs);

private:
  std::string entry;
  std::vector<mlir::RankedTensorType> argTypes, resultTypes;
  /// The LLVM optimizer the engine calls through a function_ref: owned here
  /// so that it outlives every call (a temporary would dangle).
  std::function<llvm::Error(llvm::Module *)> transformer;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// Checks that `func` takes and returns only ranked tensors of supported
/// element types; reports the first offending one.
mlir::LogicalResult checkSignature(mlir::Operation *func);

} // namespace mp

#endif // MP_TOOLS_MPRUN_RUNNER_H
