//===- FloatRounding.h - compile-time float format conversion ----*- C++ -*-===//
//
// The one definition of mp's cast semantics on constants, shared by the mp.cast
// folder and weight conversion in mp-materialize. The CPU lowering
// (mp-lower-to-arith) implements the same semantics in IR; execution tests
// check both against an independent reference.
//
//===----------------------------------------------------------------------===//

#ifndef MP_DIALECT_MP_UTILS_FLOATROUNDING_H
#define MP_DIALECT_MP_UTILS_FLOATROUNDING_H

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "llvm/ADT/APFloat.h"

#include <cstdint>
#include <optional>

namespace mp {

/// Converts `value` to `dst` with the given rounding. Without `saturate`, a
/// finite value beyond dst's range becomes infinity (NaN where dst has no
/// infinity) under nearest-even, and the largest finite value under
/// toward-zero; with `saturate`, overflow and infinities clamp to the largest
/// finite value. NaN stays NaN. `lostInfo` reports whether the result differs
/// from the input.
llvm::APFloat convertFloat(const llvm::APFloat &value,
                           const llvm::fltSemantics &dst, RoundingMode rounding,
                           bool saturate, bool *lostInfo = nullptr);

/// convertFloat of an f32 (its bits) to bf16 (`bf16`) or f16 with
/// nearest-even rounding and no saturation, on bits (the same results, much
/// faster on weights); nothing for NaN, whose payload convertFloat decides.
std::optional<uint16_t> roundF32BitsToHalf(uint32_t bits, bool bf16);

} // namespace mp

#endif // MP_DIALECT_MP_UTILS_FLOATROUNDING_H
