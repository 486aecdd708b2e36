//===- ConstantData.h - reading, converting and counting constants -*- C++ -*-===//

#ifndef MP_ANALYSIS_CONSTANTDATA_H
#define MP_ANALYSIS_CONSTANTDATA_H

#include "mp/Dialect/MP/IR/MPDialect.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallVector.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mp {

/// The values of a float constant (dense, splat or dense_resource f32), or
/// nullopt when they cannot be read. A splat gives one value.
std::optional<llvm::SmallVector<llvm::APFloat>>
readFloatConstant(mlir::ElementsAttr attr);

/// The constant `value` holds, looking through tensor reshapes (which keep
/// the row-major order of the elements); null when it is not a constant.
mlir::ElementsAttr getConstantThroughReshapes(mlir::Value value);

/// Largest finite |x| over `values` (0 when none is finite).
double finiteAbsMax(llvm::ArrayRef<llvm::APFloat> values);

/// The raw little-endian storage of a constant of byte-sized int or float
/// elements (dense or dense_resource; a splat's is one element, `splat` set),
/// or nothing. The bytes live as long as the context.
std::optional<llvm::ArrayRef<char>> rawConstantBytes(mlir::ElementsAttr attr, bool &splat);

/// Largest finite magnitude of a float type.
double largestFinite(mlir::FloatType type);

/// True for a constant that stands in for an infinity: a magnitude of at
/// least 1e38, the extreme of f32/bf16 (`torch.finfo(dtype).min` in attention
/// masks). Clamping such a value to a narrower format's finite extreme keeps
/// its meaning ("minus infinity, but finite").
bool isInfinitySentinel(const llvm::APFloat &value);

/// Converts `value` to `type` (nearest even); a finite value the type cannot
/// hold becomes +-largest when `clampSentinels` is set and it is an infinity
/// sentinel. Sets `overflowed` when a finite value became infinite.
llvm::APFloat convertConstant(const llvm::APFloat &value, mlir::FloatType type,
                              bool clampSentinels, bool &overflowed,
                              bool &clamped);

/// The values of a float constant as doubles (exact for every float type mp
/// handles); fast for f32 and f64 data. A splat gives one value.
std::optional<std::vector<double>> readFloatConstantAsDoubles(mlir::ElementsAttr attr);

/// isInfinitySentinel on a double.
inline bool isInfinitySentinel(double value) {
  return value == value && value - value == 0 && (value >= 1e38 || value <= -1e38);
}

/// convertConstant for one f32 value (its bits) to bf16 or f16, on bits:
/// the same results, orders of magnitude faster on model weights. Returns
/// nothing for other destination types and for NaN inputs (use
/// convertConstant then).
std::optional<uint16_t> convertF32BitsToHalf(uint32_t bits, mlir::FloatType type,
                                             bool clampSentinels, bool &overflowed,
                                             bool &clamped);

/// Bytes of the distinct float (and 8-bit or narrower integer: quantized
/// weights, i4 packed two per byte) tensor constants under `root`, in all,
/// per element type ("f32", "bf16", "i8", ...), and those read by decided or
/// scaled ops (as operands or from their payloads): the model's weights.
struct ConstantBytes {
  int64_t total = 0;
  std::map<std::string, int64_t> perType;
  int64_t readByDecidedOps = 0;
};
ConstantBytes countConstantBytes(mlir::Operation *root);

} // namespace mp

#endif // MP_ANALYSIS_CONSTANTDATA_H
