//===- Materialize.h - retype decided ops by dialect conversion --*- C++ -*-===//
//
// The pieces of mp-materialize, for passes that extend it (scaling,
// compensation add patterns) and for pipelines that run it inside their own
// conversion.
//
//===----------------------------------------------------------------------===//

#ifndef MP_TRANSFORMS_MATERIALIZE_H
#define MP_TRANSFORMS_MATERIALIZE_H

#include "mp/Dialect/MP/IR/MPDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/DenseSet.h"

#include <memory>

namespace mp {

/// The type a decided op's result takes: its decision's storage type, or for
/// a linalg contraction the compute (accumulator) type. Null when the value
/// is not a float tensor produced by a decided op (pins are looked through).
mlir::Type getDecidedResultType(mlir::OpResult result);

/// The type a function returns `value` in when signatures may change: its
/// producer's storage type (a contraction's accumulator is rounded once).
mlir::Type getReturnedType(mlir::Value value);

/// Knows the decided type of every value (context-aware conversion) and
/// materializes mp.cast (nearest even) where types meet.
class MaterializeTypeConverter : public mlir::TypeConverter {
public:
  MaterializeTypeConverter();
  /// Types chosen for entry block arguments (see chooseArgumentTypes).
  llvm::DenseMap<mlir::Value, mlir::Type> argumentTypes;
  /// State shared by the patterns, owned here.
  std::shared_ptr<void> keepAlive;
};

/// What the patterns did.
struct MaterializeCounters {
  unsigned castsInserted = 0, constantsConverted = 0, opsRetyped = 0;
};

/// Narrows entry arguments of `func` that every user reads in one narrower
/// storage type (inits excluded).
void chooseArgumentTypes(mlir::func::FuncOp func,
                         MaterializeTypeConverter &converter);

/// Legality: decided ops hold their decision (mp::checkDecision), pins are
/// gone, and functions outside `keptSignatures` have their chosen types.
void configureMaterializeTarget(
    mlir::ConversionTarget &target,
    const llvm::DenseSet<mlir::Operation *> &keptSignatures,
    const MaterializeTypeConverter &converter);

/// Patterns that rebuild decided ops, remove pins and retype signatures.
void populateMaterializePatterns(MaterializeTypeConverter &converter,
                                 mlir::RewritePatternSet &patterns,
                                 MaterializeCounters &counters);

} // namespace mp

#endif // MP_TRANSFORMS_MATERIALIZE_H
