//===- Passes.h - mp conversion passes ---------------------------*- C++ -*-===//

#ifndef MP_CONVERSION_PASSES_H
#define MP_CONVERSION_PASSES_H

#include "mp/Conversion/MPToArith/MPToArith.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace arith { class ArithDialect; }
namespace math { class MathDialect; }
namespace linalg { class LinalgDialect; }
namespace tensor { class TensorDialect; }
namespace scf { class SCFDialect; }
namespace vector { class VectorDialect; }
namespace func { class FuncOp; }
namespace gpu { class GPUDialect; class GPUModuleOp; }
namespace cf { class ControlFlowDialect; }
namespace memref { class MemRefDialect; }
namespace affine { class AffineDialect; }
namespace ub { class UBDialect; }
namespace LLVM { class LLVMDialect; }
namespace NVVM { class NVVMDialect; }
} // namespace mlir

namespace mp {
#define GEN_PASS_DECL
#include "mp/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mp/Conversion/Passes.h.inc"
} // namespace mp

#endif // MP_CONVERSION_PASSES_H
