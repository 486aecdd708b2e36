//===- DecisionCheck.h - does an op compute what its decision says -*- C++ -*-===//
//
// The one predicate behind mp-materialize's legality and mp-verify-decisions:
// an op with a `#mp.decision` holds its contract when
//   - its float tensor inputs are stored in the decision's storage type;
//   - its float tensor results (and inits) are in the storage type, or for a
//     contraction in the compute (accumulator) type;
//   - every float arithmetic op of its payload (arith/math ops other than
//     conversions) takes and produces the compute type.
// Ops without a payload compute in their storage type.
//
//===----------------------------------------------------------------------===//

#ifndef MP_ANALYSIS_DECISIONCHECK_H
#define MP_ANALYSIS_DECISIONCHECK_H

#include "mp/Dialect/MP/IR/MPDialect.h"

namespace mp {

/// The decision recorded on `op`, or null.
DecisionAttr getDecision(mlir::Operation *op);

/// True when `input`, read by a non-contraction linalg op decided as
/// `consumer`, is the accumulator of a contraction (its only use) in the
/// consumer's compute type: an epilogue (bias, activation, residual). Such an
/// input enters the epilogue unrounded, so the result is rounded to storage
/// once, as a fused GPU epilogue does, rather than twice. `checkType`: also
/// require the input's element type to be that compute type (false while
/// materializing, when the IR still has the model's types).
bool isEpilogueAccumulatorInput(mlir::Value input, DecisionAttr consumer,
                                bool checkType = true);

/// True for payload ops that compute on floats (arith and math ops with a
/// float operand or result), conversions (extf, truncf, mp.cast, bitcast,
/// int/float conversions) and constants excluded.
bool isFloatArithmetic(mlir::Operation *op);

/// True for ops whose payload region mp retypes (linalg structured ops).
bool hasRetypablePayload(mlir::Operation *op);

/// The compute type a decision for `op` with storage format `format` states
/// when the policy says nothing else: the accumulator if the format has one;
/// for linalg payloads f32 when storage is at most 32 bits wide, else the
/// storage type; for ops without a payload the storage type.
mlir::Type defaultComputeType(mlir::Operation *op, FormatAttr format);

/// Checks `op` against `decision`. With `emit`, each violation is reported
/// as an error at the op (naming the offending value or payload op);
/// otherwise the check is silent.
mlir::LogicalResult checkDecision(mlir::Operation *op, DecisionAttr decision,
                                  bool emit);

} // namespace mp

#endif // MP_ANALYSIS_DECISIONCHECK_H
