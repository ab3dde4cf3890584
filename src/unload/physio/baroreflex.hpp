// Short-term arterial baroreflex after Ursino (Am J Physiol 1998;275:H1733).
//
// Afferent: tau_p dPf/dt = P + tau_z dP/dt - Pf (P: aortic root pressure), firing rate
//   f_as = (f_min + f_max exp((Pf - Pn)/k_a)) / (1 + exp((Pf - Pn)/k_a)).
// Efferent: f_es = f_es,inf + (f_es,0 - f_es,inf) exp(-k_es f_as)  (sympathetic),
//           f_ev = (f_ev,0 + f_ev,inf exp((f_as - f_as,0)/k_ev)) / (1 + exp((f_as - f_as,0)/k_ev)).
// Effector activity: sympathetic sigma = ln(f_es - f_es,min + 1) (0 below f_es,min), vagal f_ev,
// each read after the effector's pure delay D from EfferentHistory.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "unload/physio/parameters.hpp"

namespace unload::physio {

struct EfferentActivity {
  double sympathetic = 0;  // sigma_s (dimensionless, log of firing rate)
  double vagal = 0;        // f_ev (1/s)
};

// Efferent activity for a filtered afferent pressure Pf.
EfferentActivity efferent_activity(const Baroreflex& b, double filtered_pressure_mmHg);

// Past efferent activity sampled on a uniform grid, for the effectors' pure delays. Storage is
// allocated once in reset(); push() and the look-ups never allocate.
class EfferentHistory {
 public:
  // Clears the history and treats all past time as resting activity.
  void reset(double sample_interval_s, double longest_delay_s, EfferentActivity rest);
  // Records activity at time t (t must increase by sample_interval_s each call).
  void push(double t_s, EfferentActivity a);
  // Activity at time t (linear interpolation; before the first sample: rest; after the newest
  // sample: the newest value).
  EfferentActivity at(double t_s) const;  // inline below: every right-hand side calls it

 private:
  std::vector<EfferentActivity> ring_;
  double interval_s_ = 0;
  double per_interval_ = 0;  // 1 / interval_s_ (the look-up runs in every right-hand side)
  double newest_t_s_ = 0;
  std::size_t newest_ = 0;
  std::size_t count_ = 0;
  EfferentActivity rest_;
};

inline EfferentActivity EfferentHistory::at(double t_s) const {
  if (count_ == 0) return rest_;
  if (t_s >= newest_t_s_) return ring_[newest_];
  const double back = (newest_t_s_ - t_s) * per_interval_;  // samples back from the newest
  const auto i = static_cast<std::size_t>(back);
  if (i + 1 >= count_) {
    return rest_;  // older than anything recorded: the run started at rest
  }
  const double w = back - static_cast<double>(i);
  const std::size_t n = ring_.size();
  const std::size_t ia = newest_ >= i ? newest_ - i : newest_ + n - i;  // newest_ - i, wrapped
  const std::size_t ib = ia == 0 ? n - 1 : ia - 1;
  const EfferentActivity& a = ring_[ia];
  const EfferentActivity& b = ring_[ib];
  return {a.sympathetic + w * (b.sympathetic - a.sympathetic), a.vagal + w * (b.vagal - a.vagal)};
}

}  // namespace unload::physio
