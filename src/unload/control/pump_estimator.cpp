#include "unload/control/pump_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

#include "unload/core/error.hpp"
#include "unload/core/units.hpp"

namespace unload::control {

std::string_view placement_name(Placement p) {
  constexpr std::string_view names[kPlacementCount] = {"unknown", "correct", "ventricle", "aorta",
                                                       "signal_blocked"};
  return names[static_cast<std::size_t>(p)];
}

namespace detail {

template <std::size_t N>
void SignalWindows<N>::drop_oldest(MeanSums& w) {
  const std::size_t o = oldest(w.count);
  for (std::size_t c = 0; c < 2; ++c) w.sum[c] -= x_[kFlowChannels[c]][o];
  --w.count;
}

template <std::size_t N>
void SignalWindows<N>::drop_oldest(TrendSums& w) {
  const std::size_t o = oldest(w.count);
  const double tr = t_[o] - w.origin;
  for (std::size_t c = 0; c < 2; ++c) {
    const double x = x_[kPulseChannels[c]][o];
    w.sum[c] -= x;
    w.sum2[c] -= x * x;
    w.sum_tx[c] -= tr * x;
  }
  w.sum_t -= tr;
  w.sum_t2 -= tr * tr;
  --w.count;
}

template <std::size_t N>
void SignalWindows<N>::add(MeanSums& w, std::size_t i) {
  for (std::size_t c = 0; c < 2; ++c) w.sum[c] += x_[kFlowChannels[c]][i];
  ++w.count;
}

template <std::size_t N>
void SignalWindows<N>::add(TrendSums& w, std::size_t i) {
  const double tr = t_[i] - w.origin;
  for (std::size_t c = 0; c < 2; ++c) {
    const double v = x_[kPulseChannels[c]][i];
    w.sum[c] += v;
    w.sum2[c] += v * v;
    w.sum_tx[c] += tr * v;
  }
  w.sum_t += tr;
  w.sum_t2 += tr * tr;
  ++w.count;
}

template <std::size_t N>
void SignalWindows<N>::push(double t, const std::array<double, kChannels>& x, double flow_window_s,
                            double pulse_window_s) {
  // Each window drops what left it, before the ring's oldest slot is written over.
  while (flow_.count > 0 && t_[oldest(flow_.count)] <= t - flow_window_s) drop_oldest(flow_);
  if (flow_.count == N) drop_oldest(flow_);
  if (flow_.count == 0) flow_.sum.fill(0.0);
  while (pulse_.count > 0 && t_[oldest(pulse_.count)] <= t - pulse_window_s) drop_oldest(pulse_);
  if (pulse_.count == N) drop_oldest(pulse_);
  if (pulse_.count == 0) {
    pulse_.origin = t;
    pulse_.sum.fill(0.0);
    pulse_.sum2.fill(0.0);
    pulse_.sum_tx.fill(0.0);
    pulse_.sum_t = pulse_.sum_t2 = 0.0;
  }
  t_[head_] = t;
  for (std::size_t c = 0; c < kChannels; ++c) x_[c][head_] = x[c];
  add(flow_, head_);
  add(pulse_, head_);
  head_ = (head_ + 1) % N;
  // Once per wrap the running sums are summed again from the samples, so they cannot drift.
  if (head_ == 0) resum();
}

template <std::size_t N>
void SignalWindows<N>::resum() {
  const std::size_t flow_count = std::exchange(flow_.count, 0);
  flow_.sum.fill(0.0);
  for (std::size_t j = 0, i = oldest(flow_count); j < flow_count; ++j, i = (i + 1) % N) {
    add(flow_, i);
  }
  const std::size_t pulse_count = std::exchange(pulse_.count, 0);
  const std::size_t first = oldest(pulse_count);
  pulse_.sum.fill(0.0);
  pulse_.sum2.fill(0.0);
  pulse_.sum_tx.fill(0.0);
  pulse_.sum_t = pulse_.sum_t2 = 0.0;
  pulse_.origin = t_[first];
  for (std::size_t j = 0, i = first; j < pulse_count; ++j, i = (i + 1) % N) add(pulse_, i);
}

template <std::size_t N>
std::array<double, 2> SignalWindows<N>::pulse_deviations_about_trend() const {
  const TrendSums& w = pulse_;
  std::array<double, 2> out{};
  if (w.count < 2) return out;
  const double per_n = 1.0 / static_cast<double>(w.count);
  const double mt = w.sum_t * per_n;
  const double vt = w.sum_t2 * per_n - mt * mt;
  const double per_vt = vt > 0.0 ? 1.0 / vt : 0.0;
  for (std::size_t c = 0; c < 2; ++c) {
    const double mx = w.sum[c] * per_n;
    const double cov = w.sum_tx[c] * per_n - mt * mx;
    const double residual = w.sum2[c] * per_n - mx * mx - cov * cov * per_vt;
    out[c] = std::sqrt(std::max(0.0, residual));
  }
  return out;
}

template class SignalWindows<PumpEstimator::kWindowSamples>;

}  // namespace detail

namespace {

// save_state/load_state: one visitor over every number of the state.
struct Saver {
  std::vector<double>& out;
  template <class T>
  void operator()(const T& v) {
    if constexpr (std::is_enum_v<T>) {
      out.push_back(static_cast<double>(static_cast<int>(v)));
    } else {
      out.push_back(static_cast<double>(v));
    }
  }
  template <class T, std::size_t M>
  void operator()(const std::array<T, M>& a) {
    for (const auto& v : a) (*this)(v);
  }
  // The sample windows in one copy each (this runs at every restart of the integrator: each beat).
  template <std::size_t M>
  void operator()(const std::array<double, M>& a) {
    out.insert(out.end(), a.begin(), a.end());
  }
};

struct Loader {
  std::span<const double> in;
  std::size_t at = 0;
  double next() {
    if (at >= in.size()) throw InputError("pump estimator: the saved state is too short");
    return in[at++];
  }
  template <class T>
  void operator()(T& v) {
    const double x = next();
    if constexpr (std::is_same_v<T, bool>) {
      v = x != 0.0;
    } else if constexpr (std::is_enum_v<T>) {
      if (!(x >= 0 && x < kPlacementCount)) {
        throw InputError("pump estimator: the saved state holds an unknown placement");
      }
      v = static_cast<T>(static_cast<int>(x));
    } else if constexpr (std::is_integral_v<T>) {
      if (!(x >= 0 && x < 1e15)) throw InputError("pump estimator: the saved state does not fit");
      v = static_cast<T>(x);
    } else {
      v = x;
    }
  }
  template <class T, std::size_t M>
  void operator()(std::array<T, M>& a) {
    for (auto& v : a) (*this)(v);
  }
};

struct Counter {
  std::size_t n = 0;
  template <class T>
  void operator()(const T&) {
    ++n;
  }
  template <class T, std::size_t M>
  void operator()(const std::array<T, M>& a) {
    for (const auto& v : a) (*this)(v);
  }
};

}  // namespace

template <class Self, class F>
void PumpEstimator::visit(Self& s, F&& f) {
  auto& e = s.est_;
  for (auto* v :
       {&e.flow_L_min, &e.instantaneous_flow_mL_s, &e.lv_pressure_mmHg, &e.lvedp_mmHg, &e.map_mmHg,
        &e.native_flow_L_min, &e.total_flow_L_min, &e.cpo_W, &e.current_pulsatility_mA,
        &e.placement_pulse_mmHg, &e.placement_variation, &e.heart_rate_bpm, &e.last_beat_s}) {
    f(*v);
  }
  for (auto* b : {&e.flow_valid, &e.lvedp_valid, &e.map_valid, &e.native_ejection, &e.cpo_valid,
                  &e.cpo_lower_bound, &e.current_pulsatile, &e.placement_pulsatile,
                  &e.placement_flat, &e.ventricular_waveform, &e.beat_detected}) {
    f(*b);
  }
  f(e.placement);
  f(e.beats);
  f(s.t_);
  f(s.p_);
  f(s.w_);
  f(s.q_);
  f(s.samples_);
  f(s.lv_);
  f(s.lv_t_);
  f(s.lv_head_);
  f(s.lv_count_);
  f(s.beat_max_gradient_);
  f(s.ejecting_);
  f(s.beat_lvedp_);
  f(s.beat_ejected_);
  f(s.lvedp_head_);
  f(s.lvedp_count_);
  f(s.ejected_head_);
  f(s.ejected_count_);
  f(s.upstroke_level_);
  f(s.segment_min_);
  f(s.segment_max_);
  f(s.segment_start_s_);
  f(s.candidate_);
  f(s.candidate_since_s_);
  decltype(s.windows_)::visit(s.windows_, f);
}

PumpEstimator::PumpEstimator(const PumpCharacteristic& pump, const EstimatorSettings& settings)
    : pump_(pump),
      settings_(settings),
      inertia_torque_(pump.curves.rotor_inertia / PumpCurves::acceleration_per_torque) {
  if (!(settings_.lvedp_beats >= 1 && settings_.lvedp_beats <= static_cast<int>(kMaxBeats))) {
    throw InputError("pump estimator: lvedp_beats must be 1 to " + std::to_string(kMaxBeats));
  }
}

std::size_t PumpEstimator::state_size() const {
  Counter c;
  visit(*this, c);
  return c.n;
}

void PumpEstimator::save_state(std::vector<double>& out) const {
  Saver s{out};
  visit(*this, s);
}

std::span<const double> PumpEstimator::load_state(std::span<const double> in) {
  PumpEstimator copy = *this;
  Loader l{in};
  visit(copy, l);
  if (copy.lv_head_ >= kHistory || copy.lv_count_ > kHistory || copy.lvedp_head_ >= kMaxBeats ||
      copy.lvedp_count_ > kMaxBeats || copy.ejected_head_ >= kMaxBeats ||
      copy.ejected_count_ > kMaxBeats || !copy.windows_.consistent()) {
    throw InputError("pump estimator: the saved state does not fit");
  }
  *this = copy;
  return in.subspan(l.at);
}

void PumpEstimator::update(const SignalFrame& frame, bool classify_now) {
  const double t = frame.t_s;
  const double p = frame[Signal::placement_signal_mmHg];
  const double current = frame[Signal::motor_current_mA];
  const double w = frame[Signal::motor_speed_rpm] / 1000.0;
  est_.beat_detected = false;
  // A sample with a missing signal is skipped (a failed sensor is the alarms' business), and so
  // is one that does not come after the last (differences need time to move on).
  if (!std::isfinite(p) || !std::isfinite(current) || !std::isfinite(w) || !std::isfinite(t) ||
      (samples_ > 0 && !(t > t_[0]))) {
    est_.flow_valid = false;
    return;
  }
  for (auto* a : {&t_, &p_, &w_, &q_}) {
    (*a)[2] = (*a)[1];
    (*a)[1] = (*a)[0];
  }
  t_[0] = t;
  p_[0] = p;
  w_[0] = w;
  ++samples_;

  // Pump flow from the rotor's torque balance.
  const PumpCurves& c = pump_.curves;
  const bool turning = std::abs(w) * 1000.0 >= settings_.minimum_speed_rpm;
  double q = 0.0;
  if (turning) {
    const double dwdt = samples_ >= 2 ? (w_[0] - w_[1]) / (t_[0] - t_[1]) : 0.0;
    const double hydraulic =
        c.motor_torque_mN_m(current) - c.friction_torque_mN_m(w) - inertia_torque_ * dwdt;
    q = c.flow_of_hydraulic_torque_mL_s(w, hydraulic);
  }
  q_[0] = q;
  est_.instantaneous_flow_mL_s = q;
  using Windows = decltype(windows_);
  windows_.push(t, {q, p, current}, settings_.flow_window_s, settings_.pulsatility_window_s);
  est_.flow_valid = turning;
  est_.flow_L_min = windows_.flow_mean(Windows::flow) * units::mL_per_s_to_L_per_min;
  est_.map_mmHg = windows_.flow_mean(Windows::placement);

  if (turning && samples_ >= 3) estimate_lv_pressure();
  if (classify_now) classify(t);

  // What the beats give (their means are taken at each beat, in end_beat).
  const bool beating = est_.beats > 0 && t - est_.last_beat_s <= settings_.beat_timeout_s;
  est_.lvedp_valid = beating && est_.placement == Placement::correct;
  est_.native_ejection = beating && ejecting_;
  est_.native_flow_L_min = est_.native_ejection ? std::numeric_limits<double>::quiet_NaN() : 0.0;
  est_.total_flow_L_min = est_.flow_L_min;
  est_.map_valid = est_.placement == Placement::correct || est_.placement == Placement::aorta;
  est_.cpo_W = est_.map_mmHg * est_.total_flow_L_min * (1.0 / units::cardiac_power_divisor);
  est_.cpo_valid = est_.map_valid && est_.flow_valid;
  est_.cpo_lower_bound = est_.native_ejection;
}

void PumpEstimator::estimate_lv_pressure() {
  const PumpCurves& c = pump_.curves;
  const double dqdt = (q_[0] - q_[2]) / (t_[0] - t_[2]);
  const double lv = p_[1] - c.head_mmHg(w_[1], q_[1]) + c.inertance * dqdt;
  est_.lv_pressure_mmHg = lv;
  const double t = t_[1];
  const std::size_t newest = lv_head_;
  const bool have_previous = lv_count_ > 0;
  lv_[newest] = lv;
  lv_t_[newest] = t;
  lv_head_ = (lv_head_ + 1) % kHistory;
  lv_count_ = std::min(lv_count_ + 1, kHistory);
  beat_max_gradient_ = std::max(beat_max_gradient_, lv - p_[1]);
  if (!have_previous) return;

  const auto slope = [&](std::size_t i) {
    const std::size_t before = (i + kHistory - 1) % kHistory;
    return (lv_[i] - lv_[before]) / (lv_t_[i] - lv_t_[before]);
  };
  const double below = lv_[(newest + kHistory - 1) % kHistory];
  segment_min_ = std::min(segment_min_, lv);
  segment_max_ = std::max(segment_max_, lv);
  // The upstroke crosses the level halfway between the last beat's lowest and highest LV
  // pressures (set again from the pressures seen when no beat has come for beat_timeout_s).
  const bool crossing = below < upstroke_level_ && lv >= upstroke_level_ &&
                        slope(newest) > settings_.upstroke_slope_mmHg_s &&
                        (est_.beats == 0 || t - est_.last_beat_s >= settings_.refractory_s);
  const double since =
      est_.beats > 0 ? std::max(est_.last_beat_s, segment_start_s_) : segment_start_s_;
  if (!crossing) {
    if (t - since > settings_.beat_timeout_s) new_segment(t);
    return;
  }
  // The foot of the upstroke: walk back while the slope before a sample is still steep.
  std::size_t foot = newest;
  for (std::size_t back = 1; back + 1 < lv_count_; ++back) {
    if (t - lv_t_[(foot + kHistory - 1) % kHistory] > settings_.foot_search_s) break;
    if (slope(foot) <= settings_.foot_slope_mmHg_s) break;
    foot = (foot + kHistory - 1) % kHistory;
  }
  end_beat(t, lv_[foot]);
  new_segment(t);
}

void PumpEstimator::new_segment(double t) {
  // The next upstroke's level, from the pressures since the last beat (none: no pulse to find).
  upstroke_level_ = segment_max_ - segment_min_ >= settings_.minimum_pulse_mmHg
                        ? 0.5 * (segment_min_ + segment_max_)
                        : std::numeric_limits<double>::infinity();
  segment_min_ = std::numeric_limits<double>::infinity();
  segment_max_ = -std::numeric_limits<double>::infinity();
  segment_start_s_ = t;
}

void PumpEstimator::end_beat(double t, double lvedp) {
  // The beat that ends here ejected if the LV pressure reached the outlet's pressure.
  if (est_.beats > 0) {
    beat_ejected_[ejected_head_] =
        beat_max_gradient_ >= -settings_.ejection_margin_mmHg ? 1.0 : 0.0;
    ejected_head_ = (ejected_head_ + 1) % kMaxBeats;
    ejected_count_ = std::min(ejected_count_ + 1, kMaxBeats);
    est_.heart_rate_bpm = 60.0 / (t - est_.last_beat_s);
  }
  beat_max_gradient_ = -std::numeric_limits<double>::infinity();
  beat_lvedp_[lvedp_head_] = lvedp;
  lvedp_head_ = (lvedp_head_ + 1) % kMaxBeats;
  lvedp_count_ = std::min(lvedp_count_ + 1, kMaxBeats);
  est_.last_beat_s = t;
  ++est_.beats;
  est_.beat_detected = true;
  // The last beats' mean LVEDP, and whether most of them ejected.
  const auto last = static_cast<std::size_t>(settings_.lvedp_beats);
  const std::size_t n = std::min(lvedp_count_, last), m = std::min(ejected_count_, last);
  double sum = 0.0, ejected = 0.0;
  for (std::size_t j = 0; j < n; ++j)
    sum += beat_lvedp_[(lvedp_head_ + kMaxBeats - 1 - j) % kMaxBeats];
  for (std::size_t j = 0; j < m; ++j) {
    ejected += beat_ejected_[(ejected_head_ + kMaxBeats - 1 - j) % kMaxBeats];
  }
  est_.lvedp_mmHg = sum / static_cast<double>(n);
  ejecting_ = m > 0 && 2.0 * ejected > static_cast<double>(m);
}

void PumpEstimator::classify(double t) {
  const EstimatorSettings& s = settings_;
  const auto deviations = windows_.pulse_deviations_about_trend();
  est_.current_pulsatility_mA = deviations[0];
  est_.placement_pulse_mmHg = deviations[1];
  const double mean = windows_.pulse_mean(decltype(windows_)::placement);
  est_.placement_variation = mean > 0.0 ? est_.placement_pulse_mmHg / mean : 0.0;
  // Until the window holds its full span, nothing is known.
  if (windows_.pulse_span_s() < 0.9 * s.pulsatility_window_s) return;
  const auto hysteresis = [](bool& flag, double x, double on, double off) {
    flag = flag ? x > off : x > on;
  };
  hysteresis(est_.current_pulsatile, est_.current_pulsatility_mA, s.current_pulsatile_mA,
             s.current_flat_mA);
  hysteresis(est_.placement_pulsatile, est_.placement_pulse_mmHg, s.placement_pulsatile_mmHg,
             s.placement_damped_mmHg);
  hysteresis(est_.placement_flat, -est_.placement_pulse_mmHg, -s.placement_blocked_mmHg,
             -s.placement_unblocked_mmHg);
  hysteresis(est_.ventricular_waveform, est_.placement_variation, s.ventricular_variation,
             s.aortic_variation);
  Placement now = Placement::unknown;
  if (est_.current_pulsatile) {
    now = est_.placement_flat         ? Placement::signal_blocked
          : est_.ventricular_waveform ? Placement::ventricle
                                      : Placement::correct;
  } else if (est_.placement_pulsatile) {
    now = est_.ventricular_waveform ? Placement::ventricle : Placement::aorta;
  }
  if (now != candidate_) {
    candidate_ = now;
    candidate_since_s_ = t;
  }
  if (est_.placement != candidate_ && t - candidate_since_s_ >= s.placement_persistence_s) {
    est_.placement = candidate_;
  }
}

}  // namespace unload::control
