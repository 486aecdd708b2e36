//===- Policy.h - op classes, precision policies, overrides -----*- C++ -*-===//
//
// What mp-assign-precision decides with: the built-in policies, policy files
// and their overrides (classes and names come from mp/Analysis).
//
//===----------------------------------------------------------------------===//

#ifndef MP_TRANSFORMS_POLICY_H
#define MP_TRANSFORMS_POLICY_H

#include "mp/Analysis/Classification.h"
#include "mp/Dialect/MP/IR/MPDialect.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mp {

/// Built-in policy `f32`, `f16`, `bf16`, or one of the quantization policies
/// (`fp8`, `w8a8`, `w8a16`, `w4a16`: bf16 formats for the decisions, the
/// quantization itself is mp-insert-scaling's); nullopt for an unknown name.
std::optional<PolicyAttr> getBuiltinPolicy(mlir::MLIRContext *ctx,
                                           llvm::StringRef name);

/// True for `fp8`, `w8a8`, `w8a16` and `w4a16`.
bool isQuantizationPolicy(llvm::StringRef name);

/// Parses a format written as `#mp.format<...>` or a bare element type
/// (`bf16` means `#mp.format<bf16>`). Returns null on error.
FormatAttr parseFormat(mlir::MLIRContext *ctx, llvm::StringRef text);

/// One user override from a policy file or a policy attribute.
struct OverrideRule {
  std::string source;  ///< "policy-file[3]" or "policy-attr:<pattern>"
  std::string name;    ///< glob on the op's stable name (mp.name or location)
  std::string opName;  ///< glob on the op name, e.g. "linalg.softmax"
  std::optional<OpClass> opClass; ///< class, e.g. contraction
  FormatAttr format;
};

/// A policy file:
///   {"policy": "bf16",
///    "overrides": [{"name": "*attn*", "format": "f32"},
///                  {"op": "linalg.batch_matmul", "format": "#mp.format<f16, acc = f32>"},
///                  {"class": "elementwise", "format": "f32"}]}
struct PolicyFile {
  std::string policy; ///< empty when the file names none
  std::vector<OverrideRule> overrides;
};

/// Reads and validates a policy file; errors name the file and the entry.
llvm::Expected<PolicyFile> readPolicyFile(mlir::MLIRContext *ctx,
                                          llvm::StringRef path);

/// True when `rule` selects `op` (of class `opClass`).
bool matchesOverride(const OverrideRule &rule, mlir::Operation *op,
                     OpClass opClass);

} // namespace mp

#endif // MP_TRANSFORMS_POLICY_H
