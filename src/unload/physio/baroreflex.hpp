// Short-term arterial baroreflex after Ursino (Am J Physiol 1998;275:H1733).
//
// Afferent: tau_h dPs/dt = P - Ps (P: aortic root pressure; the neural arc's high cut, Kawada and
//   Sugimachi, J Physiol Sci 2016;66:15; tau_h = 0 reads Ps = P as in Ursino),
//   tau_p dPf/dt = Ps + tau_z dPs/dt - Pf, firing rate
//   f_as = (f_min + f_max exp((Pf - Pn)/k_a)) / (1 + exp((Pf - Pn)/k_a)).
// Efferent: f_es = f_es,inf + (f_es,0 - f_es,inf) exp(-k_es f_as)  (sympathetic),
//           f_ev = (f_ev,0 + f_ev,inf exp((f_as - f_as,0)/k_ev)) / (1 + exp((f_as - f_as,0)/k_ev)).
// Effector activity: sympathetic sigma = ln(f_es - f_es,min + 1) (0 below f_es,min), vagal f_ev,
// each read after the effector's pure delay D from EfferentHistory.
#pragma once

#include <algorithm>
#include <cmath>
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

// Past efferent activity sampled on a uniform grid, anchor + k * interval (k = 1, 2, ...), for the
// effectors' pure delays. Storage is allocated once in reset(); push() and the look-ups never
// allocate. A look-up depends only on the time asked for and the samples around it, never on how
// many newer samples have been pushed since, so that its result does not depend on when the
// simulation happened to record them.
class EfferentHistory {
 public:
  // Clears the history and treats all past time as resting activity. The grid starts at anchor_s.
  void reset(double anchor_s, double sample_interval_s, double longest_delay_s,
             EfferentActivity rest);
  // Time of grid sample k.
  double sample_time(long k) const { return anchor_s_ + static_cast<double>(k) * interval_s_; }
  // Index of the newest sample (0 when none has been pushed).
  long newest_index() const { return newest_; }
  // Records sample k = newest_index() + 1.
  void push(long k, EfferentActivity a);
  // Activity at time t (linear interpolation between grid samples; before the oldest sample kept:
  // rest; after the newest: the newest).
  EfferentActivity at(double t_s) const;  // inline below: every right-hand side calls it
  // Moves the grid by dt (a run that starts at t = 0 from a state reached at t = -dt).
  void shift_time(double dt_s) { anchor_s_ += dt_s; }
  double interval_s() const { return interval_s_; }
  // Numbers the history holds (two per slot): what a saved State's delay line must have.
  std::size_t size() const { return ring_.size(); }

  // Everything that defines the history, for saving and restoring a simulation's State. A
  // visitor that writes into the history (Visitor::reading) has the derived values refreshed; one
  // that only reads changes nothing.
  template <class Visitor>
  void visit(Visitor& v) {
    v("anchor_s", anchor_s_);
    v("interval_s", interval_s_);
    v("newest_index", newest_);
    v("rest_sympathetic", rest_.sympathetic);
    v("rest_vagal", rest_.vagal);
    v("ring", ring_);
    if constexpr (Visitor::reading) {
      per_interval_ = interval_s_ > 0 ? 1.0 / interval_s_ : 0.0;
      mask_ = ring_.size() >= 2 ? ring_.size() / 2 - 1 : 0;
    }
  }

 private:
  // Sample k is at ring_[2 (k mod n)] (sympathetic) and ring_[2 (k mod n) + 1] (vagal); n, the
  // number of slots, is a power of two so that k mod n is k & mask_ (no division in the look-up).
  std::vector<double> ring_;
  std::size_t mask_ = 0;
  double anchor_s_ = 0;
  double interval_s_ = 0;
  double per_interval_ = 0;  // 1 / interval_s_ (the look-up runs in every right-hand side)
  long newest_ = 0;
  EfferentActivity rest_;
};

inline EfferentActivity EfferentHistory::at(double t_s) const {
  const double x = (t_s - anchor_s_) * per_interval_;  // position on the grid
  if (x >= static_cast<double>(newest_)) {
    if (newest_ == 0) return rest_;
    const std::size_t i = 2 * (static_cast<std::size_t>(newest_) & mask_);
    return {ring_[i], ring_[i + 1]};
  }
  const double floor_x = std::floor(x);
  const long k = static_cast<long>(floor_x);
  // Both neighbours must still be held (k >= 1: sample 0 is the rest before the first push).
  if (k < 1 || k <= newest_ - static_cast<long>(mask_ + 1)) return rest_;
  const double w = x - floor_x;
  const std::size_t ia = 2 * (static_cast<std::size_t>(k) & mask_);
  const std::size_t ib = 2 * (static_cast<std::size_t>(k + 1) & mask_);
  return {ring_[ia] + w * (ring_[ib] - ring_[ia]),
          ring_[ia + 1] + w * (ring_[ib + 1] - ring_[ia + 1])};
}

}  // namespace unload::physio
