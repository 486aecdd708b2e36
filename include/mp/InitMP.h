//===- InitMP.h - register mp and the upstream pieces it uses ----*- C++ -*-===//

#ifndef MP_INITMP_H
#define MP_INITMP_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mp {

/// Registers the mp dialect only (what the dialect plugin adds).
void registerMPDialect(mlir::DialectRegistry &registry);

/// Registers the mp dialect and the upstream dialects and interface models
/// that mp's pipelines need (func, arith, math, linalg, tensor, scf, memref,
/// bufferization, affine, vector, llvm, cf, ml_program, index, ub), and
/// nothing else.
void registerDialects(mlir::DialectRegistry &registry);

/// Registers mp's passes and pipelines (what the pass plugin adds).
void registerMPPasses();

/// Registers mp's passes and pipelines plus a few upstream passes users
/// compose around them (canonicalize, cse, symbol-dce, inline,
/// convert-elementwise-to-linalg, linalg-generalize-named-ops), for mp-opt.
void registerPasses();

} // namespace mp

#endif // MP_INITMP_H
