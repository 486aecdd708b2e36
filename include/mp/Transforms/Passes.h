//===- Passes.h - mp transformation passes -----------------------*- C++ -*-===//

#ifndef MP_TRANSFORMS_PASSES_H
#define MP_TRANSFORMS_PASSES_H

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace linalg { class LinalgDialect; }
namespace math { class MathDialect; }
namespace memref { class MemRefDialect; }
namespace arith { class ArithDialect; }
namespace tensor { class TensorDialect; }
} // namespace mlir

namespace mp {
#define GEN_PASS_DECL
#include "mp/Transforms/Passes.h.inc"

/// Patterns of mp-fold-casts that need no analysis: exact-chain folds and,
/// with `allowExcessPrecision`, removal of narrowing round trips.
void populateFoldCastsPatterns(mlir::RewritePatternSet &patterns,
                               bool allowExcessPrecision);

#define GEN_PASS_REGISTRATION
#include "mp/Transforms/Passes.h.inc"
} // namespace mp

#endif // MP_TRANSFORMS_PASSES_H
