//===- Metrics.cpp - error metrics and value statistics -------------------===//

#include "mp/Runtime/Metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mp::runtime;

static double ulpAt(double value, UlpFormat format) {
  if (format.precision == 0)
    return 1.0;
  int exponent = value == 0 ? format.minExponent
                            : std::max(std::ilogb(value), format.minExponent);
  return std::ldexp(1.0, exponent - (format.precision - 1));
}

/// True when a non-finite reference value is reproduced exactly.
static bool sameNonFinite(double r, double c) {
  if (std::isnan(r))
    return std::isnan(c);
  return std::isinf(c) && std::signbit(c) == std::signbit(r);
}

ErrorMetrics mp::runtime::compareOutputs(const std::vector<double> &reference,
                                         const std::vector<double> &candidate,
                                         UlpFormat format) {
  ErrorMetrics m;
  m.count = int64_t(reference.size());
  double sumSquares = 0;
  int64_t finiteCount = 0;
  for (double r : reference)
    if (std::isfinite(r)) {
      sumSquares += r * r;
      ++finiteCount;
    }
  double rms = finiteCount ? std::sqrt(sumSquares / double(finiteCount)) : 0;
  m.relativeFloor = rms > 0 ? 1e-3 * rms : 1e-30;
  double dot = 0, normRef = 0, normCand = 0, sumRel = 0, sumUlp = 0;
  int64_t compared = 0;
  size_t n = std::min(reference.size(), candidate.size());
  for (size_t i = 0; i < n; ++i) {
    double r = reference[i], c = candidate[i];
    if (std::isfinite(r) && std::isnan(c)) {
      ++m.newNaN;
      continue;
    }
    if (std::isfinite(r) && std::isinf(c)) {
      ++m.newInf;
      continue;
    }
    if (!std::isfinite(r)) {
      if (!sameNonFinite(r, c))
        ++m.mismatched;
      continue;
    }
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
  if (reference.size() != candidate.size())
    m.mismatched += int64_t(std::max(reference.size(), candidate.size()) - n);
  if (compared) {
    m.meanRelError = sumRel / double(compared);
    m.meanUlpError = sumUlp / double(compared);
  }
  if (normRef > 0 && normCand > 0)
    m.cosineSimilarity = dot / (std::sqrt(normRef) * std::sqrt(normCand));
  else
    m.cosineSimilarity = (normRef == 0 && normCand == 0) ? 1.0 : 0.0;
  m.finiteMaxAbsError = m.maxAbsError;
  m.finiteCosineSimilarity = m.cosineSimilarity;
  if (m.hasNonFiniteErrors()) {
    const double inf = std::numeric_limits<double>::infinity();
    m.maxAbsError = m.maxRelError = m.meanRelError = inf;
    m.maxUlpError = m.meanUlpError = inf;
    m.cosineSimilarity = std::numeric_limits<double>::quiet_NaN();
  }
  return m;
}

ValueStats mp::runtime::computeStats(std::vector<double> values) {
  ValueStats s;
  s.count = int64_t(values.size());
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
  s.mean = sum / double(magnitudes.size());
  s.absMax = std::max(std::fabs(s.min), std::fabs(s.max));
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    size_t k = std::min(magnitudes.size() - 1,
                        size_t(std::ceil(p / 100.0 * double(magnitudes.size()))) - 1);
    std::nth_element(magnitudes.begin(), magnitudes.begin() + long(k), magnitudes.end());
    s.absPercentiles.push_back({p, magnitudes[k]});
  }
  return s;
}
