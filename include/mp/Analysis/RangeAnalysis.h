//===- RangeAnalysis.h - value ranges of float tensors ----------*- C++ -*-===//
//
// A sparse forward dataflow analysis (mlir/Analysis/DataFlow) that bounds
// every element of every float tensor (and float scalar) value by an
// interval [lo, hi]. Seeds: constants (dense and splat), user annotations
// `mp.range = [lo, hi]` on ops and function arguments, and calibration files
// written by `mp-run --calibrate` (|x| <= abs_max for the value's stable
// name). Propagation: elementwise payloads by interval arithmetic, linalg
// reductions and contractions (init + N * term, N the static reduction
// size), max/min reductions, exp and other monotone math, softmax ([0, 1]),
// casts, quantize/dequantize, and data movement (reshape, transpose, slice,
// concat, broadcast: the union of their inputs). Anything else is unbounded.
//
// Queried by mp-insert-scaling (f16 overflow guard) and printed by the test
// pass mp-print-ranges.
//
//===----------------------------------------------------------------------===//

#ifndef MP_ANALYSIS_RANGEANALYSIS_H
#define MP_ANALYSIS_RANGEANALYSIS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/StringMap.h"

#include <limits>
#include <memory>
#include <optional>
#include <string>

namespace mp {

/// A closed interval of reals; infinite ends mean "unbounded on that side".
/// `mayBeNaN` is set when the value can be NaN (log of a negative, a cast to
/// a format without infinities, ...). A range unbounded on both sides says
/// nothing, NaN included: operations that can make NaN from their operands'
/// ranges (0 * inf, inf - inf, x / [.., 0, ..]) give unbounded().
struct FloatRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool mayBeNaN = false;

  static FloatRange unbounded() { return FloatRange(); }
  static FloatRange point(double v) { return FloatRange{v, v, false}; }
  bool isBounded() const;  ///< both ends finite
  double absMax() const;   ///< max(|lo|, |hi|) (inf when unbounded)
  FloatRange join(const FloatRange &other) const; ///< the hull
  bool operator==(const FloatRange &o) const {
    return lo == o.lo && hi == o.hi && mayBeNaN == o.mayBeNaN;
  }
  std::string str() const; ///< "[lo, hi]" (with " nan" when mayBeNaN)
};

/// The analysis result for everything nested in `root` (a module or a
/// function). Values it could not bound, values of other types, values inside
/// linalg payloads (evaluated with their op, not recorded) and the undefined
/// contents of tensor.empty get FloatRange::unbounded(). Function arguments
/// are bounded by their `mp.range` annotation only (call sites are not
/// followed); an op's `mp.range` annotation overrides what propagation gives
/// where the two disagree.
class ValueRanges {
public:
  /// Runs the analysis. `calibration` maps stable value names (mp::
  /// getStableName) to a recorded |x| maximum; it may be null, and is only
  /// read here.
  explicit ValueRanges(mlir::Operation *root,
                       const llvm::StringMap<double> *calibration = nullptr);
  ~ValueRanges();
  ValueRanges(const ValueRanges &) = delete;
  ValueRanges &operator=(const ValueRanges &) = delete;

  /// The range of `value` (unbounded when unknown).
  FloatRange getRange(mlir::Value value) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace mp

#endif // MP_ANALYSIS_RANGEANALYSIS_H
