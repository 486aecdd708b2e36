//===- Classification.h - op classes and stable value names ------*- C++ -*-===//
//
// What precision assignment sees in an op: its structural class and the
// stable name users match in policy files and calibration.
//
//===----------------------------------------------------------------------===//

#ifndef MP_ANALYSIS_CLASSIFICATION_H
#define MP_ANALYSIS_CLASSIFICATION_H

#include "mp/Dialect/MP/IR/MPDialect.h"

#include <optional>
#include <string>

namespace mp {

/// Classifies by structure (interfaces and payload), never by name alone.
/// Returns nullopt for ops that are not assigned: those that produce no float
/// tensor from float tensors (constants, tensor.empty, fills), mp ops, and
/// ops mp does not know.
///   - contraction: multiply-add reductions (matmul, batch_matmul, matvec,
///     convolutions, generics whose body is a multiply-add reduction);
///   - sensitive: exp/log/pow/erf/tanh/rsqrt/sqrt, division by computed
///     values, softmax, non-contraction reductions (max, sum, mean, variance);
///   - elementwise: other parallel arithmetic;
///   - data_movement: copies, transposes, broadcasts, reshapes, slices,
///     gathers from constant tables.
std::optional<OpClass> classifyOp(mlir::Operation *op);

/// True for a linalg op with float tensor results and no float tensor
/// operand whose payload reads a float constant table defined above it with
/// tensor.extract (an embedding lookup): data_movement, and
/// mp-assign-precision lets them follow their consumers.
bool isConstantGather(mlir::Operation *op);

/// True for payload ops whose inputs can overflow or lose accuracy in 16 bits:
/// transcendental functions, roots, powers, and division by a computed value.
bool isSensitivePayloadOp(mlir::Operation *op);

/// Parses a class name as written in policy files: the enum's spelling
/// (`data_movement`) or the hyphenated one (`data-movement`).
std::optional<OpClass> parseOpClass(llvm::StringRef name);

/// A stable name for an op's value: its `mp.name` attribute, else its
/// location as "file:line:col" (file basename) or the NameLoc's name; empty if
/// it has neither.
std::string getStableName(mlir::Operation *op);

} // namespace mp

#endif // MP_ANALYSIS_CLASSIFICATION_H
