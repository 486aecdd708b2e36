//===- Metrics.h - error metrics and value statistics (no LLVM) --*- C++ -*-===//

#ifndef MP_RUNTIME_METRICS_H
#define MP_RUNTIME_METRICS_H

#include <cstdint>
#include <utility>
#include <vector>

namespace mp::runtime {

/// Precision (significand bits, implicit bit included) and minimum normal
/// exponent of a float format, used to express errors in its ulps. Integer
/// formats use precision 0 (an ulp is 1).
struct UlpFormat {
  int precision = 24;
  int minExponent = -126;
};

/// How far a candidate output is from its reference.
///
/// Non-finite values are errors, never skipped: an inf or NaN in the
/// candidate where the reference is finite (`newInf`, `newNaN`), or a
/// non-finite reference value the candidate does not reproduce (`mismatched`:
/// +inf vs -inf, inf vs NaN, NaN or inf vs a finite value), makes the max and
/// mean errors infinite and the cosine similarity NaN. Equal non-finite values
/// (the same infinity, NaN and NaN) are agreements. The `finite*` fields hold
/// the metrics over the pairs where both values are finite, for diagnosis.
struct ErrorMetrics {
  int64_t count = 0;
  double maxAbsError = 0, maxRelError = 0, meanRelError = 0;
  double relativeFloor = 0; ///< denominators are max(|ref|, floor)
  double cosineSimilarity = 1;
  double maxUlpError = 0, meanUlpError = 0;
  int64_t newInf = 0, newNaN = 0, mismatched = 0;
  double finiteMaxAbsError = 0, finiteCosineSimilarity = 1;

  /// True when some non-finite value is an error.
  bool hasNonFiniteErrors() const { return newInf || newNaN || mismatched; }
};

/// Computes the metrics over equally long arrays. The relative-error floor is
/// 1e-3 times the reference's root mean square over its finite values.
ErrorMetrics compareOutputs(const std::vector<double> &reference,
                            const std::vector<double> &candidate, UlpFormat format);

/// Range statistics of one tensor, for calibration.
struct ValueStats {
  int64_t count = 0, nonFinite = 0;
  double min = 0, max = 0, absMax = 0, mean = 0;
  /// Percentiles of |x|: 50, 90, 99, 99.9, 99.99.
  std::vector<std::pair<double, double>> absPercentiles;
};

ValueStats computeStats(std::vector<double> values);

} // namespace mp::runtime

#endif // MP_RUNTIME_METRICS_H
