//===- MPDialect.h - mp dialect, attributes and ops --------------*- C++ -*-===//

#ifndef MP_DIALECT_MP_IR_MPDIALECT_H
#define MP_DIALECT_MP_IR_MPDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "mp/Dialect/MP/IR/MPOpsDialect.h.inc"
#include "mp/Dialect/MP/IR/MPEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "mp/Dialect/MP/IR/MPAttrs.h.inc"

#define GET_OP_CLASSES
#include "mp/Dialect/MP/IR/MPOps.h.inc"

namespace mp {

/// Element types a format may name.
bool isSupportedFormatElementType(mlir::Type type);

/// True when every value of `from` is exactly representable in `to`
/// (f16 in f32, f8E4M3FN in f16, ...). Integer and float types never mix.
bool isExactlyRepresentable(mlir::Type from, mlir::Type to);

/// Checks that `scaleType` (and `zeroPointType`, if present) has the shape the
/// scale scheme of `format` requires for a tensor of `dataType`. Reports to
/// `emitError` and fails otherwise.
mlir::LogicalResult
verifyScaleShape(llvm::function_ref<mlir::InFlightDiagnostic()> emitError,
                 FormatAttr format, mlir::RankedTensorType dataType,
                 mlir::RankedTensorType scaleType,
                 mlir::RankedTensorType zeroPointType);

} // namespace mp

#endif // MP_DIALECT_MP_IR_MPDIALECT_H
