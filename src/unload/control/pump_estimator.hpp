// What the console of a micro-axial pump (Impella-type) estimates from the pump's own signals: it
// has no flow sensor and no LV pressure sensor, only the placement signal (pressure at the outlet
// area), the motor current and the rotor speed, at each control tick (100 Hz).
//
// Reads:  SignalFrame (placement_signal_mmHg P, motor_current_mA I, motor_speed_rpm w) of its
//         pump, one per control tick; and the pump's bench characteristic (PumpCharacteristic,
//         the laws of core/pump_characteristic.hpp with the pump's coefficients).
// Writes: PumpEstimates (nothing is commanded here: the console decides what to do with them).
//
// Pump flow (no flow sensor: the motor is the flow meter). At sample k, the torque balance of
// the rotor gives the hydraulic torque, and the pump's torque law gives the flow:
//   T_m = (I - I_0) k_t / 1000                        motor torque from the current
//   T_h = T_m - T_f(w) - J dw/dt                      dw/dt: backward difference of the speed
//   Q   = root of T_h = kappa/eta_v * Q (a|w| + b Q)  (PumpCurves::flow_of_hydraulic_torque)
// The displayed flow is the mean of Q over the last `flow_window_s` (a time window of samples,
// as the real console shows a flow averaged over several beats); valid while the rotor turns
// faster than `minimum_speed_rpm` (a stopped rotor carries no torque information).
//
// LV pressure (the pump's pressure head between its inlet, in the LV, and its outlet, whose
// pressure is the placement signal when placed correctly; Abiomed US10376162, Chang et al.
// PMC6530904 use the same idea):
//   P_lv(k-1) = P(k-1) - H(w(k-1), Q(k-1)) + L (Q(k) - Q(k-2)) / (t(k) - t(k-2))
// (the inertance term by a central difference, so the LV pressure is one tick behind). Beats are
// found on this estimate: an upstroke crosses the level halfway between the lowest and highest
// LV pressures of the previous beat, rising faster than `upstroke_slope_mmHg_s`, at least
// `refractory_s` after the previous upstroke (so the rise of early filling, which stays below
// halfway, is no beat). Without a beat for `beat_timeout_s`, the level is set again from the
// pressures seen meanwhile, if they span at least `minimum_pulse_mmHg`. The upstroke's foot, the
// last sample before it whose slope was below `foot_slope_mmHg_s` (looking back at most
// `foot_search_s`), is end-diastole, and the LV pressure there is that beat's LVEDP. The LVEDP
// shown is the mean over the last `lvedp_beats` beats, valid while beats come (none for
// `beat_timeout_s`: not valid) and the pump is placed correctly.
//
// MAP: the mean placement signal over the flow window (the aortic pressure when the outlet area
// lies in the aorta: valid when the placement is correct or in the aorta).
//
// Native output. With the aortic valve shut all the patient's output passes through the pump; the
// valve opens when the LV pressure reaches the aortic pressure. A beat ejects natively when the
// estimated LV pressure comes within `ejection_margin_mmHg` of the placement signal during the
// beat; over the last `lvedp_beats` beats, if most do not eject, native output is 0 and total
// output = pump flow (exact); if most do, the native output's size cannot be measured from these
// signals (the placement signal gives pressure, not flow): native_flow_L_min is NaN,
// native_ejection is true, total flow = pump flow and the CPO is a lower bound
// (cpo_lower_bound).
//   CPO = MAP * total flow / 451   (W; Fincke et al., JACC 2004;44:340)
//
// Placement (from the waveforms over the last `pulsatility_window_s`: each signal's standard
// deviation sigma about the window's straight-line trend, so that a slow drift is no pulse, and
// the placement signal's mean mu), each flag with hysteresis (set above the first threshold,
// cleared below the second):
//   current pulsatile    sigma_I > `current_pulsatile_mA`          (< `current_flat_mA`)
//   native pulse         sigma_P > `placement_pulsatile_mmHg`      (< `placement_damped_mmHg`)
//   signal flat          sigma_P < `placement_blocked_mmHg`        (> `placement_unblocked_mmHg`)
//   ventricular waveform sigma_P / mu > `ventricular_variation`    (< `aortic_variation`): a
//                        ventricular pressure swings from near 0 to systolic, an aortic one
//                        stays near its mean
//   current pulsatile:   signal flat -> signal_blocked; ventricular -> ventricle; else correct
//   current flat:        native pulse -> ventricle (ventricular waveform) or aorta;
//                        else unknown (low native pulsatility: both damped)
// The current pulses only while the pump lies across the valve (its inlet and outlet see
// different pressures); with the pump carrying the whole output the aortic pulse can be under
// 1 mmHg (sigma 0.27 mmHg for the 5.5 at P-9 in shock), so a placement signal counts as flat,
// with a pulsing current, only when it is flatter than any circulation keeps it.
// A new class is shown once it has been the candidate for `placement_persistence_s` without
// interruption; until the window is first full the placement is unknown.
//
// Cost: update() is a few tens of flops and allocates nothing (fixed-size ring buffers; their
// running sums are recomputed exactly once per wrap, so that they do not drift).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "unload/core/pump_characteristic.hpp"
#include "unload/core/signals.hpp"

