//===- MetricsTest.cpp - hand-computed cases for mp-run's error metrics ---===//

#include "mp/Runtime/Metrics.h"

#include <cmath>
#include <gtest/gtest.h>
#include <limits>

using namespace mp::runtime;

namespace {
const double inf = std::numeric_limits<double>::infinity();
const double nan = std::numeric_limits<double>::quiet_NaN();
const UlpFormat f32{24, -126}, bf16{8, -126}, f16{11, -14}, integer{0, 0};

TEST(Metrics, IdenticalOutputsHaveNoError) {
  ErrorMetrics m = compareOutputs({1, -2, 3}, {1, -2, 3}, f32);
  EXPECT_EQ(m.maxAbsError, 0);
  EXPECT_EQ(m.maxRelError, 0);
  EXPECT_EQ(m.maxUlpError, 0);
  EXPECT_DOUBLE_EQ(m.cosineSimilarity, 1);
}

TEST(Metrics, AbsoluteRelativeAndUlpErrors) {
  // ref [4, 1], cand [4.5, 1]: abs 0.5, rel 0.5/4 = 0.125, mean rel 0.0625.
  // bf16 ulp at 4 is 2^(2-7) = 1/32: 16 ulps; mean 8.
  ErrorMetrics m = compareOutputs({4, 1}, {4.5, 1}, bf16);
  EXPECT_DOUBLE_EQ(m.maxAbsError, 0.5);
  EXPECT_DOUBLE_EQ(m.maxRelError, 0.125);
  EXPECT_DOUBLE_EQ(m.meanRelError, 0.0625);
  EXPECT_DOUBLE_EQ(m.maxUlpError, 16);
  EXPECT_DOUBLE_EQ(m.meanUlpError, 8);
  // cos = (18 + 1) / (sqrt(17) * sqrt(21.25))
  EXPECT_DOUBLE_EQ(m.cosineSimilarity, 19 / (std::sqrt(17.0) * std::sqrt(21.25)));
}

TEST(Metrics, RelativeErrorFloorForTinyValues) {
  // rms(ref) = sqrt((100 + 0) / 2) = 7.0711; floor = 7.0711e-3. The error
  // 1e-3 at ref 0 counts as 1e-3 / 7.0711e-3 = 0.14142.
  ErrorMetrics m = compareOutputs({10, 0}, {10, 1e-3}, f32);
  EXPECT_NEAR(m.relativeFloor, 1e-3 * std::sqrt(50.0), 1e-12);
  EXPECT_NEAR(m.maxRelError, 1e-3 / (1e-3 * std::sqrt(50.0)), 1e-12);
}

TEST(Metrics, SubnormalUlpUsesMinimumExponent) {
  // f16 ulp below 2^-14 is 2^-24.
  ErrorMetrics m = compareOutputs({std::ldexp(1.0, -20)},
                                  {std::ldexp(1.0, -20) + std::ldexp(3.0, -24)}, f16);
  EXPECT_DOUBLE_EQ(m.maxUlpError, 3);
}

TEST(Metrics, NewInfAndNaNMakeErrorsInfinite) {
  // A run whose outputs became inf must not read as exact: the max errors are
  // infinite and the cosine is undefined, whatever the finite pairs say.
  ErrorMetrics m = compareOutputs({1, 2, 3, inf, nan}, {1, inf, nan, inf, nan}, f16);
  EXPECT_EQ(m.newInf, 1);
  EXPECT_EQ(m.newNaN, 1);
  EXPECT_EQ(m.mismatched, 0); // inf == inf and nan == nan agree
  EXPECT_TRUE(m.hasNonFiniteErrors());
  EXPECT_TRUE(std::isinf(m.maxAbsError));
  EXPECT_TRUE(std::isinf(m.maxRelError));
  EXPECT_TRUE(std::isinf(m.maxUlpError));
  EXPECT_TRUE(std::isnan(m.cosineSimilarity));
  // Over the finite pairs alone (1, 1), for diagnosis.
  EXPECT_EQ(m.finiteMaxAbsError, 0);
  EXPECT_DOUBLE_EQ(m.finiteCosineSimilarity, 1);
}

TEST(Metrics, MismatchedNonFiniteValuesAreErrors) {
  // +inf vs -inf, inf vs nan, nan vs finite, inf vs finite.
  ErrorMetrics m = compareOutputs({inf, inf, nan, -inf, 5}, {-inf, nan, 0, 1, 5}, f32);
  EXPECT_EQ(m.mismatched, 4);
  EXPECT_EQ(m.newInf + m.newNaN, 0);
  EXPECT_TRUE(std::isinf(m.maxAbsError));
  EXPECT_TRUE(std::isnan(m.cosineSimilarity));
}

TEST(Metrics, AgreeingNonFiniteValuesAreNotErrors) {
  ErrorMetrics m = compareOutputs({-inf, nan, 2}, {-inf, nan, 2}, f32);
  EXPECT_FALSE(m.hasNonFiniteErrors());
  EXPECT_EQ(m.maxAbsError, 0);
  EXPECT_DOUBLE_EQ(m.cosineSimilarity, 1);
}

TEST(Metrics, IntegerOutputsUseUnitUlp) {
  ErrorMetrics m = compareOutputs({3, -7}, {4, -7}, integer);
  EXPECT_DOUBLE_EQ(m.maxUlpError, 1);
}

TEST(Metrics, CosineOfZeroVectors) {
  EXPECT_DOUBLE_EQ(compareOutputs({0, 0}, {0, 0}, f32).cosineSimilarity, 1);
  EXPECT_DOUBLE_EQ(compareOutputs({0, 0}, {1, 0}, f32).cosineSimilarity, 0);
}

TEST(Stats, RangesAndPercentiles) {
  std::vector<double> values;
  for (int i = 1; i <= 1000; ++i)
    values.push_back(i % 2 ? i : -i);
  values.push_back(nan);
  ValueStats s = computeStats(values);
  EXPECT_EQ(s.count, 1001);
  EXPECT_EQ(s.nonFinite, 1);
  EXPECT_EQ(s.min, -1000);
  EXPECT_EQ(s.max, 999);
  EXPECT_EQ(s.absMax, 1000);
  ASSERT_EQ(s.absPercentiles.size(), 5u);
  EXPECT_EQ(s.absPercentiles[0].second, 500); // p50 of 1..1000
  EXPECT_EQ(s.absPercentiles[2].second, 990); // p99
}
} // namespace
