//===- Policy.h - op classes, precision policies, overrides -----*- C++ -*-===//
//
// What mp-assign-precision decides with: the structural class of an op, the
// built-in policies, policy files, and the stable names users match against.
//
//===----------------------------------------------------------------------===//

#ifndef MP_TRANSFORMS_POLICY_H
#define MP_TRANSFORMS_POLICY_H

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mp {

/// How an op is treated by precision assignment.
enum class OpClass {
  /// Not assigned: produces no float tensor from float tensors (constants,
  /// tensor.empty, fills), or an op mp does not know.
  None,
  /// Multiply-add reductions: matmul, batch_matmul, matvec, convolutions and
  /// linalg.generic ops whose body is a multiply-add reduction.
  Contraction,
  /// Parallel arithmetic without sensitive math: follows its producers.
  Elementwise,
  /// Copies, transposes, broadcasts, reshapes, slices: follow producers.
  DataMovement,
  /// exp/log/pow/erf/tanh/rsqrt/sqrt, division by computed values, softmax,
  /// and non-contraction reductions (max, sum, mean, variance).
  Sensitive,
};

llvm::StringRef stringifyOpClass(OpClass opClass);

/// Classifies by structure (interfaces and payload), never by name alone.
OpClass classifyOp(mlir::Operation *op);

/// Built-in policy `f32`, `f16` or `bf16`; nullopt for an unknown name.
std::optional<PolicyAttr> getBuiltinPolicy(mlir::MLIRContext *ctx,
                                           llvm::StringRef name);

/// Parses a format written as `#mp.format<...>` or a bare element type
/// (`bf16` means `#mp.format<bf16>`). Returns null on error.
FormatAttr parseFormat(mlir::MLIRContext *ctx, llvm::StringRef text);

/// One user override from a policy file or a policy attribute.
struct OverrideRule {
  std::string source;  ///< "policy-file[3]" or "policy-attr:<pattern>"
  std::string name;    ///< glob on the op's stable name (mp.name or location)
  std::string opName;  ///< glob on the op name, e.g. "linalg.softmax"
  std::string opClass; ///< class name, e.g. "contraction"
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

/// A stable name for an op's value: its `mp.name` attribute, else its
/// location as "file:line:col" (file basename) or the NameLoc's name; empty if
/// it has neither.
std::string getStableName(mlir::Operation *op);

/// Logical bytes of the weights of the mixed-precision graph: distinct float
/// tensor constants (splats included) used by at least one op that carries a
/// precision decision.
int64_t countWeightBytes(mlir::Operation *root);

/// Absolute maxima per stable value name, from `mp-run --calibrate`.
llvm::Expected<llvm::StringMap<double>> readCalibration(llvm::StringRef path);

/// Attribute names recording a decision on an op.
constexpr llvm::StringLiteral kClassAttr = "mp.class";
constexpr llvm::StringLiteral kFormatAttr = "mp.format";
constexpr llvm::StringLiteral kRuleAttr = "mp.rule";

} // namespace mp

#endif // MP_TRANSFORMS_POLICY_H