namespace unload::control {

// What the console knows of its pump: the manufacturer's bench characterisation.
struct PumpCharacteristic {
  std::string kind;          // "impella-cp"
  std::string display_name;  // "Impella CP"
  PumpCurves curves;
  std::array<double, 10> level_rpm{};  // P-0 .. P-9 (rpm); levels above highest_level unused
  double boost_rpm = 0;
  int highest_level = 8;
};

// The console's own parameters for estimation: no values here, they come from
// data/console/impella.toml, each with its reasoning (io::load_estimator_settings(); see the
// header comment for what each does).
struct EstimatorSettings {
  double flow_window_s = 0;
  double minimum_speed_rpm = 0;
  double upstroke_slope_mmHg_s = 0;
  double minimum_pulse_mmHg = 0;
  double foot_slope_mmHg_s = 0;
  double foot_search_s = 0;
  double refractory_s = 0;
  double beat_timeout_s = 0;
  int lvedp_beats = 0;
  double ejection_margin_mmHg = 0;
  double pulsatility_window_s = 0;
  double current_pulsatile_mA = 0;
  double current_flat_mA = 0;
  double placement_pulsatile_mmHg = 0;
  double placement_damped_mmHg = 0;
  double placement_blocked_mmHg = 0;
  double placement_unblocked_mmHg = 0;
  double ventricular_variation = 0;
  double aortic_variation = 0;
  double placement_persistence_s = 0;
};

enum class Placement : std::uint8_t { unknown, correct, ventricle, aorta, signal_blocked };
inline constexpr int kPlacementCount = 5;
// "unknown", "correct", "ventricle", "aorta", "signal_blocked".
std::string_view placement_name(Placement p);

struct PumpEstimates {
  // Pump flow: shown (mean over the flow window) and at the last sample.
  double flow_L_min = 0;
  bool flow_valid = false;
  double instantaneous_flow_mL_s = 0;
  // LV pressure at the previous sample (one tick behind), and end-diastolic.
  double lv_pressure_mmHg = 0;
  double lvedp_mmHg = 0;
  bool lvedp_valid = false;
  // Mean placement signal over the flow window; valid when it is aortic.
  double map_mmHg = 0;
  bool map_valid = false;
  // Native output: 0 when the valve stays shut, NaN when the ventricle ejects (not measurable).
  double native_flow_L_min = 0;
  bool native_ejection = false;
  double total_flow_L_min = 0;
  double cpo_W = 0;
  bool cpo_valid = false;
  bool cpo_lower_bound = false;  // the ventricle ejects: CPO counts the pump's flow only
  // Placement and its inputs (standard deviations over the pulsatility window).
  Placement placement = Placement::unknown;
  double current_pulsatility_mA = 0;
  double placement_pulse_mmHg = 0;
  double placement_variation = 0;  // sigma_P / mu
  bool current_pulsatile = false, placement_pulsatile = false, placement_flat = false,
       ventricular_waveform = false;
  // Beats: a beat's upstroke was found at this update; beats so far; rate from the last interval.
  bool beat_detected = false;
  long beats = 0;
  double heart_rate_bpm = 0;
  double last_beat_s = 0;
};

namespace detail {

// The estimator's signals over the last N samples, in one ring (times, flow, placement signal,
// current), and two windows over its newest samples: the flow window (the last
// `flow_window_s`: running sums of the flow and the placement signal, for their means) and the
// pulse window (the last `pulse_window_s`: running sums, sums of squares and sums of products with
// time of the current and the placement signal, for their deviations about a trend). Pushing a
// sample drops from each window the samples that left it (or the oldest when it holds N).
template <std::size_t N>
class SignalWindows {
 public:
  enum Channel : std::size_t { flow, placement, current, kChannels };
  void push(double t, const std::array<double, kChannels>& x, double flow_window_s,
            double pulse_window_s);
  // Means over the flow window (flow or placement) and over the pulse window (current or
  // placement).
  // (The reciprocal first: it does not wait for the sums, so only a product is left at the end of
  // the estimator's chain of dependent operations.)
  double flow_mean(Channel c) const { return flow_.sum[c == flow ? 0 : 1] * (1.0 / count(flow_)); }
  double pulse_mean(Channel c) const {
    return pulse_.sum[c == current ? 0 : 1] * (1.0 / count(pulse_));
  }
  double pulse_span_s() const {
    return pulse_.count ? t_[(head_ + N - 1) % N] - t_[oldest(pulse_.count)] : 0.0;
  }
  // The current's and the placement signal's standard deviations about the pulse window's
  // least-squares line in time (a slow drift, such as a ventricle emptying after VF sets in, is no
  // pulsatility).
  std::array<double, 2> pulse_deviations_about_trend() const;
  // Every number of its state, for save_state/load_state.
  template <class Self, class F>
  static void visit(Self& self, F&& f) {
    f(self.t_);
    for (auto& x : self.x_) f(x);
    f(self.head_);
    f(self.flow_.sum);
    f(self.flow_.count);
    f(self.pulse_.sum);
    f(self.pulse_.sum2);
    f(self.pulse_.sum_tx);
    f(self.pulse_.sum_t);
    f(self.pulse_.sum_t2);
    f(self.pulse_.origin);
    f(self.pulse_.count);
  }
  // Whether the counts fit the ring (for load_state).
  bool consistent() const { return head_ < N && flow_.count <= N && pulse_.count <= N; }

