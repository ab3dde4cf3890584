#include "unload/physio/baroreflex.hpp"

#include <algorithm>
#include <cmath>

namespace unload::physio {

EfferentActivity efferent_activity(const Baroreflex& b, double filtered_pressure_mmHg) {
  const double x = std::exp((filtered_pressure_mmHg - b.set_point_mmHg) / b.slope_mmHg);
  const double f_as = (b.afferent_min_hz + b.afferent_max_hz * x) / (1.0 + x);
  const double f_es =
      b.sympathetic_infinity_hz +
      (b.sympathetic_zero_hz - b.sympathetic_infinity_hz) * std::exp(-b.sympathetic_slope_s * f_as);
  const double y = std::exp((f_as - b.vagal_midpoint_hz) / b.vagal_slope_hz);
  const double f_ev = (b.vagal_zero_hz + b.vagal_infinity_hz * y) / (1.0 + y);
  EfferentActivity a;
  a.sympathetic = f_es > b.sympathetic_min_hz ? std::log(f_es - b.sympathetic_min_hz + 1.0) : 0.0;
  a.vagal = f_ev;
  return a;
}

void EfferentHistory::reset(double anchor_s, double sample_interval_s, double longest_delay_s,
                            EfferentActivity rest) {
  anchor_s_ = anchor_s;
  interval_s_ = sample_interval_s;
  per_interval_ = 1.0 / sample_interval_s;
  std::size_t n = 1;
  while (n < static_cast<std::size_t>(std::ceil(longest_delay_s / sample_interval_s)) + 4) n *= 2;
  mask_ = n - 1;
  ring_.assign(2 * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    ring_[2 * i] = rest.sympathetic;
    ring_[2 * i + 1] = rest.vagal;
  }
  rest_ = rest;
  newest_ = 0;
}

void EfferentHistory::push(long k, EfferentActivity a) {
  newest_ = k;
  const std::size_t i = 2 * (static_cast<std::size_t>(k) & mask_);
  ring_[i] = a.sympathetic;
  ring_[i + 1] = a.vagal;
}

}  // namespace unload::physio
