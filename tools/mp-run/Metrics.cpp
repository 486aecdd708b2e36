//===- Metrics.cpp - error metrics and value statistics --------------------===//

#include "Metrics.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace mp;

static double ulpAt(double value, UlpFormat format) {
  if (format.precision == 0)
    return 1.0;
  int exponent = value == 0 ? format.minExponent
                            : std::max(std::ilogb(value), format.minExponent);
  return std::ldexp(1.0, exponent - (format.precision - 1));
}

ErrorMetrics mp::compareOutputs(const std::vector<double> &reference,
                                const std::vector<double> &candidate,
                                UlpFormat format) {
  ErrorMetrics m;
  m.count = reference.size();
  double sumSquares = 0;
  int64_t finiteCount = 0;
  for (double r : reference)
    if (std::isfinite(r)) {
      sumSquares += r * r;
      ++finiteCount;
    }
  double rms = finiteCount ? std::sqrt(sumSquares / finiteCount) : 0;
  m.relativeFloor = rms > 0 ? 1e-3 * rms : 1e-30;
  double dot = 0, normRef = 0, normCand = 0, sumRel = 0, sumUlp = 0;
  int64_t compared = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    double r = reference[i], c = candidate[i];
    if (std::isfinite(r)) {
      if (std::isnan(c)) {
        ++m.newNaN;
        continue;
      }
      if (std::isinf(c)) {
        ++m.newInf;
        continue;
      }
    }
    if (!std::isfinite(r) || !std::isfinite(c))
      continue;
    double abs = std::fabs(c - r);
    double rel = abs / std::max(std::fabs(r), m.relativeFloor);
    double ulps = abs / ulpAt(std::fabs(r), format);
    m.maxAbsError = std::max(m.maxAbsError, abs);
    m.maxRelError = std::max(m.maxRelError, rel);
    m.maxUlpError = std::max(m.maxUlpError, ulps);
    sumRel += rel;
    sumUlp += ulps;
    dot += r * c;
    normRef += r * r;
    normCand += c * c;
    ++compared;
  }
  if (compared) {
    m.meanRelError = sumRel / compared;
    m.meanUlpError = sumUlp / compared;
  }
  if (normRef > 0 && normCand > 0)
    m.cosineSimilarity = dot / (std::sqrt(normRef) * std::sqrt(normCand));
  else
    m.cosineSimilarity = (normRef == 0 && normCand == 0) ? 1.0 : 0.0;
  return m;
}

llvm::json::Object ErrorMetrics::toJSON() const {
  return llvm::json::Object{{"elements", count},
                            {"max_abs_error", maxAbsError},
                            {"max_rel_error", maxRelError},
                            {"mean_rel_error", meanRelError},
                            {"rel_error_floor", relativeFloor},
                            {"cosine_similarity", cosineSimilarity},
                            {"max_ulp_error", maxUlpError},
                            {"mean_ulp_error", meanUlpError},
                            {"new_inf", newInf},
                            {"new_nan", newNaN}};
}

ValueStats mp::computeStats(std::vector<double> values) {
  ValueStats s;
  s.count = values.size();
  std::vector<double> magnitudes;
  magnitudes.reserve(values.size());
  double sum = 0;
  bool first = true;
  for (double v : values) {
    if (!std::isfinite(v)) {
      ++s.nonFinite;
      continue;
    }
    s.min = first ? v : std::min(s.min, v);
    s.max = first ? v : std::max(s.max, v);
    first = false;
    sum += v;
    magnitudes.push_back(std::fabs(v));
  }
  if (magnitudes.empty())
    return s;
  s.mean = sum / magnitudes.size();
  s.absMax = std::max(std::fabs(s.min), std::fabs(s.max));
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    size_t k = std::min(magnitudes.size() - 1,
                        size_t(std::ceil(p / 100.0 * magnitudes.size())) - 1);
    std::nth_element(magnitudes.begin(), magnitudes.begin() + k, magnitudes.end());
    s.absPercentiles.push_back({p, magnitudes[k]});
  }
  return s;
}

llvm::json::Object ValueStats::toJSON() const {
  llvm::json::Object percentiles;
  for (auto [p, v] : absPercentiles) {
    percentiles[("p" + llvm::StringRef(llvm::formatv("{0:f2}", p).str())
                           .rtrim('0').rtrim('.')).str()] = v;
  }
  return llvm::json::Object{{"elements", count}, {"non_finite", nonFinite},
                            {"min", min},        {"max", max},
                            {"abs_max", absMax}, {"mean", mean},
                            {"abs_percentiles", std::move(percentiles)}};
}