 private:
  // The flow window: flow, placement signal. The pulse window: current, placement signal.
  static constexpr std::array<Channel, 2> kFlowChannels{flow, placement};
  static constexpr std::array<Channel, 2> kPulseChannels{current, placement};
  struct MeanSums {
    std::array<double, 2> sum{};
    std::size_t count = 0;
  };
  struct TrendSums {
    std::array<double, 2> sum{}, sum2{}, sum_tx{};
    double sum_t = 0, sum_t2 = 0;
    double origin = 0;  // the sums' time origin (moved to the oldest sample at each wrap)
    std::size_t count = 0;
  };
  template <class W>
  static double count(const W& w) {
    return static_cast<double>(w.count);
  }
  std::size_t oldest(std::size_t count) const { return (head_ + N - count) % N; }
  // Adds slot i of the ring to a window's sums, or drops the window's oldest sample from them.
  void add(MeanSums& w, std::size_t i);
  void add(TrendSums& w, std::size_t i);
  void drop_oldest(MeanSums& w);
  void drop_oldest(TrendSums& w);
  void resum();
  std::array<double, N> t_{};
  std::array<std::array<double, N>, kChannels> x_{};
  std::size_t head_ = 0;  // next slot
  MeanSums flow_;
  TrendSums pulse_;
};

}  // namespace detail

class PumpEstimator {
 public:
  static constexpr std::size_t kWindowSamples = 1024;  // 10.24 s at 100 Hz
  static constexpr std::size_t kHistory = 32;          // LV pressure samples kept for the foot
  static constexpr std::size_t kMaxBeats = 16;         // per-beat values kept (LVEDP, ejection)

  PumpEstimator(const PumpCharacteristic& pump, const EstimatorSettings& settings);

  // One sample of the pump's signals (frames in time order). The placement is classified again
  // only when `classify_now` is set (the console does it at its rule ticks; the pulsatility windows
  // take every sample either way).
  void update(const SignalFrame& frame, bool classify_now = true);
  const PumpEstimates& estimates() const { return est_; }
  const PumpCharacteristic& pump() const { return pump_; }
  const EstimatorSettings& settings() const { return settings_; }

  // Everything that makes its future estimates, as numbers (appended; always state_size()
  // numbers); load_state reads exactly that many from the front of `in` and returns the rest
  // (InputError when `in` is shorter or holds a value that does not fit).
  std::size_t state_size() const;
  void save_state(std::vector<double>& out) const;
  std::span<const double> load_state(std::span<const double> in);

 private:
  template <class Self, class F>
  static void visit(Self& self, F&& f);
  void estimate_lv_pressure();
  void end_beat(double t, double lvedp);
  void new_segment(double t);
  void classify(double t);

  PumpCharacteristic pump_;
  EstimatorSettings settings_;
  double inertia_torque_ = 0;  // J / (krpm/s per mN*m / g*cm^2): torque per rotor acceleration
  PumpEstimates est_;

  // The last three samples (k, k-1, k-2): time, placement signal, speed (krpm), flow (mL/s).
  std::array<double, 3> t_{}, p_{}, w_{}, q_{};
  long samples_ = 0;
  // Estimated LV pressure history (ring), its times, and where the next one goes.
  std::array<double, kHistory> lv_{}, lv_t_{};
  std::size_t lv_head_ = 0, lv_count_ = 0;
  // The beat under way: the highest LV - placement pressure difference seen.
  double beat_max_gradient_ = 0;
  // Beat detection: the level an upstroke crosses, and the lowest and highest LV pressures since
  // the segment (the last beat, or the last look without beats) began.
  double upstroke_level_ = std::numeric_limits<double>::infinity();
  double segment_min_ = std::numeric_limits<double>::infinity();
  double segment_max_ = -std::numeric_limits<double>::infinity();
  double segment_start_s_ = 0;
  // Last beats: LVEDP and whether they ejected (rings).
  std::array<double, kMaxBeats> beat_lvedp_{}, beat_ejected_{};
  std::size_t lvedp_head_ = 0, lvedp_count_ = 0, ejected_head_ = 0, ejected_count_ = 0;
  bool ejecting_ = false;  // most of the last beats ejected
  // Placement: the candidate class and since when it has been the candidate.
  Placement candidate_ = Placement::unknown;
  double candidate_since_s_ = 0;
  detail::SignalWindows<kWindowSamples> windows_;  // Q (mL/s), placement signal, current
};

}  // namespace unload::control
