// Test helpers: reading a metric off a run's beats.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "unload/sim/beat_metrics.hpp"

namespace unload::testing {

using Metric = std::function<double(const sim::BeatMetrics&)>;

// Mean of a metric over the beats that start in [from, to) (a test failure if there is none).
inline double mean(const std::vector<sim::BeatMetrics>& beats, const Metric& m, double from,
                   double to) {
  double sum = 0;
  int n = 0;
  for (const auto& b : beats) {
    if (b.start_s >= from && b.start_s < to) {
      sum += m(b);
      ++n;
    }
  }
  EXPECT_GT(n, 0) << "no beat in [" << from << ", " << to << ")";
  return n ? sum / n : NAN;
}

}  // namespace unload::testing
