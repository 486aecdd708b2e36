//===- MPToArith.h - lower mp ops to arith/math/linalg ----------*- C++ -*-===//

#ifndef MP_CONVERSION_MPTOARITH_MPTOARITH_H
#define MP_CONVERSION_MPTOARITH_MPTOARITH_H

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mp {

/// True when the CPU lowering can convert to and from `type` exactly
/// (f64, f32, f16, bf16, f8E4M3FN, f8E5M2).
bool isEmulatableFloatType(mlir::Type type);

/// Emits scalar arith/math code that converts `value` (a float scalar) to
/// `dstType` with the semantics of mp.cast: correctly rounded (one rounding,
/// never double rounding), overflow to inf/NaN or saturation, NaN preserved.
/// Both types must satisfy isEmulatableFloatType. fp8 values are encoded and
/// decoded with integer operations, so no software float library is needed.
mlir::Value emitFloatCast(mlir::ImplicitLocOpBuilder &b, mlir::Value value,
                          mlir::FloatType dstType, RoundingMode rounding,
                          bool saturate);

/// Patterns that rewrite every mp op into arith, math, tensor and linalg ops
/// (on tensors), and arith.truncf/extf to or from fp8 into integer code.
void populateMPToArithConversionPatterns(mlir::RewritePatternSet &patterns);

} // namespace mp

#endif // MP_CONVERSION_MPTOARITH_MPTOARITH_H
