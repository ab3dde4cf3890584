#include "unload/physio/circulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

#include "unload/core/error.hpp"
#include "unload/core/units.hpp"

namespace unload::physio {

namespace {

// A territory's oxygen debt as its stunned wall feels it, De = max(D, 0) (1 + S) (docs/model.md
// 2.9): what its contraction, stiffening, relaxation and risk of VF follow.
inline double felt_debt(const double* y, std::size_t k) {
  return std::max(y[kOxygenDebt0 + k], 0.0) * (1.0 + y[kStunning0 + k]);
}

// Blood density (g/cm^3), a physical constant of the valve law.
constexpr double kBloodDensity = 1.06;
// A closed valve without regurgitation keeps this fraction of its open area, so that the valve law
// stays finite (numerical floor, about 1 mL/min at 80 mmHg for the aortic valve).
constexpr double kClosedAreaFloorFraction = 1e-5;
// The closed valve's effective length (Valve::closed_effective_length_cm) takes over only below
// this opening state, quadratically: the jet through a closed valve stays non-stiff (time scale l/v
// of 10-30 ms), while a closing valve decelerates its column with the open valve's inertance. With
// the linear blend over the whole stroke, a closing mitral valve kept filling for about 60 ms
// against a reversed gradient of up to 26 mmHg (issue 8); below 0.3 the onset no longer matters
// (0.05-0.3 give the same LVEDP and PCWP within 0.5 mmHg on every preset). A numerical choice.
constexpr double kClosedLengthOnset = 0.1;
constexpr double kPerClosedLengthOnset = 1.0 / kClosedLengthOnset;
// Excess flow repays an oxygen debt D at a rate scaled by D / (D + this) (s): the debt approaches 0
// without crossing it, and a territory at rest (flow within a few percent of its resting flow)
// keeps a debt of a small fraction of a second. A numerical floor, far below the debts that
// change function (seconds).
constexpr double kDebtFloor_s = 0.1;
// The part of the LV wall that has lost its contraction to ischaemia, sum of share x (1 - f), acts
// as a passive region in parallel with the contracting wall beyond this share (docs/model.md 2.9);
// up to it, it stays lumped with the contracting wall (weaker, not bulging) as before. A numerical
// floor: a territory at rest, its debt a fraction of a second, loses about 1e-4 of its function, so
// that a heart without ischaemia solves for no passive region; an occlusion passes 0.5% of the
// wall within its first seconds.
constexpr double kPassiveShareFloor = 0.005;
// Lowest bulge of that passive region (mL of normalised volume; see evaluate).
constexpr double kPassiveBulgeFloor_mL = 200.0;

// The reflex and the drugs, alone or together, never take contractility or microvascular
// resistance below this fraction of the preset's value, nor the drugs the intrinsic heart rate
// (the reflex's changes of the heart period are clamped in heart_period_s). A guard, not
// physiology: the presets' reflex gains (at most 0.33: full sympathetic withdrawal, a drive of
// about -1.1, leaves 0.64) and each drug alone at its maximum dose stay above it, but a reflex gain
// above about 0.9 (allowed up to 1.5) at full withdrawal, or nitroprusside and dobutamine both at
// their maximum doses, would take the factor to zero or below (a negative resistance or elastance,
// and the integrator stalls) without it.
constexpr double kEffectorFloor = 0.1;
// Onset of a contraction that does not happen (no atrial kick, no ventricular beat): finite, so
// that a State with it is saved and shifted in time like any other.
constexpr double kNeverOnset_s = 1e300;

// Activation e(t) of a chamber and its rate de/dt.
struct ActivationValue {
  double e;
  double rate;
};
// Each contraction's timing, computed once per beat (no divisions in the right-hand side).
ContractionTiming contraction_timing(const Activation& a, double onset_s, double scale) {
  const double tp = a.time_to_peak_s * scale;
  return {onset_s, onset_s + 1.5 * tp, std::numbers::pi / tp,
          1.0 / (a.relaxation_time_constant_s * scale)};
}
inline ActivationValue activation(const ContractionTiming& c, double t) {
  if (t < c.onset_s) return {0.0, 0.0};
  if (t <= c.rise_end_s) {
    // std::sin and std::cos of one angle (one sincos call). Caching them near a recent angle, as
    // NearbyExp does for the walls, saved instructions but not time (measured), and so did a
    // cached relaxation exponential.
    const double phase = c.phase_per_s * (t - c.onset_s) - 0.5 * std::numbers::pi;
    return {0.5 * (std::sin(phase) + 1.0), 0.5 * c.phase_per_s * std::cos(phase)};
  }
  const double e = 0.5 * std::exp(-(t - c.rise_end_s) * c.per_time_constant);
  return {e, -e * c.per_time_constant};
}

// Pressure of a wall at volume v and activation e, with dP/dV and dP/de.
struct WallPressure {
  double p;
  double dp_dv;
  double dp_de;
};
// Same, given ex = exp(lambda (v - V0)).
// p0 is the wall's passive pressure scale in force (ischaemia raises it).
inline WallPressure wall_pressure_from_exp(const Wall& w, double elastance, double p0, double v,
                                           double e, double ex) {
  const double passive = p0 * (ex - 1.0);
  const double active = elastance * (v - w.dead_volume_mL);
  return {e * active + (1.0 - e) * passive,
          e * elastance + (1.0 - e) * p0 * w.passive_stiffness_per_mL * ex, active - passive};
}

// exp(a): a Taylor polynomial when |a| is small (error below 1e-15 relative), else std::exp.
inline double small_exp(double a) {
  if (std::abs(a) < 1e-2) {
    constexpr double c3 = 1.0 / 3.0, c4 = 1.0 / 4.0, c5 = 1.0 / 5.0;
    return 1.0 + a * (1.0 + 0.5 * a * (1.0 + c3 * a * (1.0 + c4 * a * (1.0 + c5 * a))));
  }
  return std::exp(a);
}

// Valve law (see Valve): dQ/dt (mL/s^2) and dz/dt (1/s) for pressure drop dp (mmHg, upstream
// minus downstream), flow q (mL/s) and opening z. In CGS units,
//   dQ/dt = A dP / (rho l) - Q|Q| / (2 A l).
struct ValveRates {
  double dq;
  double dz;
};
inline ValveRates valve_law(const Valve& valve, const ValveConstants& k, double dp, double q,
                            double z) {
  const double zc = std::clamp(z, 0.0, 1.0);
  const double area = k.closed_area + (k.open_area - k.closed_area) * zc;
  // The closed valve's long effective length acts only near full closure (z below
  // kClosedLengthOnset): while the leaflets close, the column decelerates with the open valve's
  // inertance, so it cannot keep flowing forward against a reversed gradient.
  const double closing = zc < kClosedLengthOnset ? 1.0 - zc * kPerClosedLengthOnset : 0.0;
  const double l =
      valve.effective_length_cm +
      (valve.closed_effective_length_cm - valve.effective_length_cm) * closing * closing;
  // dQ/dt = (A dP/rho - Q|Q|/(2A)) / l and dz/dt = rate (1 - z or -z) / (1 + rate/max): both
  // quotients from one division (the right-hand side's divisions are its slowest operations).
  const double flow_numerator = area * area * dp * k.pressure_per_density - 0.5 * q * std::abs(q);
  const double flow_denominator = area * l;
  const bool opening = dp > 0;
  const double rate =
      (opening ? valve.opening_rate_per_mmHg_s : -valve.closing_rate_per_mmHg_s) * dp;
  const double opening_numerator = (opening ? 1.0 - z : -z) * rate;
  const double opening_denominator = 1.0 + rate * k.per_max_rate;
  const double inverse = 1.0 / (flow_denominator * opening_denominator);
  const double dq = flow_numerator * opening_denominator * inverse;
  const double dz = opening_numerator * flow_denominator * inverse;
  return {dq, dz};
}

inline double vessel_pressure(const Vessel& v, double volume, double external = 0.0) {
  return (volume - v.unstressed_volume_mL) / v.compliance_mL_per_mmHg + external;
}

// Volume of a wall at pressure p when relaxed (inverse of the EDPVR).
double relaxed_volume(const Wall& w, double p) {
  return w.passive_zero_volume_mL +
         std::log1p(std::max(p, 0.0) / w.passive_pressure_mmHg) / w.passive_stiffness_per_mL;
}

// A Gaussian wave of the ECG: amplitude a (mV) at time `at` (s) with width sigma (s).
inline double wave(double t, double a, double at, double sigma) {
  const double x = (t - at) / sigma;
  return x > -8.0 && x < 8.0 ? a * std::exp(-0.5 * x * x) : 0.0;
}

// The synthetic ECG lead at time t (mV); see EcgLead and docs/model.md 2.13. `ischaemic` is each
// territory's loss of function (1 - f).
double ecg_lead_mV(const EcgLead& g, const CardiacCycle& c, double t,
                   const std::array<double, territory_count>& ischaemic) {
  constexpr double two_pi = 2.0 * std::numbers::pi;
  switch (c.rhythm) {
    case Rhythm::asystole:
      return 0.0;
    case Rhythm::vf: {
      // Incommensurate sinusoids around the dominant frequency, their envelope drifting slowly:
      // irregular, never repeating, a function of time alone.
      const double f = g.vf_frequency_Hz;
      const double shape = 0.6 * std::sin(two_pi * f * t) +
                           0.3 * std::sin(two_pi * f * 1.3719 * t + 1.0) +
                           0.25 * std::sin(two_pi * f * 0.7713 * t + 2.0);
      const double envelope = 0.75 + 0.25 * std::sin(two_pi * 0.173 * t);
      return g.vf_mV * envelope * shape;
    }
    default:
      break;
  }
  double v = 0.0;
  // P waves of the atrial contractions around this beat (none in AF, VT, pacing).
  const double p_sigma = g.p_wave_duration_s / 6.0;
  for (const ContractionTiming* a : {&c.previous_atria, &c.next_atria}) {
    if (a->onset_s < kNeverOnset_s) {
      v += wave(t, g.p_wave_mV, a->onset_s + 0.5 * g.p_wave_duration_s, p_sigma);
    }
  }
  if (c.rhythm == Rhythm::af) {
    const double f = g.f_wave_frequency_Hz;
    v += g.f_wave_mV *
         (0.7 * std::sin(two_pi * f * t) + 0.3 * std::sin(two_pi * f * 1.2917 * t + 0.7));
  }
  const double r = c.beat_start_s;
  const double scale = c.ventricular_scale;
  const bool ventricular = c.rhythm == Rhythm::vt || c.rhythm == Rhythm::paced;
  const double qrs = ventricular ? g.wide_qrs_duration_s : g.qrs_duration_s;
  if (ventricular) {
    // Broad complex of ventricular origin with a discordant T wave (secondary ST-T change).
    if (c.rhythm == Rhythm::paced) v += wave(t, g.pacing_spike_mV, r + 0.002, 0.002);
    v += wave(t, 1.3 * g.r_wave_mV, r + 0.35 * qrs, qrs / 7.0);
    v += wave(t, 1.2 * g.s_wave_mV, r + 0.72 * qrs, qrs / 8.0);
  } else {
    v += wave(t, g.q_wave_mV, r + 0.15 * qrs, qrs / 14.0);
    v += wave(t, g.r_wave_mV, r + 0.42 * qrs, qrs / 10.0);
    v += wave(t, g.s_wave_mV, r + 0.7 * qrs, qrs / 12.0);
  }
  const double t_peak = r + g.t_wave_peak_s * scale;
  const double t_half = 0.5 * g.t_wave_duration_s * scale;
  v += wave(t, ventricular ? -g.t_wave_mV : g.t_wave_mV, t_peak, t_half / 3.0);
  // ST segment: the injury current of the ischaemic territories shifts it from the J point to
  // the end of the T wave (edges 10 ms wide).
  const double st =
      g.st_lad_mV * ischaemic[0] + g.st_lcx_mV * ischaemic[1] + g.st_rca_mV * ischaemic[2];
  if (st != 0.0) {
    constexpr double per_edge = 1.0 / 0.01;
    v += st * 0.5 *
         (std::tanh((t - r - qrs) * per_edge) - std::tanh((t - t_peak - t_half) * per_edge));
  }
  return v;
}

}  // namespace

std::string rhythm_with_article(Rhythm r) {
  const std::string_view name = rhythm_name(r);
  return std::string(name.starts_with('a') ? "an " : "a ") + std::string(name);
}

std::string_view rhythm_name(Rhythm r) {
  switch (r) {
    case Rhythm::sinus:
      return "sinus";
    case Rhythm::af:
      return "af";
    case Rhythm::vt:
      return "vt";
    case Rhythm::vf:
      return "vf";
    case Rhythm::asystole:
      return "asystole";
    case Rhythm::paced:
      return "paced";
  }
  return "?";
}

std::optional<Rhythm> rhythm_from_name(std::string_view name) {
  for (int i = 0; i < kRhythmCount; ++i) {
    const auto r = static_cast<Rhythm>(i);
    if (rhythm_name(r) == name) return r;
  }
  return std::nullopt;
}

void RhythmState::seed(double seed) {
  const auto x = static_cast<std::uint64_t>(seed);
  random_low = static_cast<std::uint32_t>(x & 0xffffffffULL);
  random_high = static_cast<std::uint32_t>(x >> 32);
}

double RhythmState::uniform() {
  // SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): one 64-bit state, every value equally likely.
  std::uint64_t state = (static_cast<std::uint64_t>(random_high) << 32) | random_low;
  state += 0x9e3779b97f4a7c15ULL;
  random_low = static_cast<std::uint32_t>(state & 0xffffffffULL);
  random_high = static_cast<std::uint32_t>(state >> 32);
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

double RhythmState::normal() {
  const double u1 = uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Circulation::Circulation(const PatientParameters& patient,
                         std::vector<std::shared_ptr<const DeviceBlock>> devices)
    : p_(patient),
      reference_period_s_(60.0 / patient.timing.reference_heart_rate_bpm),
      rest_activity_(efferent_activity(patient.baroreflex, patient.baroreflex.set_point_mmHg)) {
  const auto& s = p_.systemic;
  const auto& pc = p_.pulmonary_circulation;
  k_.e_root = 1.0 / s.aortic_root.compliance_mL_per_mmHg;
  k_.e_desc = 1.0 / s.descending_aorta.compliance_mL_per_mmHg;
  k_.e_art = 1.0 / s.arteries.compliance_mL_per_mmHg;
  k_.e_ven = 1.0 / s.veins.compliance_mL_per_mmHg;
  k_.e_vc = 1.0 / s.vena_cava.compliance_mL_per_mmHg;
  k_.e_pa = 1.0 / pc.arteries.compliance_mL_per_mmHg;
  k_.e_pv = 1.0 / pc.veins.compliance_mL_per_mmHg;
  k_.e_pcap = 1.0 / pc.capillaries.compliance_mL_per_mmHg;
  k_.g_upper = 1.0 / s.upper_body_resistance_mmHg_s_per_mL;
  k_.g_lower = 1.0 / s.lower_body_resistance_mmHg_s_per_mL;
  k_.g_venous = 1.0 / s.venous_resistance_mmHg_s_per_mL;
  k_.g_caval = 1.0 / s.caval_resistance_mmHg_s_per_mL;
  k_.g_bronchial = 1.0 / s.bronchial_resistance_mmHg_s_per_mL;
  {
    // Autoregulation in conductance terms: g = 1/x between 1/x_max and 1/x_min (the flow
    // reserve), and the sigmoid's offset that puts g = 1 at the resting flow.
    const auto& a = p_.coronary_autoregulation;
    k_.conductance_min = 1.0 / a.maximum_resistance_factor;
    // Autoregulation reaches only part of the pharmacological reserve (hyperaemia reaches all).
    const double g_max_autoregulated =
        1.0 + a.autoregulatory_reserve_fraction * (1.0 / a.minimum_resistance_factor - 1.0);
    k_.conductance_span = g_max_autoregulated - k_.conductance_min;
    k_.hyperaemic_conductance = 1.0 / a.minimum_resistance_factor;
    k_.zero_flow_pressure = a.zero_flow_pressure_mmHg;
    const double v = 1.0 - 2.0 * (1.0 - k_.conductance_min) / k_.conductance_span;  // u/sqrt(1+u^2)
    k_.autoregulation_u_rest = v / std::sqrt(std::max(1.0 - v * v, 1e-12));
    k_.autoregulation_gain = a.gain;
    k_.per_flow_filter_time_constant = 1.0 / a.flow_filter_time_constant_s;
    k_.per_autoregulation_time_constant = 1.0 / a.time_constant_s;
    k_.hyperaemia = a.hyperaemia >= 0.5;
    for (std::size_t k = 0; k < territory_count; ++k) {
      k_.per_resting_flow[k] = 60.0 / p_.coronary[k].resting_flow_mL_min;  // per mL/s
    }
  }
  {
    const auto& i = p_.ischaemia;
    k_.per_contraction_debt = 1.0 / i.contraction_debt_s;
    k_.per_stiffening_debt = 1.0 / i.stiffening_debt_s;
    k_.per_relaxation_debt = 1.0 / i.relaxation_debt_s;
    k_.maximum_relaxation_slowing = i.maximum_relaxation_slowing;
    k_.per_debt_dilation = 1.0 / i.debt_dilation_s;
    k_.basal_demand = i.basal_demand_fraction;
    k_.active_demand = 1.0 - i.basal_demand_fraction;
    k_.maximum_stiffening = i.maximum_stiffening;
    k_.repayment_efficiency = i.repayment_efficiency;
    k_.stunning_rate = i.stunning_rate_per_s;
    k_.per_stunning_time_constant = 1.0 / i.stunning_time_constant_s;
  }
  for (std::size_t d = 0; d < drug_count; ++d) {
    k_.per_drug_onset[d] = 1.0 / p_.drugs[d].onset_time_constant_s;
    k_.per_drug_offset[d] = 1.0 / p_.drugs[d].offset_time_constant_s;
  }
  k_.g_pulmonary_vascular = 1.0 / pc.vascular_resistance_mmHg_s_per_mL;
  k_.g_pulmonary_capillary = 1.0 / pc.capillary_resistance_mmHg_s_per_mL;
  k_.g_pulmonary_venous = 1.0 / pc.venous_resistance_mmHg_s_per_mL;
  k_.inv_l_arch = 1.0 / s.arch_inertance_mmHg_s2_per_mL;
  for (std::size_t k = 0; k < territory_count; ++k) {
    k_.e_coronary[k] = 1.0 / p_.coronary[k].compliance_mL_per_mmHg;
    k_.g_coronary_in[k] = 1.0 / p_.coronary[k].inflow_resistance_mmHg_s_per_mL;
    k_.g_coronary_out[k] = 1.0 / p_.coronary[k].outflow_resistance_mmHg_s_per_mL;
  }
  std::size_t readings = 0;
  for (auto& d : devices) {
    devices_.push_back({d, state_size_, readings, d->displaces_volume(), d->state_size(),
                        d->reading_specs().size()});
    state_size_ += d->state_size();
    readings += d->reading_specs().size();
  }
  if (readings > Observables::max_readings) {
    throw InputError("too many devices attached: their readings do not fit (at most " +
                     std::to_string(Observables::max_readings) + ")");
  }
  auto valve = [](const Valve& v) {
    ValveConstants c;
    c.open_area = v.open_area_cm2 * (1.0 - v.stenosis_fraction);
    c.closed_area = std::max(v.regurgitant_area_cm2, kClosedAreaFloorFraction * c.open_area);
    c.per_max_rate = 1.0 / v.max_rate_per_s;
    c.pressure_per_density = units::dyn_per_cm2_per_mmHg / kBloodDensity;
    return c;
  };
  k_.mitral = valve(p_.mitral);
  k_.aortic = valve(p_.aortic);
  k_.tricuspid = valve(p_.tricuspid);
  k_.pulmonary = valve(p_.pulmonary);
  const auto& b = p_.baroreflex;
  for (const Effector* e :
       {&b.lv_contractility, &b.rv_contractility, &b.systemic_resistance,
        &b.heart_period_sympathetic, &b.venous_unstressed_volume, &b.heart_period_vagal}) {
    if (!(e->time_constant_s > 0)) throw InputError("a baroreflex time constant must be positive");
  }
  k_.per_pole_time_constant = 1.0 / b.pole_time_constant_s;
  k_.per_high_cut_time_constant =
      b.high_cut_time_constant_s > 0 ? 1.0 / b.high_cut_time_constant_s : 0.0;
  k_.per_effector_time_constant = {1.0 / b.lv_contractility.time_constant_s,
                                   1.0 / b.rv_contractility.time_constant_s,
                                   1.0 / b.systemic_resistance.time_constant_s,
                                   1.0 / b.venous_unstressed_volume.time_constant_s,
                                   1.0 / b.heart_period_sympathetic.time_constant_s,
                                   1.0 / b.heart_period_vagal.time_constant_s};
  for (std::size_t k = 0; k < territory_count; ++k) {
    const double w = p_.coronary[k].lv_wall_share + p_.coronary[k].rv_wall_share;
    k_.per_wall_share[k] = w > 0 ? 1.0 / w : 0.0;
  }
  // A territory's contractility weighs in by its share of the wall it perfuses.
  for (std::size_t k = 0; k < territory_count; ++k) {
    lv_contractility_weight_[k] = p_.coronary[k].lv_wall_share;
    rv_contractility_weight_[k] = p_.coronary[k].rv_wall_share;
  }
}

double Circulation::blood_volume_mL(std::span<const double> y) {
  double sum = 0;
  for (std::size_t i = 0; i < kVolumeCount; ++i) sum += y[i];
  return sum;
}

void Circulation::relaxed_volumes(double p, std::span<double> v) const {
  const auto& s = p_.systemic;
  const auto& pc = p_.pulmonary_circulation;
  v[kLeftAtriumVolume] = relaxed_volume(p_.left_atrium, p);
  v[kRightAtriumVolume] = relaxed_volume(p_.right_atrium, p);
  v[kLeftVentricleVolume] = relaxed_volume(p_.left_ventricle, p);
  v[kRightVentricleVolume] = relaxed_volume(p_.right_ventricle, p);
  auto vessel = [p](const Vessel& x) {
    return x.unstressed_volume_mL + x.compliance_mL_per_mmHg * p;
  };
  v[kAorticRootVolume] = vessel(s.aortic_root);
  v[kDescendingAortaVolume] = vessel(s.descending_aorta);
  v[kSystemicArteriesVolume] = vessel(s.arteries);
  v[kSystemicVeinsVolume] = vessel(s.veins);
  v[kVenaCavaVolume] = vessel(s.vena_cava);
  v[kPulmonaryArteriesVolume] = vessel(pc.arteries);
  v[kPulmonaryCapillariesVolume] = vessel(pc.capillaries);
  v[kPulmonaryVeinsVolume] = vessel(pc.veins);
  for (std::size_t k = 0; k < territory_count; ++k) {
    v[kCoronaryVolume0 + k] =
        p_.coronary[k].unstressed_volume_mL + p_.coronary[k].compliance_mL_per_mmHg * p;
  }
}

void Circulation::unstressed_volumes(std::span<double> v) const { relaxed_volumes(0.0, v); }

std::vector<DeviceSettings> Circulation::default_device_settings() const {
  std::vector<DeviceSettings> s;
  for (const auto& d : devices_) s.push_back(d.block->default_settings());
  return s;
}

void Circulation::initial_state(std::span<double> y,
                                std::span<const DeviceSettings> settings) const {
  std::fill(y.begin(), y.end(), 0.0);
  for (std::size_t k = 0; k < devices_.size(); ++k) {
    const auto& d = devices_[k];
    d.block->initial_state(y.subspan(d.state_offset, d.state_size),
                           k < settings.size() ? settings[k] : d.block->default_settings());
  }
  // Volumes at a uniform transmural pressure p (relaxed chambers).
  auto fill = [&](double p) {
    relaxed_volumes(p, y.first(kVolumeCount));
    return blood_volume_mL(y);
  };
  const double target = p_.body.total_blood_volume_mL;
  if (fill(0.0) > target) {
    throw InputError("body.total_blood_volume (" + std::to_string(target) +
                     " mL) is smaller than the unstressed volume of the circulation (" +
                     std::to_string(fill(0.0)) + " mL)");
  }
  double lo = 0.0, hi = 1.0;
  while (fill(hi) < target) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = 0.5 * (lo + hi);
    (fill(mid) < target ? lo : hi) = mid;
  }
  fill(lo);
  // Put the last rounding residue into the veins, so that the sum is the blood volume exactly.
  y[kSystemicVeinsVolume] += target - blood_volume_mL(y);
  // Coronary autoregulation starts at rest: resting flow, resting tone (maximal dilation with
  // hyperaemia).
  for (std::size_t k = 0; k < territory_count; ++k) {
    y[kCoronaryFilteredFlow0 + k] = p_.coronary[k].resting_flow_mL_min / 60.0;
    y[kCoronaryResistanceFactor0 + k] = k_.hyperaemia ? k_.hyperaemic_conductance : 1.0;
  }
  // The afferent filter starts at the set point (the reflex starts at rest), its high cut at the
  // root pressure.
  y[kBaroreflexSensedPressure] = vessel_pressure(p_.systemic.aortic_root, y[kAorticRootVolume],
                                                 p_.body.intrathoracic_pressure_mmHg);
  y[kBaroreflexAfferentPressure] = 0.0;
  y[kBaroreflexAfferentPressure] = p_.baroreflex.set_point_mmHg - filtered_aortic_pressure_mmHg(y);
}

CardiacCycle Circulation::start_beat(double start_s, const double* y, const CardiacCycle* previous,
                                     RhythmState* rhythm) const {
  CardiacCycle c;
  c.beat_start_s = start_s;
  c.beat_index = previous ? previous->beat_index + 1 : 0;
  const Rhythm r = rhythm ? rhythm->rhythm : Rhythm::sinus;
  c.rhythm = r;
  const double sinus_period_s =
      y ? heart_period_s(std::span<const double>(y, kStateCount)) : 60.0 / p_.timing.heart_rate_bpm;
  switch (r) {
    case Rhythm::sinus:
      c.period_s = sinus_period_s;
      break;
    case Rhythm::af: {
      // R-R scattered around the reflex's period: normal, coefficient of variation
      // af_rr_variation, cut at 2.5 standard deviations and at the reflex's own limits.
      const double z = std::clamp(rhythm->normal(), -2.5, 2.5);
      c.period_s = std::clamp(sinus_period_s * (1.0 + p_.rhythm.af_rr_variation * z), 60.0 / 220.0,
                              60.0 / 20.0);
      break;
    }
    case Rhythm::vt:
    case Rhythm::paced:
      c.period_s = 60.0 / rhythm->rate_bpm;
      c.contractility = p_.rhythm.ventricular_origin_contractility;
      break;
    case Rhythm::vf:
    case Rhythm::asystole:
      c.period_s = p_.rhythm.arrest_beat_period_s;
      break;
  }
  // Systole shortens with the square root of the period (as QT does: Bazett): at 180/min a
  // contraction and its relaxation fit in the 333 ms beat.
  c.ventricular_scale = std::sqrt(c.period_s / reference_period_s_);
  c.atrial_scale = c.ventricular_scale;
  // Only sinus rhythm has an atrial contraction before the next beat (the one before this beat
  // came with the previous beat and finishes).
  c.next_atrial_onset_s =
      r == Rhythm::sinus
          ? start_s + c.period_s - p_.timing.atrioventricular_delay_s * c.ventricular_scale
          : kNeverOnset_s;
  if (previous) {
    c.atrial_onset_s = previous->next_atrial_onset_s;
    c.previous_atrial_scale = previous->atrial_scale;
  } else {
    c.atrial_onset_s = r == Rhythm::sinus
                           ? start_s - p_.timing.atrioventricular_delay_s * c.ventricular_scale
                           : kNeverOnset_s;
    c.previous_atrial_scale = c.atrial_scale;
  }
  c.ventricles = contraction_timing(p_.timing.ventricles, arrested(r) ? kNeverOnset_s : start_s,
                                    c.ventricular_scale);
  // Ischaemia slows active relaxation (docs/model.md 2.9): the beat's relaxation time constant
  // grows with the LV-weighted share of each territory's debt, fixed at the R wave.
  if (y && k_.maximum_relaxation_slowing > 0) {
    double slowing = 0;
    for (std::size_t k = 0; k < territory_count; ++k) {
      const double debt = felt_debt(&y[0], k);
      const double x = debt * k_.per_relaxation_debt;
      slowing += lv_contractility_weight_[k] * x * x / (1.0 + x * x);
    }
    c.ventricles.per_time_constant /= 1.0 + k_.maximum_relaxation_slowing * slowing;
  }
  c.previous_atria = contraction_timing(p_.timing.atria, c.atrial_onset_s, c.previous_atrial_scale);
  c.next_atria = contraction_timing(p_.timing.atria, c.next_atrial_onset_s, c.atrial_scale);
  return c;
}

Circulation::DrugEffects Circulation::drug_effects(std::span<const double> y) const {
  DrugEffects sum;
  for (std::size_t d = 0; d < drug_count; ++d) {
    const double c = y[kDrugEffectSite0 + d];
    if (!(c > 0.0)) continue;
    const Drug& drug = p_.drugs[d];
    // E = Emax C^n / (EC50^n + C^n); n = 1 (every value shipped) without a power.
    auto response = [c](const DrugResponse& r) {
      if (r.maximum == 0.0) return 0.0;
      if (r.hill == 1.0) return r.maximum * c / (r.half_maximal_dose + c);
      const double x = std::pow(c / r.half_maximal_dose, r.hill);
      return r.maximum * x / (1.0 + x);
    };
    sum.contractility += response(drug.contractility);
    sum.resistance += response(drug.resistance);
    sum.venous_volume += response(drug.venous_unstressed_volume);
    sum.heart_rate += response(drug.heart_rate);
    sum.coronary_dilation += response(drug.coronary_dilation);
  }
  sum.coronary_dilation = std::min(sum.coronary_dilation, 1.0);
  return sum;
}

double Circulation::vf_hazard_per_s(std::span<const double> y) const {
  if (!(p_.rhythm.vf_risk_per_min > 0.0)) return 0.0;
  const double threshold = p_.rhythm.vf_risk_threshold;
  double share = 0.0;
  for (std::size_t k = 0; k < territory_count; ++k) {
    const double debt = felt_debt(&y[0], k);
    const double a = debt * k_.per_contraction_debt;
    const double lost = a * a / (1.0 + a * a);  // 1 - f
    share += lv_contractility_weight_[k] * std::max(lost - threshold, 0.0) / (1.0 - threshold);
  }
  return p_.rhythm.vf_risk_per_min / 60.0 * share;
}

double Circulation::heart_period_s(std::span<const double> y) const {
  // A drug changes the intrinsic rate (the sinus node's); the reflex's period changes add on top.
  double rate_factor = 1.0;
  for (std::size_t d = 0; d < drug_count; ++d) {
    if (y[kDrugEffectSite0 + d] > 0.0) {
      rate_factor = std::max(1.0 + drug_effects(y).heart_rate, kEffectorFloor);
      break;
    }
  }
  double t = 60.0 / (p_.timing.heart_rate_bpm * rate_factor);
  if (p_.baroreflex.enabled) {
    t += y[kBaroreflexPeriodSympathetic] + y[kBaroreflexPeriodVagal];
  }
  // The reflex cannot stop the heart or drive it past a physiological maximum rate.
  return std::clamp(t, 60.0 / 220.0, 60.0 / 20.0);
}

double Circulation::filtered_aortic_pressure_mmHg(std::span<const double> y) const {
  const auto& b = p_.baroreflex;
  const double p_root = vessel_pressure(p_.systemic.aortic_root, y[kAorticRootVolume],
                                        p_.body.intrathoracic_pressure_mmHg);
  return b.zero_time_constant_s / b.pole_time_constant_s * sensed_pressure_mmHg(y, p_root) +
         y[kBaroreflexAfferentPressure];
}

EfferentActivity Circulation::efferent_activity_now(std::span<const double> y) const {
  return efferent_activity(p_.baroreflex, filtered_aortic_pressure_mmHg(y));
}

EfferentActivity Circulation::efferent_activity_at_rest() const { return rest_activity_; }

double Circulation::longest_reflex_delay_s() const {
  const auto& b = p_.baroreflex;
  return std::max({b.lv_contractility.delay_s, b.rv_contractility.delay_s,
                   b.systemic_resistance.delay_s, b.venous_unstressed_volume.delay_s,
                   b.heart_period_sympathetic.delay_s, b.heart_period_vagal.delay_s});
}

void Circulation::evaluate(double t, std::span<const double> y, std::span<double> dydt,
                           const PlantInputs& in, PlantWorkspace& ws, Observables* obs) const {
  evaluate_impl<Pass::derivatives>(t, y, dydt, in, ws, obs);
}

void Circulation::observe(double t, std::span<const double> y, std::span<double> scratch,
                          const PlantInputs& in, PlantWorkspace& ws, Observables& obs) const {
  evaluate_impl<Pass::observables>(t, y, scratch, in, ws, &obs);
}

namespace {
constexpr std::uint32_t site_bit(Site s) { return 1u << static_cast<std::size_t>(s); }
// Sites whose pressure is their vessel's volume over its compliance (no wall to solve), in the
// order of their volume states.
constexpr std::array<std::pair<Site, StateIndex>, 4> kVessels = {
    {{Site::aortic_root, kAorticRootVolume},
     {Site::descending_aorta, kDescendingAortaVolume},
     {Site::vena_cava, kVenaCavaVolume},
     {Site::pulmonary_arteries, kPulmonaryArteriesVolume}}};
constexpr std::uint32_t kVesselSites =
    site_bit(Site::aortic_root) | site_bit(Site::descending_aorta) | site_bit(Site::vena_cava) |
    site_bit(Site::pulmonary_arteries);
}  // namespace

std::uint32_t Circulation::sensed_sites(std::span<const DeviceSettings> settings) const {
  std::uint32_t sites = 0;
  for (std::size_t k = 0; k < devices_.size(); ++k) {
    sites |= devices_[k].block->sensed_sites(settings[k]);
  }
  return sites;
}

void Circulation::sensed_states(std::span<const DeviceSettings> settings,
                                std::vector<std::size_t>& out) const {
  out.clear();
  const std::uint32_t sites = sensed_sites(settings);
  if ((sites & ~kVesselSites) != 0) {
    for (std::size_t i = 0; i < state_size_; ++i) out.push_back(i);
    return;
  }
  for (const auto& [site, volume] : kVessels) {
    if ((sites & site_bit(site)) != 0) out.push_back(volume);
  }
  for (const auto& d : devices_) {
    for (std::size_t i = 0; i < d.state_size; ++i) out.push_back(d.state_offset + i);
  }
}

void Circulation::sense(double t, std::span<const double> y, std::span<double> scratch,
                        const PlantInputs& in, PlantWorkspace& ws, Observables& obs) const {
  const std::uint32_t sites = sensed_sites(in.device_settings);
  if ((sites & ~kVesselSites) != 0) {
    evaluate_impl<Pass::sensors>(t, y, scratch, in, ws, &obs);
    return;
  }
  // The sensed vessels' pressures only, each by the same expression as in evaluate_impl (the same
  // bits); what is not sensed is NaN.
  const auto& s = p_.systemic;
  const auto& pc = p_.pulmonary_circulation;
  const double pth = p_.body.intrathoracic_pressure_mmHg;
  const CardiacCycle& c = in.cycle;
  double displaced_root = 0, displaced_desc = 0;
  for (const auto& d : devices_) {
    if (!d.displaces_volume) continue;
    const auto x = y.subspan(d.state_offset, d.state_size);
    displaced_root += d.block->displaced_volume_mL(x, Site::aortic_root);
    displaced_desc += d.block->displaced_volume_mL(x, Site::descending_aorta);
  }
  constexpr double kNotComputed = std::numeric_limits<double>::quiet_NaN();
  DeviceContext dc;
  dc.t_s = t;
  dc.pressure_mmHg.fill(kNotComputed);
  auto& p = dc.pressure_mmHg;
  if ((sites & site_bit(Site::aortic_root)) != 0) {
    p[static_cast<std::size_t>(Site::aortic_root)] =
        (y[kAorticRootVolume] + displaced_root - s.aortic_root.unstressed_volume_mL) * k_.e_root +
        pth;
  }
  if ((sites & site_bit(Site::descending_aorta)) != 0) {
    p[static_cast<std::size_t>(Site::descending_aorta)] =
        (y[kDescendingAortaVolume] + displaced_desc - s.descending_aorta.unstressed_volume_mL) *
        k_.e_desc;
  }
  if ((sites & site_bit(Site::vena_cava)) != 0) {
    p[static_cast<std::size_t>(Site::vena_cava)] =
        (y[kVenaCavaVolume] - s.vena_cava.unstressed_volume_mL) * k_.e_vc + pth;
  }
  if ((sites & site_bit(Site::pulmonary_arteries)) != 0) {
    p[static_cast<std::size_t>(Site::pulmonary_arteries)] =
        (y[kPulmonaryArteriesVolume] - pc.arteries.unstressed_volume_mL) * k_.e_pa + pth;
  }
  dc.left_ventricle_mL = kNotComputed;
  dc.left_ventricle_unstressed_mL =
      p_.left_ventricle.passive_zero_volume_mL + p_.septum.passive_zero_volume_mL;
  dc.aortic_valve_flow_mL_s = kNotComputed;
  dc.beat_start_s = c.beat_start_s;
  dc.period_s = c.period_s;
  dc.beat_index = c.beat_index;
  dc.previous_ejection_end_s = in.previous_ejection_end_s;
  dc.r_wave = !arrested(c.rhythm);
  SiteFlows flows;
  for (std::size_t k = 0; k < devices_.size(); ++k) {
    const auto& d = devices_[k];
    const std::size_t n = d.state_size;
    DeviceReadings r;
    r.sensors_only = true;
    d.block->evaluate(dc, y.subspan(d.state_offset, n), scratch.subspan(d.state_offset, n),
                      in.device_settings[k], flows, &r);
    const std::size_t m = d.reading_count;
    std::copy_n(r.value.begin(), m, obs.device_readings.begin() + d.reading_offset);
  }
  obs.t_s = t;
}

template <Circulation::Pass kPass>
void Circulation::evaluate_impl(double t, std::span<const double> y, std::span<double> dydt,
                                const PlantInputs& in, PlantWorkspace& ws, Observables* obs) const {
  // Derivatives that only the integrator reads (not the observables, the septum's rate or the
  // devices): skipped by the samples' pass.
  constexpr bool kAllDerivatives = kPass == Pass::derivatives;
  const auto& b = p_.baroreflex;
  const auto& s = p_.systemic;
  const auto& pc = p_.pulmonary_circulation;
  const double pth = p_.body.intrathoracic_pressure_mmHg;
  const CardiacCycle& c = in.cycle;

  // Activation.
  const ActivationValue ventricular = activation(c.ventricles, t);
  const double ev = ventricular.e;
  const double ea = activation(t >= c.next_atria.onset_s ? c.next_atria : c.previous_atria, t).e;

  // Regional function: each territory's oxygen debt, weighed by its stunning, sets its share of
  // the walls' contractility (f) and passive stiffness (1 + A sigma); see Ischaemia.
  std::array<double, territory_count> function{}, stiffening{};
  double lv_regional = 0, rv_regional = 0, lv_stiffening = 0, rv_stiffening = 0, lv_lost = 0;
  for (std::size_t k = 0; k < territory_count; ++k) {
    const double debt = felt_debt(&y[0], k);
    const double a = debt * k_.per_contraction_debt;
    const double b = debt * k_.per_stiffening_debt;
    // f = 1/(1 + a^2) and sigma = b^2/(1 + b^2) from one division.
    const double na = 1.0 + a * a, nb = 1.0 + b * b;
    const double inverse = 1.0 / (na * nb);
    function[k] = nb * inverse;
    stiffening[k] = b * b * na * inverse;
    const double r = in.regional_contractility[k] * function[k];
    lv_regional += lv_contractility_weight_[k] * r;
    rv_regional += rv_contractility_weight_[k] * r;
    lv_stiffening += lv_contractility_weight_[k] * stiffening[k];
    rv_stiffening += rv_contractility_weight_[k] * stiffening[k];
    lv_lost += lv_contractility_weight_[k] * (1.0 - function[k]);
  }
  // The passive share s of the LV free wall (see kPassiveShareFloor): it does not contract, and in
  // systole the pressure the rest of the wall builds stretches it outward.
  const double passive_share = std::max(lv_lost - kPassiveShareFloor, 0.0);
  const double lv_p0_factor = 1.0 + k_.maximum_stiffening * lv_stiffening;
  const double rv_p0_factor = 1.0 + k_.maximum_stiffening * rv_stiffening;
  const bool reflex = b.enabled;
  double lv_reflex = reflex ? 1.0 + y[kBaroreflexLvContractility] : 1.0;
  double rv_reflex = reflex ? 1.0 + y[kBaroreflexRvContractility] : 1.0;
  // Drugs add their changes to the reflex's (skipped, at the cost of a few comparisons, while
  // none has been given).
  bool drugs = false;
  for (std::size_t d = 0; d < drug_count; ++d) {
    drugs = drugs || in.drug_dose[d] != 0.0 || y[kDrugEffectSite0 + d] != 0.0;
  }
  DrugEffects drug{};
  if (drugs) {
    drug = drug_effects(y);
    lv_reflex += drug.contractility;
    rv_reflex += drug.contractility;
  }
  lv_reflex = std::max(lv_reflex, kEffectorFloor);
  rv_reflex = std::max(rv_reflex, kEffectorFloor);
  const double e_lvf = p_.left_ventricle.end_systolic_elastance_mmHg_per_mL * lv_regional *
                       lv_reflex * c.contractility;
  const double e_spt =
      p_.septum.end_systolic_elastance_mmHg_per_mL * lv_regional * lv_reflex * c.contractility;
  const double e_rvf = p_.right_ventricle.end_systolic_elastance_mmHg_per_mL * rv_regional *
                       rv_reflex * c.contractility;

  // Ventricular interaction: solve for the septal volume.
  const double v_lv = y[kLeftVentricleVolume];
  const double v_rv = y[kRightVentricleVolume];
  // Warm start from the last solution carried along at its rate (successive calls are close in
  // time and state), unless a rejected trial step left it unusable.
  double x = ws.septum_mL + ws.septum_rate_mL_s * (t - ws.septum_t_s);
  if (!(std::abs(x) < 1e3)) x = 0.0;
  WallPressure lvf{}, rvf{}, spt{};
  // The walls' exponentials are computed once; after each Newton step they are carried to the
  // new septal volume by exp(a) for the small exponent a of the step.
  const Wall& wl = p_.left_ventricle;
  const Wall& wr = p_.right_ventricle;
  const Wall& wsp = p_.septum;
  // The passive region's bulge d: its normalised volume u_A + d against the contracting region's
  // u_A, where V_lvf = (1 - s) u_A + s (u_A + d) = u_A + s d (0 without a passive region).
  double bulge = 0.0;
  if (passive_share > 0.0) {
    bulge = ws.ischaemic_bulge_mL;
    if (!(std::abs(bulge) < 1e3)) bulge = 0.0;
  }
  double ex_l = ws.lv_wall(wl.passive_stiffness_per_mL *
                           (v_lv - x - passive_share * bulge - wl.passive_zero_volume_mL));
  double ex_r = ws.rv_wall(wr.passive_stiffness_per_mL * (v_rv + x - wr.passive_zero_volume_mL));
  double ex_s = ws.septum_wall(wsp.passive_stiffness_per_mL * (x - wsp.passive_zero_volume_mL));
  const double p0_l = wl.passive_pressure_mmHg * lv_p0_factor;
  const double p0_r = wr.passive_pressure_mmHg * rv_p0_factor;
  const double p0_s = wsp.passive_pressure_mmHg * lv_p0_factor;
  if (passive_share > 0.0) {
    // The free wall as two regions in parallel at one pressure (volumes add; docs/model.md 2.9):
    //   contracting  P = e E_c (u_A - Vd) + (1 - e) P0 (exp(lambda (u_A - V0)) - 1)
    //   passive      P =                        P0 (exp(lambda (u_A + d - V0)) - 1)
    // solved with the septum by Newton's method in (x, d):
    //   g1 = P_spt(x) - P_A(u_A) + P_rvf(V_rv + x) = 0,   g2 = P_I(u_A + d) - P_A(u_A) = 0.
    // The contracting region (share 1 - s) carries the whole wall's active elastance: per unit of
    // its share, e_lvf / (1 - s).
    const double contracting_share = 1.0 - passive_share;
    const double e_contracting = e_lvf / contracting_share;
    double ex_d = ws.ischaemic_bulge(wl.passive_stiffness_per_mL * bulge);
    double i_p = 0.0, i_dp = 0.0;  // passive region's pressure and dP/du
    // Newton from the warm start. Where that start is far from the solution (a sample workspace
    // whose last solution was a beat ago, in a nearly passive ventricle), the clamped steps can
    // cycle without converging; then once more from a cold start (septum at 0, no bulge), which
    // converges there. Without that, the unconverged septum was kept as the next warm start and
    // drifted further beat by beat (a collapsed hrpci run: beat coronary flows of -2e5 mL/min).
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool converged = false;
      for (int it = 0; it < 50; ++it) {
        lvf = wall_pressure_from_exp(wl, e_contracting, p0_l, v_lv - x - passive_share * bulge, ev,
                                     ex_l);
        rvf = wall_pressure_from_exp(wr, e_rvf, p0_r, v_rv + x, ev, ex_r);
        spt = wall_pressure_from_exp(wsp, e_spt, p0_s, x, ev, ex_s);
        const double ex_i = ex_l * ex_d;
        i_p = p0_l * (ex_i - 1.0);
        i_dp = p0_l * wl.passive_stiffness_per_mL * ex_i;
        const double a = lvf.dp_dv;
        const double g1 = spt.p - lvf.p + rvf.p;
        const double g2 = i_p - lvf.p;
        const double j11 = spt.dp_dv + a + rvf.dp_dv, j12 = a * passive_share;
        const double j21 = a - i_dp, j22 = i_dp * contracting_share + a * passive_share;
        const double per_det = 1.0 / (j11 * j22 - j12 * j21);
        const double step_x = std::clamp((g1 * j22 - j12 * g2) * per_det, -20.0, 20.0);
        const double step_d = std::clamp((j11 * g2 - j21 * g1) * per_det, -50.0, 50.0);
        x -= step_x;
        // A passive wall cannot pull below -P0: when the contracting region does (a ventricle
        // emptied below its dead volume by a pump), there is no bulge that matches it, and the
        // passive region stays at its floor (far below any bulge in use, where its pressure is
        // within 1% of -P0).
        const double next = std::max(bulge - step_d, -kPassiveBulgeFloor_mL);
        const double taken_d = bulge - next;
        bulge = next;
        // Pressures at the new point, to first order in the last step (u_A moves by
        // step_x + s step_d, the passive region's u by step_x - (1 - s) step_d).
        const double du_a = step_x + passive_share * taken_d;
        const double du_i = step_x - contracting_share * taken_d;
        lvf.p += a * du_a;
        rvf.p -= rvf.dp_dv * step_x;
        i_p += i_dp * du_i;
        if (std::abs(step_x) < 1e-4 && std::abs(taken_d) < 1e-4) {
          converged = true;
          break;
        }
        ex_l *= small_exp(wl.passive_stiffness_per_mL * du_a);
        ex_r *= small_exp(-wr.passive_stiffness_per_mL * step_x);
        ex_s *= small_exp(-wsp.passive_stiffness_per_mL * step_x);
        ex_d *= small_exp(-wl.passive_stiffness_per_mL * taken_d);
      }
      if (converged || attempt == 1) break;
      x = 0.0;
      bulge = 0.0;
      ex_l = std::exp(wl.passive_stiffness_per_mL * (v_lv - x - wl.passive_zero_volume_mL));
      ex_r = std::exp(wr.passive_stiffness_per_mL * (v_rv + x - wr.passive_zero_volume_mL));
      ex_s = std::exp(wsp.passive_stiffness_per_mL * (x - wsp.passive_zero_volume_mL));
      ex_d = 1.0;
    }
    // The free wall as one: compliances add, dV/dP = (1 - s)/a + s/i, and a change of activation
    // at constant volume reaches the cavity through the passive region's give.
    const double a = lvf.dp_dv;
    const double per_d = 1.0 / (a * passive_share + i_dp * contracting_share);
    lvf.dp_dv = a * i_dp * per_d;
    lvf.dp_de *= i_dp * contracting_share * per_d;
    ws.ischaemic_bulge_mL = bulge;
  } else {
    // No passive region: the septal volume alone.
    for (int it = 0; it < 50; ++it) {
      lvf = wall_pressure_from_exp(wl, e_lvf, p0_l, v_lv - x, ev, ex_l);
      rvf = wall_pressure_from_exp(wr, e_rvf, p0_r, v_rv + x, ev, ex_r);
      spt = wall_pressure_from_exp(wsp, e_spt, p0_s, x, ev, ex_s);
      const double g = spt.p - lvf.p + rvf.p;
      const double dg = spt.dp_dv + lvf.dp_dv + rvf.dp_dv;
      const double step = std::clamp(g / dg, -20.0, 20.0);
      x -= step;
      // Free-wall pressures at the new septal volume, to first order in the (tiny) last step.
      lvf.p += lvf.dp_dv * step;
      rvf.p -= rvf.dp_dv * step;
      // With the first-order correction above, the pressures left by a step of 1e-4 mL are off by
      // about 1e-7 mmHg: far below what any tolerance or metric resolves.
      if (std::abs(step) < 1e-4) break;
      ex_l *= small_exp(wl.passive_stiffness_per_mL * step);
      ex_r *= small_exp(-wr.passive_stiffness_per_mL * step);
      ex_s *= small_exp(-wsp.passive_stiffness_per_mL * step);
    }
  }
  const auto& pe = p_.pericardium;
  const double peri_exp = ws.pericardium(pe.stiffness_per_mL * (v_lv + v_rv - pe.zero_volume_mL));
  const double p_peri = pe.pressure_scale_mmHg * (peri_exp - 1.0) + pth;
  const double p_lv = lvf.p + p_peri;
  const double p_rv = rvf.p + p_peri;
  const Wall& la = p_.left_atrium;
  const Wall& ra = p_.right_atrium;
  const double v_la = y[kLeftAtriumVolume];
  const double v_ra = y[kRightAtriumVolume];
  const double p_la =
      wall_pressure_from_exp(
          la, la.end_systolic_elastance_mmHg_per_mL, la.passive_pressure_mmHg, v_la, ea,
          ws.left_atrium(la.passive_stiffness_per_mL * (v_la - la.passive_zero_volume_mL)))
          .p +
      pth;
  const double p_ra =
      wall_pressure_from_exp(
          ra, ra.end_systolic_elastance_mmHg_per_mL, ra.passive_pressure_mmHg, v_ra, ea,
          ws.right_atrium(ra.passive_stiffness_per_mL * (v_ra - ra.passive_zero_volume_mL)))
          .p +
      pth;

  // Vessels. A device may take up volume inside a vessel (an inflated balloon): the blood there
  // is squeezed into less room, so the vessel's pressure rises as if its volume had grown.
  double displaced_root = 0, displaced_desc = 0;
  for (const auto& d : devices_) {
    if (!d.displaces_volume) continue;
    const auto x = y.subspan(d.state_offset, d.state_size);
    displaced_root += d.block->displaced_volume_mL(x, Site::aortic_root);
    displaced_desc += d.block->displaced_volume_mL(x, Site::descending_aorta);
  }
  const double venous_vu_shift = (reflex ? y[kBaroreflexVenousVolume] : 0.0) + drug.venous_volume;
  // (Reciprocals of compliances and resistances are precomputed in k_: the step loop multiplies.)
  const double p_root =
      (y[kAorticRootVolume] + displaced_root - s.aortic_root.unstressed_volume_mL) * k_.e_root +
      pth;
  const double p_desc =
      (y[kDescendingAortaVolume] + displaced_desc - s.descending_aorta.unstressed_volume_mL) *
      k_.e_desc;
  const double p_art = (y[kSystemicArteriesVolume] - s.arteries.unstressed_volume_mL) * k_.e_art;
  const double p_ven =
      (y[kSystemicVeinsVolume] - s.veins.unstressed_volume_mL - venous_vu_shift) * k_.e_ven;
  const double p_vc = (y[kVenaCavaVolume] - s.vena_cava.unstressed_volume_mL) * k_.e_vc + pth;
  const double p_pa =
      (y[kPulmonaryArteriesVolume] - pc.arteries.unstressed_volume_mL) * k_.e_pa + pth;
  const double p_pcap =
      (y[kPulmonaryCapillariesVolume] - pc.capillaries.unstressed_volume_mL) * k_.e_pcap + pth;
  const double p_pv = (y[kPulmonaryVeinsVolume] - pc.veins.unstressed_volume_mL) * k_.e_pv + pth;

  // Devices: their own states, the blood they move between sites (added to the volumes' rates
  // below) and, when asked, their readings. Only sensors wanted: nothing else is needed.
  SiteFlows flows;
  if (!devices_.empty()) {
    DeviceContext dc;
    dc.t_s = t;
    dc.pressure_mmHg = {p_lv, p_root, p_desc, p_ra, p_vc, p_la, p_pa};  // in Site order
    dc.left_ventricle_mL = v_lv;
    dc.left_ventricle_unstressed_mL =
        p_.left_ventricle.passive_zero_volume_mL + p_.septum.passive_zero_volume_mL;
    dc.aortic_valve_flow_mL_s = y[kAorticFlow];
    dc.beat_start_s = c.beat_start_s;
    dc.period_s = c.period_s;
    dc.beat_index = c.beat_index;
    dc.previous_ejection_end_s = in.previous_ejection_end_s;
    dc.r_wave = !arrested(c.rhythm);
    for (std::size_t k = 0; k < devices_.size(); ++k) {
      const auto& d = devices_[k];
      const std::size_t n = d.state_size;
      if (!obs) {
        d.block->evaluate(dc, y.subspan(d.state_offset, n), dydt.subspan(d.state_offset, n),
                          in.device_settings[k], flows, nullptr);
        continue;
      }
      DeviceReadings r;
      r.sensors_only = kPass == Pass::sensors;
      d.block->evaluate(dc, y.subspan(d.state_offset, n), dydt.subspan(d.state_offset, n),
                        in.device_settings[k], flows, &r);
      const std::size_t m = d.reading_count;
      std::copy_n(r.value.begin(), m, obs->device_readings.begin() + d.reading_offset);
    }
  }
  if constexpr (kPass == Pass::sensors) {
    // The next tick starts its septal Newton iteration here (without the rate, which needs the
    // flows).
    ws.septum_mL = x;
    ws.septum_t_s = t;
    ws.septum_rate_mL_s = 0.0;
    obs->t_s = t;
    return;
  }

  // Flows (mL/s).
  double resistance_factor = reflex ? 1.0 + y[kBaroreflexResistance] : 1.0;
  if (drugs) resistance_factor += drug.resistance;
  resistance_factor = std::max(resistance_factor, kEffectorFloor);
  if constexpr (kAllDerivatives) {
    if (drugs) {
      // Effect sites: first-order lag behind the infusion rate, faster or slower on the way down.
      for (std::size_t d = 0; d < drug_count; ++d) {
        const double gap = in.drug_dose[d] - y[kDrugEffectSite0 + d];
        dydt[kDrugEffectSite0 + d] =
            gap * (gap > 0.0 ? k_.per_drug_onset[d] : k_.per_drug_offset[d]);
      }
    } else {
      for (std::size_t d = 0; d < drug_count; ++d) dydt[kDrugEffectSite0 + d] = 0.0;
    }
  }
  const double r_micro = s.microvascular_resistance_mmHg_s_per_mL * resistance_factor;
  const double q_upper = (p_root - p_art) * k_.g_upper;
  const double q_lower = (p_desc - p_art) * k_.g_lower;
  const double q_micro = (p_art - p_ven) / r_micro;
  const double q_venous = (p_ven - p_vc) * k_.g_venous;
  const double q_caval = (p_vc - p_ra) * k_.g_caval;
  const double q_bronchial = (p_desc - p_pv) * k_.g_bronchial;
  const double q_pvasc = (p_pa - p_pcap) * k_.g_pulmonary_vascular;
  const double q_pcap = (p_pcap - p_pv) * k_.g_pulmonary_capillary;
  const double q_pven = (p_pv - p_la) * k_.g_pulmonary_venous;
  const double q_arch = y[kArchFlow];
  const double q_mv = y[kMitralFlow];
  const double q_av = y[kAorticFlow];
  const double q_tv = y[kTricuspidFlow];
  const double q_pv = y[kPulmonaryFlow];

  double cor_in_total = 0, cor_out_total = 0;
  std::array<double, territory_count> cor_p{}, cor_in{}, cor_out{};
  // The beds drain to the right atrium through a vascular waterfall (a Starling resistor): with the
  // zero-flow pressure P_zf above right atrial pressure, outflow is g*(P_cor - P_zf) while the bed
  // is above P_zf, none between P_ra and P_zf (the collapsed segment is no source of blood), and
  // g*(P_cor - P_ra) backwards only where the bed falls below right atrial pressure. With
  //   a = P_cor - P_ra,  z = max(P_zf - P_ra, 0) (smoothed by a hyperbola, as before),
  //   Q_out = g*(a - pos(a) + pos(a - z)),
  // where pos(u) = max(u, 0) rounded within h = 2 mmHg of its corner by the parabola
  // (u + h)^2/(4h): continuous with its slope, 0.5 mmHg off at the corner, and exact (no square
  // root) away from it, where the bed spends its time. Without a waterfall (P_zf = 0): Q_out = g*a.
  const bool waterfall = k_.zero_flow_pressure > 0.0;
  double z_back = 0.0;
  if (waterfall) {
    constexpr double w2 = 2.0 * 2.0;
    const double x = k_.zero_flow_pressure - p_ra;
    z_back = 0.5 * (x + std::sqrt(x * x + w2));
  }
  const auto positive_part = [](double u) {
    constexpr double h = 2.0, per_4h = 1.0 / (4.0 * h);
    if (u >= h) return u;
    if (u <= -h) return 0.0;
    return (u + h) * (u + h) * per_4h;
  };
  // A coronary vasodilator (adenosine) takes the share D of the way to maximal dilation; a run
  // held at maximal dilation (coronary_autoregulation.hyperaemia) is D = 1 throughout (its rest
  // state starts g there, so that g stays exactly at it).
  const double dilation = k_.hyperaemia ? 1.0 : drug.coronary_dilation;
  for (std::size_t k = 0; k < territory_count; ++k) {
    const auto& ct = p_.coronary[k];
    // Intramyocardial pressure: a fraction of the pressure of the ventricles this territory's
    // wall belongs to, weighted by its shares.
    const double p_vent =
        (ct.lv_wall_share * p_lv + ct.rv_wall_share * p_rv) * k_.per_wall_share[k];
    cor_p[k] = (y[kCoronaryVolume0 + k] - ct.unstressed_volume_mL) * k_.e_coronary[k] +
               ct.compression_fraction * p_vent;
    // Autoregulation scales the territory's microvascular conductances by g (the state holds g,
    // the reciprocal of the resistance factor: no division here).
    const double g_autoregulated = y[kCoronaryResistanceFactor0 + k];
    double g = g_autoregulated;
    if (dilation > 0.0) g += dilation * (k_.hyperaemic_conductance - g);
    // A no-reflow leaves the microcirculation a fraction of its resting conductance, without
    // reserve. Autoregulation's state keeps dilating towards its bound, as it would with the bed
    // still in its charge: the reactive hyperaemia when the no-reflow ends.
    const double micro = in.microvascular_fraction[k];
    if (micro < 1.0) g = micro * std::min(g, 1.0);
    // A coronary balloon or stenosis is a fixed resistance in series with the bed's inflow,
    // R_s = R_in*(1/f - 1), so that it leaves the fraction f of the resting inflow conductance:
    // 1/(R_in/g + R_s) = g*f/(f + g*(1 - f))/R_in. Autoregulation dilates the bed behind it (g),
    // never the stenosis itself, so that maximal vasodilation cannot restore the flow it takes.
    const double f = in.coronary_inflow_fraction[k];
    double g_inflow = g;
    if (f < 1.0) g_inflow = f > 0.0 ? g * f / (f + g * (1.0 - f)) : 0.0;
    cor_in[k] = (p_root - cor_p[k]) * k_.g_coronary_in[k] * g_inflow;
    const double a = cor_p[k] - p_ra;
    const double drive = waterfall ? a - positive_part(a) + positive_part(a - z_back) : a;
    cor_out[k] = drive * k_.g_coronary_out[k] * g;
    cor_in_total += cor_in[k];
    cor_out_total += cor_out[k];
    if constexpr (!kAllDerivatives) continue;
    dydt[kCoronaryVolume0 + k] = cor_in[k] - cor_out[k];
    const double filtered = y[kCoronaryFilteredFlow0 + k];
    dydt[kCoronaryFilteredFlow0 + k] = (cor_in[k] - filtered) * k_.per_flow_filter_time_constant;
    const double supply = filtered * k_.per_resting_flow[k];  // q: 1 at resting flow
    const double debt = y[kOxygenDebt0 + k];
    {
      // Oxygen debt: demand m above supply adds to it, excess supply repays it (at an
      // efficiency, slowing as the debt nears 0). Stunning grows with dysfunction.
      const double demand =
          k_.basal_demand + k_.active_demand * in.regional_contractility[k] * function[k];
      const double balance = demand - supply;
      const double owed = std::max(debt, 0.0);
      dydt[kOxygenDebt0 + k] =
          balance > 0.0 ? balance
                        : k_.repayment_efficiency * balance * owed / (owed + kDebtFloor_s);
      dydt[kStunning0 + k] = k_.stunning_rate * (1.0 - function[k]) -
                             y[kStunning0 + k] * k_.per_stunning_time_constant;
    }
    if (k_.hyperaemia) {
      dydt[kCoronaryResistanceFactor0 + k] = 0.0;  // held fully dilated: the tone has no say
    } else {
      // Flow above the target constricts (g falls), below it dilates. The target is the resting
      // flow, raised by the oxygen debt (metabolic vasodilation).
      const double u = k_.autoregulation_gain * (supply - 1.0 - debt * k_.per_debt_dilation) +
                       k_.autoregulation_u_rest;
      const double g_ss =
          k_.conductance_min + k_.conductance_span * (0.5 - 0.5 * u / std::sqrt(1.0 + u * u));
      // The state's own value, not the capped g: otherwise a no-reflow would wind the state up
      // without bound (the cap hides it from this feedback) and its end would bring a flow many
      // times the bed's maximal dilation.
      // A vasodilator overrides the tone autoregulation would set: its drift slows by (1 - D).
      dydt[kCoronaryResistanceFactor0 + k] =
          (g_ss - g_autoregulated) * k_.per_autoregulation_time_constant * (1.0 - dilation);
    }
  }

  // Volumes.
  dydt[kLeftAtriumVolume] = q_pven - q_mv;
  dydt[kLeftVentricleVolume] = q_mv - q_av;
  dydt[kRightAtriumVolume] = q_caval + cor_out_total - q_tv;
  dydt[kRightVentricleVolume] = q_tv - q_pv;
  dydt[kAorticRootVolume] = q_av - q_arch - q_upper - cor_in_total;
  dydt[kDescendingAortaVolume] = q_arch - q_lower - q_bronchial;
  dydt[kSystemicArteriesVolume] = q_upper + q_lower - q_micro;
  dydt[kSystemicVeinsVolume] = q_micro - q_venous;
  dydt[kVenaCavaVolume] = q_venous - q_caval;
  dydt[kPulmonaryArteriesVolume] = q_pv - q_pvasc;
  dydt[kPulmonaryCapillariesVolume] = q_pvasc - q_pcap;
  dydt[kPulmonaryVeinsVolume] = q_pcap + q_bronchial - q_pven;

  // Fluids and bleeding. A bleed takes its rate from the systemic arteries while their pressure
  // is at least kBleedingTaperPressure_mmHg, and less below (smoothstep 3x^2 - 2x^3 of
  // x = P/P_taper, 0 at 0 mmHg: the unstressed volume), so it cannot empty them. The cumulative
  // states take exactly the flows the volumes see.
  double q_bleed = 0.0;
  if (in.bleeding_mL_s > 0.0) {
    q_bleed = in.bleeding_mL_s;
    if (p_art < kBleedingTaperPressure_mmHg) {
      const double x = std::max(p_art, 0.0) * (1.0 / kBleedingTaperPressure_mmHg);
      q_bleed *= x * x * (3.0 - 2.0 * x);
    }
    dydt[kSystemicArteriesVolume] -= q_bleed;
  }
  dydt[kVenaCavaVolume] += in.infusion_mL_s;
  dydt[kInfusedVolume] = in.infusion_mL_s;
  dydt[kBledVolume] = q_bleed;

  if (!devices_.empty()) {
    dydt[kLeftVentricleVolume] += flows.into(Site::left_ventricle);
    dydt[kAorticRootVolume] += flows.into(Site::aortic_root);
    dydt[kDescendingAortaVolume] += flows.into(Site::descending_aorta);
    dydt[kRightAtriumVolume] += flows.into(Site::right_atrium);
    dydt[kVenaCavaVolume] += flows.into(Site::vena_cava);
    dydt[kLeftAtriumVolume] += flows.into(Site::left_atrium);
    dydt[kPulmonaryArteriesVolume] += flows.into(Site::pulmonary_arteries);
  }

  // The septum's rate along the trajectory: the implicit function g(x, V_lv, V_rv, t) = 0 moves
  // x by dx/dt = (dP_lvf/dV dV_lv/dt - dP_rvf/dV dV_rv/dt - dg/dt) / (dg/dx).
  const double dg_dx = spt.dp_dv + lvf.dp_dv + rvf.dp_dv;
  const double dg_dt = (spt.dp_de - lvf.dp_de + rvf.dp_de) * ventricular.rate;
  const double dx_dt =
      (lvf.dp_dv * dydt[kLeftVentricleVolume] - rvf.dp_dv * dydt[kRightVentricleVolume] - dg_dt) /
      dg_dx;
  ws.septum_mL = x;
  ws.septum_t_s = t;
  ws.septum_rate_mL_s = std::isfinite(dx_dt) ? dx_dt : 0.0;

  if constexpr (kAllDerivatives) {
    // Valves and arch.
    const ValveRates mv = valve_law(p_.mitral, k_.mitral, p_la - p_lv, q_mv, y[kMitralOpening]);
    const ValveRates av = valve_law(p_.aortic, k_.aortic, p_lv - p_root, q_av, y[kAorticOpening]);
    const ValveRates tv =
        valve_law(p_.tricuspid, k_.tricuspid, p_ra - p_rv, q_tv, y[kTricuspidOpening]);
    const ValveRates pv =
        valve_law(p_.pulmonary, k_.pulmonary, p_rv - p_pa, q_pv, y[kPulmonaryOpening]);
    dydt[kMitralFlow] = mv.dq;
    dydt[kMitralOpening] = mv.dz;
    dydt[kAorticFlow] = av.dq;
    dydt[kAorticOpening] = av.dz;
    dydt[kTricuspidFlow] = tv.dq;
    dydt[kTricuspidOpening] = tv.dz;
    dydt[kPulmonaryFlow] = pv.dq;
    dydt[kPulmonaryOpening] = pv.dz;
    dydt[kArchFlow] = (p_root - p_desc - s.arch_resistance_mmHg_s_per_mL * q_arch) * k_.inv_l_arch;

    // Baroreflex.
    if (reflex) {
      // High cut of the neural arc: tau_h dPs/dt = P - Ps (P: root pressure; tau_h = 0: Ps = P).
      // Afferent filter tau_p dPf/dt = Ps + tau_z dPs/dt - Pf, written without dPs/dt: the state
      // is w = Pf - (tau_z/tau_p) Ps, so that dw/dt = ((1 - tau_z/tau_p) Ps - w) / tau_p.
      const double lead = b.zero_time_constant_s / b.pole_time_constant_s;
      const double p_sensed = sensed_pressure_mmHg(y, p_root);
      // 0 without a high cut (per_high_cut_time_constant 0): the unused state stays as it is.
      dydt[kBaroreflexSensedPressure] = (p_root - p_sensed) * k_.per_high_cut_time_constant;
      dydt[kBaroreflexAfferentPressure] =
          ((1.0 - lead) * p_sensed - y[kBaroreflexAfferentPressure]) * k_.per_pole_time_constant;
      const EfferentActivity& rest = rest_activity_;
      // Effectors that share a delay read the history once.
      double last_delay = -1.0;
      EfferentActivity a{};
      auto effector = [&](const Effector& e, std::size_t i, bool vagal) {
        if (e.delay_s != last_delay) {
          a = in.efferent_history.at(t - e.delay_s);
          last_delay = e.delay_s;
        }
        const double drive = vagal ? a.vagal - rest.vagal : a.sympathetic - rest.sympathetic;
        dydt[i] =
            (e.gain * drive - y[i]) * k_.per_effector_time_constant[i - kBaroreflexLvContractility];
      };
      // Ordered so that effectors with Ursino's common 2 s delay follow each other.
      effector(b.lv_contractility, kBaroreflexLvContractility, false);
      effector(b.rv_contractility, kBaroreflexRvContractility, false);
      effector(b.systemic_resistance, kBaroreflexResistance, false);
      effector(b.heart_period_sympathetic, kBaroreflexPeriodSympathetic, false);
      effector(b.venous_unstressed_volume, kBaroreflexVenousVolume, false);
      effector(b.heart_period_vagal, kBaroreflexPeriodVagal, true);
    } else {
      for (std::size_t i = kBaroreflexSensedPressure; i <= kBaroreflexPeriodVagal; ++i) dydt[i] = 0;
    }
  }

  if (obs) {
    Observables& o = *obs;
    o.t_s = t;
    o.left_atrium_mmHg = p_la;
    o.left_ventricle_mmHg = p_lv;
    {
      // dP_lv/dt along the trajectory: the septal volume moves as the implicit function
      // g(x, V_lv, V_rv, t) = 0 dictates (implicit differentiation).
      const double dv_lv = dydt[kLeftVentricleVolume];
      const double dv_rv = dydt[kRightVentricleVolume];
      const double dperi = pe.pressure_scale_mmHg * pe.stiffness_per_mL * peri_exp;
      o.left_ventricle_dpdt_mmHg_s =
          lvf.dp_de * ventricular.rate + lvf.dp_dv * (dv_lv - dx_dt) + dperi * (dv_lv + dv_rv);
    }
    o.right_atrium_mmHg = p_ra;
    o.right_ventricle_mmHg = p_rv;
    o.aortic_root_mmHg = p_root;
    o.descending_aorta_mmHg = p_desc;
    o.systemic_arteries_mmHg = p_art;
    o.systemic_veins_mmHg = p_ven;
    o.vena_cava_mmHg = p_vc;
    o.pulmonary_arteries_mmHg = p_pa;
    o.pulmonary_capillaries_mmHg = p_pcap;
    o.pulmonary_veins_mmHg = p_pv;
    o.pericardium_mmHg = p_peri;
    o.coronary_mmHg = cor_p;
    o.left_atrium_mL = y[kLeftAtriumVolume];
    o.left_ventricle_mL = v_lv;
    o.right_atrium_mL = y[kRightAtriumVolume];
    o.right_ventricle_mL = v_rv;
    o.septum_mL = x;
    o.mitral_mL_s = q_mv;
    o.aortic_valve_mL_s = q_av;
    o.tricuspid_mL_s = q_tv;
    o.pulmonary_valve_mL_s = q_pv;
    o.arch_mL_s = q_arch;
    o.upper_body_mL_s = q_upper;
    o.lower_body_mL_s = q_lower;
    o.microvascular_mL_s = q_micro;
    o.venous_return_mL_s = q_venous;
    o.caval_mL_s = q_caval;
    o.bronchial_mL_s = q_bronchial;
    o.pulmonary_vascular_mL_s = q_pvasc;
    o.pulmonary_capillary_mL_s = q_pcap;
    o.pulmonary_venous_mL_s = q_pven;
    o.coronary_inflow_mL_s = cor_in;
    for (std::size_t k = 0; k < territory_count; ++k) {
      o.coronary_distal_mmHg[k] = coronary_distal_pressure(
          p_root, cor_p[k], cor_in[k], p_.coronary[k].inflow_resistance_mmHg_s_per_mL,
          in.coronary_inflow_fraction[k]);
    }
    for (std::size_t k = 0; k < territory_count; ++k) {
      o.coronary_resistance_factor[k] = 1.0 / y[kCoronaryResistanceFactor0 + k];
    }
    o.coronary_outflow_mL_s = cor_out;
    for (std::size_t k = 0; k < territory_count; ++k) {
      o.oxygen_debt_s[k] = y[kOxygenDebt0 + k];
      o.stunning[k] = y[kStunning0 + k];
      o.regional_function[k] = in.regional_contractility[k] * function[k];
      o.regional_stiffness[k] = 1.0 + k_.maximum_stiffening * stiffening[k];
    }
    {
      // Each territory's share of the free wall's volume: its contracting part at u_A, its
      // passive part (its loss 1 - f, scaled to the passive share) at u_A + d.
      const double v_free = v_lv - x;
      const double u_a = v_free - passive_share * bulge;
      const double per_lost = lv_lost > 0.0 ? passive_share / lv_lost : 0.0;
      for (std::size_t k = 0; k < territory_count; ++k) {
        const double w = lv_contractility_weight_[k];
        o.regional_volume_mL[k] = w * (u_a + (1.0 - function[k]) * per_lost * bulge);
      }
    }
    o.ventricular_activation = ev;
    o.atrial_activation = ea;
    o.lv_elastance_mmHg_per_mL = e_lvf;
    o.lv_passive_share = passive_share;
    o.lv_passive_bulge_mL = passive_share * bulge;
    o.systemic_resistance_mmHg_s_per_mL = r_micro;
    o.blood_volume_mL = blood_volume_mL(y);
    o.infused_mL = y[kInfusedVolume];
    o.bled_mL = y[kBledVolume];
    o.infusion_mL_s = in.infusion_mL_s;
    o.bleeding_mL_s = q_bleed;
    o.drug_dose = in.drug_dose;
    for (std::size_t d = 0; d < drug_count; ++d) {
      o.drug_effect_site[d] = y[kDrugEffectSite0 + d];
    }
    o.rhythm_code = static_cast<double>(c.rhythm);
  }
}

void Circulation::record_ecg(const PlantInputs& in, Observables& o) const {
  // Each territory's loss of function from its oxygen debt, as evaluate has it (1 - f).
  std::array<double, territory_count> ischaemic{};
  for (std::size_t k = 0; k < territory_count; ++k) {
    const double a =
        std::max(o.oxygen_debt_s[k], 0.0) * (1.0 + o.stunning[k]) * k_.per_contraction_debt;
    ischaemic[k] = a * a / (1.0 + a * a);
  }
  o.ecg_mV = ecg_lead_mV(p_.ecg, in.cycle, o.t_s, ischaemic);
}

namespace {
#define UNLOAD_COLUMN(name, unit, description, member)                     \
  ObservableColumn {                                                       \
    name, unit, description, [](const Observables& o) { return o.member; } \
  }
#define UNLOAD_COLUMN_K(name, unit, description, member, k)                   \
  ObservableColumn {                                                          \
    name, unit, description, [](const Observables& o) { return o.member[k]; } \
  }
constexpr ObservableColumn kColumns[] = {
    UNLOAD_COLUMN("p_left_atrium_mmHg", "mmHg", "left atrial pressure", left_atrium_mmHg),
    UNLOAD_COLUMN("p_left_ventricle_mmHg", "mmHg", "left ventricular pressure",
                  left_ventricle_mmHg),
    UNLOAD_COLUMN("p_right_atrium_mmHg", "mmHg", "right atrial pressure", right_atrium_mmHg),
    UNLOAD_COLUMN("p_right_ventricle_mmHg", "mmHg", "right ventricular pressure",
                  right_ventricle_mmHg),
    UNLOAD_COLUMN("p_aortic_root_mmHg", "mmHg", "aortic root (ascending aorta) pressure",
                  aortic_root_mmHg),
    UNLOAD_COLUMN("p_descending_aorta_mmHg", "mmHg", "descending aortic pressure",
                  descending_aorta_mmHg),
    UNLOAD_COLUMN("p_systemic_arteries_mmHg", "mmHg", "peripheral arterial pressure",
                  systemic_arteries_mmHg),
    UNLOAD_COLUMN("p_systemic_veins_mmHg", "mmHg", "peripheral venous pressure",
                  systemic_veins_mmHg),
    UNLOAD_COLUMN("p_vena_cava_mmHg", "mmHg", "pressure in the thoracic great veins",
                  vena_cava_mmHg),
    UNLOAD_COLUMN("p_pulmonary_arteries_mmHg", "mmHg", "pulmonary arterial pressure",
                  pulmonary_arteries_mmHg),
    UNLOAD_COLUMN("p_pulmonary_capillaries_mmHg", "mmHg", "pulmonary capillary pressure",
                  pulmonary_capillaries_mmHg),
    UNLOAD_COLUMN("p_pulmonary_veins_mmHg", "mmHg", "pulmonary venous pressure",
                  pulmonary_veins_mmHg),
    UNLOAD_COLUMN("p_pericardium_mmHg", "mmHg", "pericardial pressure", pericardium_mmHg),
    UNLOAD_COLUMN("dpdt_left_ventricle_mmHg_s", "mmHg/s",
                  "rate of change of left ventricular pressure", left_ventricle_dpdt_mmHg_s),
    UNLOAD_COLUMN_K("p_coronary_lad_mmHg", "mmHg", "intramyocardial pressure of the LAD territory",
                    coronary_mmHg, 0),
    UNLOAD_COLUMN_K("p_coronary_lcx_mmHg", "mmHg", "intramyocardial pressure of the LCx territory",
                    coronary_mmHg, 1),
    UNLOAD_COLUMN_K("p_coronary_rca_mmHg", "mmHg", "intramyocardial pressure of the RCA territory",
                    coronary_mmHg, 2),
    UNLOAD_COLUMN_K("p_distal_lad_mmHg", "mmHg",
                    "pressure distal to the LAD territory's stenosis or balloon, as a pressure "
                    "wire reads it (the aortic root's pressure without one)",
                    coronary_distal_mmHg, 0),
    UNLOAD_COLUMN_K("p_distal_lcx_mmHg", "mmHg",
                    "pressure distal to the LCx territory's stenosis or balloon",
                    coronary_distal_mmHg, 1),
    UNLOAD_COLUMN_K("p_distal_rca_mmHg", "mmHg",
                    "pressure distal to the RCA territory's stenosis or balloon",
                    coronary_distal_mmHg, 2),
    UNLOAD_COLUMN("v_left_atrium_mL", "mL", "left atrial volume", left_atrium_mL),
    UNLOAD_COLUMN("v_left_ventricle_mL", "mL", "left ventricular volume", left_ventricle_mL),
    UNLOAD_COLUMN("v_right_atrium_mL", "mL", "right atrial volume", right_atrium_mL),
    UNLOAD_COLUMN("v_right_ventricle_mL", "mL", "right ventricular volume", right_ventricle_mL),
    UNLOAD_COLUMN("v_septum_mL", "mL",
                  "septal volume displacement (positive: towards the right ventricle)", septum_mL),
    UNLOAD_COLUMN("q_mitral_mL_s", "mL/s", "flow through the mitral valve", mitral_mL_s),
    UNLOAD_COLUMN("q_aortic_valve_mL_s", "mL/s", "flow through the aortic valve",
                  aortic_valve_mL_s),
    UNLOAD_COLUMN("q_tricuspid_mL_s", "mL/s", "flow through the tricuspid valve", tricuspid_mL_s),
    UNLOAD_COLUMN("q_pulmonary_valve_mL_s", "mL/s", "flow through the pulmonary valve",
                  pulmonary_valve_mL_s),
    UNLOAD_COLUMN("q_arch_mL_s", "mL/s", "flow through the aortic arch into the descending aorta",
                  arch_mL_s),
    UNLOAD_COLUMN("q_upper_body_mL_s", "mL/s", "flow from the aortic root to the upper body",
                  upper_body_mL_s),
    UNLOAD_COLUMN("q_lower_body_mL_s", "mL/s", "flow from the descending aorta to the lower body",
                  lower_body_mL_s),
    UNLOAD_COLUMN("q_microvascular_mL_s", "mL/s", "flow through the systemic microcirculation",
                  microvascular_mL_s),
    UNLOAD_COLUMN("q_venous_return_mL_s", "mL/s",
                  "flow from the peripheral veins to the great veins", venous_return_mL_s),
    UNLOAD_COLUMN("q_bronchial_mL_s", "mL/s",
                  "bronchial flow, descending aorta to the pulmonary veins (left heart return)",
                  bronchial_mL_s),
    UNLOAD_COLUMN("q_caval_mL_s", "mL/s", "flow from the great veins into the right atrium",
                  caval_mL_s),
    UNLOAD_COLUMN("q_pulmonary_vascular_mL_s", "mL/s", "flow through the pulmonary arterioles",
                  pulmonary_vascular_mL_s),
    UNLOAD_COLUMN("q_pulmonary_capillary_mL_s", "mL/s", "flow through the pulmonary capillaries",
                  pulmonary_capillary_mL_s),
    UNLOAD_COLUMN("q_pulmonary_venous_mL_s", "mL/s",
                  "flow from the pulmonary veins into the left atrium", pulmonary_venous_mL_s),
    UNLOAD_COLUMN_K("q_coronary_lad_mL_s", "mL/s", "inflow of the LAD territory",
                    coronary_inflow_mL_s, 0),
    UNLOAD_COLUMN_K("q_coronary_lcx_mL_s", "mL/s", "inflow of the LCx territory",
                    coronary_inflow_mL_s, 1),
    UNLOAD_COLUMN_K("q_coronary_rca_mL_s", "mL/s", "inflow of the RCA territory",
                    coronary_inflow_mL_s, 2),
    UNLOAD_COLUMN_K("coronary_lad_resistance_factor", "1",
                    "autoregulation's factor on the LAD territory's microvascular resistance (1 "
                    "at rest)",
                    coronary_resistance_factor, 0),
    UNLOAD_COLUMN_K("coronary_lcx_resistance_factor", "1",
                    "autoregulation's factor on the LCx territory's microvascular resistance",
                    coronary_resistance_factor, 1),
    UNLOAD_COLUMN_K("coronary_rca_resistance_factor", "1",
                    "autoregulation's factor on the RCA territory's microvascular resistance",
                    coronary_resistance_factor, 2),
    UNLOAD_COLUMN_K("oxygen_debt_lad_s", "s",
                    "oxygen debt of the LAD territory, in seconds of its resting flow",
                    oxygen_debt_s, 0),
    UNLOAD_COLUMN_K("oxygen_debt_lcx_s", "s", "oxygen debt of the LCx territory", oxygen_debt_s, 1),
    UNLOAD_COLUMN_K("oxygen_debt_rca_s", "s", "oxygen debt of the RCA territory", oxygen_debt_s, 2),
    UNLOAD_COLUMN_K("stunning_lad", "1",
                    "stunning of the LAD territory (its debt weighs 1 + this; 0 when never "
                    "ischaemic)",
                    stunning, 0),
    UNLOAD_COLUMN_K("stunning_lcx", "1", "stunning of the LCx territory", stunning, 1),
    UNLOAD_COLUMN_K("stunning_rca", "1", "stunning of the RCA territory", stunning, 2),
    UNLOAD_COLUMN_K("function_lad", "1",
                    "contractility of the LAD territory's wall (1 normal, 0 akinetic)",
                    regional_function, 0),
    UNLOAD_COLUMN_K("function_lcx", "1", "contractility of the LCx territory's wall",
                    regional_function, 1),
    UNLOAD_COLUMN_K("function_rca", "1", "contractility of the RCA territory's wall",
                    regional_function, 2),
    UNLOAD_COLUMN_K("stiffness_lad", "1",
                    "passive stiffness of the LAD territory's wall relative to its preset value",
                    regional_stiffness, 0),
    UNLOAD_COLUMN_K("stiffness_lcx", "1",
                    "passive stiffness of the LCx territory's wall relative to its preset value",
                    regional_stiffness, 1),
    UNLOAD_COLUMN_K("stiffness_rca", "1",
                    "passive stiffness of the RCA territory's wall relative to its preset value",
                    regional_stiffness, 2),
    UNLOAD_COLUMN_K("v_wall_lad_mL", "mL",
                    "volume of the LV cavity the LAD territory's share of the LV free wall "
                    "encloses: falls in systole while the wall contracts, rises when an "
                    "ischaemic wall bulges (dyskinesis)",
                    regional_volume_mL, 0),
    UNLOAD_COLUMN_K(
        "v_wall_lcx_mL", "mL",
        "volume of the LV cavity the LCx territory's share of the LV free wall encloses",
        regional_volume_mL, 1),
    UNLOAD_COLUMN_K(
        "v_wall_rca_mL", "mL",
        "volume of the LV cavity the RCA territory's share of the LV free wall encloses",
        regional_volume_mL, 2),
    UNLOAD_COLUMN("e_ventricular_activation", "1",
                  "ventricular activation, 0 (relaxed) to 1 (end-systole)", ventricular_activation),
    UNLOAD_COLUMN("e_atrial_activation", "1", "atrial activation, 0 to 1", atrial_activation),
    UNLOAD_COLUMN("lv_elastance_mmHg_mL", "mmHg/mL",
                  "end-systolic elastance of the LV free wall in force (contractility)",
                  lv_elastance_mmHg_per_mL),
    UNLOAD_COLUMN("r_microvascular_mmHg_s_mL", "mmHg*s/mL",
                  "systemic microvascular resistance in force", systemic_resistance_mmHg_s_per_mL),
    UNLOAD_COLUMN("blood_volume_mL", "mL", "total blood volume in the circulation",
                  blood_volume_mL),
    UNLOAD_COLUMN("q_infusion_mL_s", "mL/s", "fluid infused into the vena cava", infusion_mL_s),
    UNLOAD_COLUMN("q_bleeding_mL_s", "mL/s", "blood lost from the systemic arteries",
                  bleeding_mL_s),
    UNLOAD_COLUMN_K("norepinephrine_dose_mcg_kg_min", "mcg/kg/min",
                    "norepinephrine infusion rate given", drug_dose, 0),
    UNLOAD_COLUMN_K("norepinephrine_effect_mcg_kg_min", "mcg/kg/min",
                    "norepinephrine effect-site dose (the rate whose steady effect acts now)",
                    drug_effect_site, 0),
    UNLOAD_COLUMN_K("dobutamine_dose_mcg_kg_min", "mcg/kg/min", "dobutamine infusion rate given",
                    drug_dose, 1),
    UNLOAD_COLUMN_K("dobutamine_effect_mcg_kg_min", "mcg/kg/min", "dobutamine effect-site dose",
                    drug_effect_site, 1),
    UNLOAD_COLUMN_K("nitroprusside_dose_mcg_kg_min", "mcg/kg/min",
                    "nitroprusside infusion rate given", drug_dose, 2),
    UNLOAD_COLUMN_K("nitroprusside_effect_mcg_kg_min", "mcg/kg/min",
                    "nitroprusside effect-site dose", drug_effect_site, 2),
    UNLOAD_COLUMN_K("adenosine_dose_mcg_kg_min", "mcg/kg/min",
                    "adenosine infusion rate given (intravenous)", drug_dose, 3),
    UNLOAD_COLUMN_K("adenosine_effect_mcg_kg_min", "mcg/kg/min", "adenosine effect-site dose",
                    drug_effect_site, 3),
    UNLOAD_COLUMN("ecg_mV", "mV",
                  "synthetic ECG, an anterior precordial lead (V3-like): LAD ischaemia elevates "
                  "its ST segment, LCx and RCA ischaemia depress it",
                  ecg_mV),
    UNLOAD_COLUMN("rhythm", "1",
                  "rhythm of the beat: 0 sinus, 1 atrial fibrillation, 2 ventricular tachycardia, "
                  "3 ventricular fibrillation, 4 asystole, 5 ventricular pacing",
                  rhythm_code),
};
static_assert(physio::drug_count == 4, "one dose and one effect column per drug");
#undef UNLOAD_COLUMN
#undef UNLOAD_COLUMN_K
}  // namespace

std::span<const ObservableColumn> observable_columns() { return kColumns; }

}  // namespace unload::physio
