//===- Metrics.h - error metrics and value statistics -----------*- C++ -*-===//

#ifndef MP_TOOLS_MPRUN_METRICS_H
#define MP_TOOLS_MPRUN_METRICS_H

#include "llvm/Support/JSON.h"

#include <cstdint>
#include <vector>

namespace mp {

/// Precision (significand bits, implicit bit included) and minimum normal
/// exponent of a float format, used to express errors in its ulps. Integer
/// formats use precision 0 (an ulp is 1).
struct UlpFormat {
  int precision = 24;
  int minExponent = -126;
};

/// How far a candidate output is from the f32 reference.
struct ErrorMetrics {
  int64_t count = 0;
  double maxAbsError = 0, maxRelError = 0, meanRelError = 0;
  double relativeFloor = 0; ///< denominators are max(|ref|, floor)
  double cosineSimilarity = 1;
  double maxUlpError = 0, meanUlpError = 0;
  int64_t newInf = 0, newNaN = 0; ///< non-finite where the reference is finite

  llvm::json::Object toJSON() const;
};

/// Computes the metrics over equally long arrays. The relative-error floor is
/// 1e-3 times the reference's root mean square (tiny values would otherwise
/// dominate); pairs where either value is not finite are counted, not summed.
ErrorMetrics compareOutputs(const std::vector<double> &reference,
                            const std::vector<double> &candidate, UlpFormat format);

/// Range statistics of one tensor, for calibration.
struct ValueStats {
  int64_t count = 0, nonFinite = 0;
  double min = 0, max = 0, absMax = 0, mean = 0;
  /// Percentiles of |x|: 50, 90, 99, 99.9, 99.99.
  std::vector<std::pair<double, double>> absPercentiles;

  llvm::json::Object toJSON() const;
};

ValueStats computeStats(std::vector<double> values);

} // namespace mp

#endif // MP_TOOLS_MPRUN_METRICS_H
