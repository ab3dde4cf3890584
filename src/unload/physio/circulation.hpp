// The closed-loop circulation: four chambers with ventricular interaction, four valves, systemic
// and pulmonary vessels, three coronary territories and the baroreflex.
//
//   pulmonary veins -> [LA] -mitral-> [LV] -aortic-> aortic root -arch (R, L)-> descending aorta
//   aortic root -upper body R-> arteries <-lower body R- descending aorta
//   arteries -microvascular R-> veins -R-> vena cava -R-> [RA] -tricuspid-> [RV] -pulmonary->
//   pulmonary arteries -R-> pulmonary capillaries -R-> pulmonary veins -R-> LA
//   aortic root [-stenosis R_s->] -R_in/g-> coronary territory k (squeezed by ventricular
//   pressure) -R_out/g, through a waterfall at P_zf-> RA     (g: autoregulation; docs/model.md 2.6)
//
// Chambers: time-varying elastance (Wall) with activation e(t) (Activation). The ventricles share
// the septum and the pericardium as in Smith et al. 2004: the septal volume V_spt solves
//   P_spt(V_spt) = P_lvf(V_lv - V_spt) - P_rvf(V_rv + V_spt)
// by Newton's method, and P_lv = P_lvf + P_peri + P_th, P_rv = P_rvf + P_peri + P_th with
//   P_peri = P0 (exp(lambda (V_lv + V_rv - V0)) - 1).
// The LV free wall's share s that ischaemia has taken out of contraction (docs/model.md 2.9) is a
// passive region in parallel with the contracting wall: at one pressure, their volumes add,
//   V_lvf = (1 - s) u_A + s (u_A + d),  P = P_A(u_A) (time-varying) = P0 (exp(lambda (u_A + d -
//   V0)) - 1),
// so that in systole it bulges (d > 0); the septal Newton iteration solves for d as well.
// Valves: see Valve in parameters.hpp. Vessels: P = (V - Vu)/C (+ P_th inside the chest).
// Units: mmHg, mL, mL/s, s. State: volumes first (their sum is the blood volume, conserved by
// construction because every flow leaves one compartment and enters another), then valve flows
// and opening states, arch flow, baroreflex states.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "unload/physio/baroreflex.hpp"
#include "unload/physio/device.hpp"
#include "unload/physio/parameters.hpp"

namespace unload::physio {

enum StateIndex : std::size_t {
  // Volumes (mL).
  kLeftAtriumVolume,
  kLeftVentricleVolume,
  kRightAtriumVolume,
  kRightVentricleVolume,
  kAorticRootVolume,
  kDescendingAortaVolume,
  kSystemicArteriesVolume,
  kSystemicVeinsVolume,
  kVenaCavaVolume,
  kPulmonaryArteriesVolume,
  kPulmonaryCapillariesVolume,
  kPulmonaryVeinsVolume,
  kCoronaryVolume0,  // one per territory
  kVolumeCount = kCoronaryVolume0 + territory_count,
  // Valve flows (mL/s) and opening states (0..1).
  kMitralFlow = kVolumeCount,
  kMitralOpening,
  kAorticFlow,
  kAorticOpening,
  kTricuspidFlow,
  kTricuspidOpening,
  kPulmonaryFlow,
  kPulmonaryOpening,
  kArchFlow,  // aortic root -> descending aorta (mL/s)
  // Baroreflex.
  kBaroreflexSensedPressure,     // root pressure through the afferent's high cut (mmHg)
  kBaroreflexAfferentPressure,   // filtered pressure (mmHg)
  kBaroreflexLvContractility,    // relative change
  kBaroreflexRvContractility,    // relative change
  kBaroreflexResistance,         // relative change of microvascular resistance
  kBaroreflexVenousVolume,       // change of venous unstressed volume (mL)
  kBaroreflexPeriodSympathetic,  // change of heart period (s)
  kBaroreflexPeriodVagal,        // change of heart period (s)
  // Coronary autoregulation, per territory: filtered mean inflow (mL/s) and the factor on the
  // territory's microvascular resistances (1 at rest).
  kCoronaryFilteredFlow0,
  kCoronaryResistanceFactor0 = kCoronaryFilteredFlow0 + territory_count,
  // Ischaemia, per territory: oxygen debt (s of resting flow) and stunning (1).
  kOxygenDebt0 = kCoronaryResistanceFactor0 + territory_count,
  kStunning0 = kOxygenDebt0 + territory_count,
  // Fluids and bleeding: volume infused into the vena cava and bled from the systemic arteries
  // since the run started (mL), integrated with the volumes so that the blood volume's accounting
  // (start + infused - bled) holds to the integration's rounding.
  kInfusedVolume = kStunning0 + territory_count,
  kBledVolume,
  // Vasoactive drugs: each drug's effect-site dose (mcg/kg/min; Drug in parameters.hpp), in
  // drug_names order.
  kDrugEffectSite0,
  kStateCount = kDrugEffectSite0 + drug_count
};

// Below this pressure of the systemic arteries (mmHg) a bleed slows, smoothly, to nothing at
// 0 mmHg, where the arteries hold their unstressed volume: it cannot empty them, nor (their
// inflow stopping with it) drain the compartments upstream below their own unstressed volumes.
inline constexpr double kBleedingTaperPressure_mmHg = 5.0;

// One contraction's activation e(t): a sine rising from 0 to 1 at the time to peak tp and back to
// 1/2 at 1.5 tp, then an exponential relaxation with time constant tau; both scaled to the beat.
// Held with the reciprocals the right-hand side needs (it runs every few microseconds).
struct ContractionTiming {
  double onset_s = 0;
  double rise_end_s = 0;         // onset + 1.5 tp
  double phase_per_s = 0;        // pi / tp
  double per_time_constant = 0;  // 1 / tau
};

// The heart's rhythm (docs/model.md 2.12). Sinus: atria then ventricles, at the period the reflex
// sets. Atrial fibrillation: no atrial contraction, R-R intervals scattered around that period.
// Ventricular tachycardia and ventricular (VVI) pacing: ventricles at a fixed rate, no atrial kick
// (AV dissociation). Ventricular fibrillation and asystole: no contraction at all, on a nominal
// beat clock (RhythmParameters::arrest_beat_period_s) so that beats and their metrics go on.
enum class Rhythm : std::uint8_t { sinus, af, vt, vf, asystole, paced };
inline constexpr int kRhythmCount = 6;
std::string_view rhythm_name(Rhythm r);     // "sinus", "af", "vt", "vf", "asystole", "paced"
std::string rhythm_with_article(Rhythm r);  // "a sinus", "an af", "an asystole" (for messages)
std::optional<Rhythm> rhythm_from_name(std::string_view name);
// Rhythms whose rate is given (vt, paced), and the range of that rate (1/min).
inline constexpr bool takes_rate(Rhythm r) { return r == Rhythm::vt || r == Rhythm::paced; }
inline constexpr double kMinVtRate_bpm = 100.0, kMaxVtRate_bpm = 220.0;
inline constexpr double kMinPacedRate_bpm = 30.0, kMaxPacedRate_bpm = 180.0;
// Rhythms a defibrillation ends (restoring sinus rhythm).
inline constexpr bool shockable(Rhythm r) { return r == Rhythm::vf || r == Rhythm::vt; }
// Rhythms without ventricular contraction (a rhythm change there acts at once).
inline constexpr bool arrested(Rhythm r) { return r == Rhythm::vf || r == Rhythm::asystole; }

// The rhythm of the beats to come, and the rhythm's random numbers. Part of the State: the rhythm
// an event or the VF risk sets acts from the next R wave (at once in VF and asystole); the
// generator (SplitMix64, its 64-bit state in two halves, exact as doubles) draws AF's R-R
// intervals and the VF risk's chances.
struct RhythmState {
  Rhythm rhythm = Rhythm::sinus;
  double rate_bpm = 0;  // vt, paced
  std::uint32_t random_low = 0, random_high = 0;
  double vf_onset_s = -1;  // when VF last began (-1: never in this run)

  void seed(double seed);
  double uniform();  // in [0, 1)
  double normal();   // standard normal (Box-Muller)
};

// Timing of the current beat. A beat runs from one onset of ventricular activation (the R wave) to
// the next; its period is fixed when it starts.
struct CardiacCycle {
  int beat_index = 0;             // 0 for the first beat of a run
  Rhythm rhythm = Rhythm::sinus;  // of this beat
  double beat_start_s = 0;
  double period_s = 1;
  double ventricular_scale = 1;      // sqrt(period / reference period)
  double contractility = 1;          // of the ventricles in this beat (below 1: ventricular origin)
  double atrial_onset_s = 0;         // onset of the atrial contraction before this beat
  double previous_atrial_scale = 1;  // scale of that atrial contraction
  double next_atrial_onset_s = 0;    // onset of the atrial contraction before the next beat
  double atrial_scale = 1;           // its scale
  // The three contractions that act during this beat (set by Circulation::start_beat).
  ContractionTiming ventricles, previous_atria, next_atria;

  // The same beat on a clock moved by dt (every time in it + dt).
  void shift_time(double dt_s) {
    beat_start_s += dt_s;
    atrial_onset_s += dt_s;
    next_atrial_onset_s += dt_s;
    for (ContractionTiming* c : {&ventricles, &previous_atria, &next_atria}) {
      c->onset_s += dt_s;
      c->rise_end_s += dt_s;
    }
  }
};

// A coronary balloon or stenosis leaving the fraction f of a territory's resting inflow
// conductance is a fixed resistance in series with the bed's inflow resistance R_in/g:
//   R_s = R_in (1/f - 1)      (docs/model.md 2.6)
// and the pressure distal to it, what a pressure wire beyond the lesion reads, is
//   P_d = P_root - Q_in R_s,
// P_root with no stenosis (f = 1) and the bed's own pressure behind a balloon that stops all inflow
// (f = 0: no flow crosses R_in/g). Linear in P_root and Q_in, so the mean of P_d over a beat is
// this expression of the means: mean Pd / mean Pa is the pressure ratio of the cath lab (resting
// Pd/Pa; the fractional flow reserve, FFR, under maximal vasodilation).
inline double stenosis_resistance(double inflow_resistance, double f) {
  return inflow_resistance * (1.0 / f - 1.0);
}
inline double coronary_distal_pressure(double root_mmHg, double bed_mmHg, double inflow_mL_s,
                                       double inflow_resistance, double f) {
  if (f >= 1.0) return root_mmHg;
  if (f <= 0.0) return bed_mmHg;
  return root_mmHg - inflow_mL_s * stenosis_resistance(inflow_resistance, f);
}

// What the plant reads besides its state: beat timing, the baroreflex's past, the regional
// contractility of each coronary territory's wall (1 = normal; the preset's value) and what is left
// of its resting inflow conductance (1 = open; a coronary balloon or stenosis lowers it to its
// residual fraction f, a fixed resistance R_in*(1/f - 1) in series with the bed), and
// the rates of fluid infusion and bleeding. A value type: it is part of a simulation's State,
// copied and saved with it.
struct PlantInputs {
  CardiacCycle cycle;
  EfferentHistory efferent_history;  // read when the baroreflex is on
  std::array<double, territory_count> regional_contractility = {1.0, 1.0, 1.0};
  std::array<double, territory_count> coronary_inflow_fraction = {1.0, 1.0, 1.0};
  // What is left of each territory's microvascular conductance (1 = open). Below 1 (a no-reflow:
  // the microcirculation obstructed after a stent or an atherectomy) the territory also loses its
  // flow reserve: its conductance is this fraction of at most its resting value, however far
  // autoregulation would dilate it.
  std::array<double, territory_count> microvascular_fraction = {1.0, 1.0, 1.0};
  // A fluid infusion into the vena cava and a bleed from the systemic arteries (mL/s, >= 0): the
  // sums of the infusions and bleeds running now.
  double infusion_mL_s = 0;
  double bleeding_mL_s = 0;
  // The infusion rate of each drug (mcg/kg/min, in drug_names order; 0: not given).
  std::array<double, drug_count> drug_dose = {};
  // Settings of each attached device (same order as Circulation::devices()).
  std::vector<DeviceSettings> device_settings;
  // When the previous beat's ejection ended, after its R wave (s); 0 before the first beat ends.
  double previous_ejection_end_s = 0;
  RhythmState rhythm;
};

// Everything a sensor or a recorder could read at one instant: pressures (mmHg), flows (mL/s),
// volumes (mL). Filled by Circulation::evaluate.
struct Observables {
  double t_s = 0;
  // Pressures.
  double left_atrium_mmHg = 0, left_ventricle_mmHg = 0, right_atrium_mmHg = 0,
         right_ventricle_mmHg = 0, aortic_root_mmHg = 0, descending_aorta_mmHg = 0,
         systemic_arteries_mmHg = 0, systemic_veins_mmHg = 0, vena_cava_mmHg = 0,
         pulmonary_arteries_mmHg = 0, pulmonary_capillaries_mmHg = 0, pulmonary_veins_mmHg = 0,
         pericardium_mmHg = 0;
  std::array<double, territory_count> coronary_mmHg{};
  double left_ventricle_dpdt_mmHg_s = 0;  // dP/dt of the LV
  // Volumes.
  double left_atrium_mL = 0, left_ventricle_mL = 0, right_atrium_mL = 0, right_ventricle_mL = 0,
         septum_mL = 0;
  // Flows.
  double mitral_mL_s = 0, aortic_valve_mL_s = 0, tricuspid_mL_s = 0, pulmonary_valve_mL_s = 0,
         arch_mL_s = 0, upper_body_mL_s = 0, lower_body_mL_s = 0, microvascular_mL_s = 0,
         venous_return_mL_s = 0, caval_mL_s = 0, bronchial_mL_s = 0, pulmonary_vascular_mL_s = 0,
         pulmonary_capillary_mL_s = 0, pulmonary_venous_mL_s = 0;
  std::array<double, territory_count> coronary_inflow_mL_s{}, coronary_outflow_mL_s{};
  // Pressure distal to each territory's stenosis or balloon (coronary_distal_pressure; the root's
  // pressure when there is none).
  std::array<double, territory_count> coronary_distal_mmHg{};
  std::array<double, territory_count> coronary_resistance_factor{};  // autoregulation (1 at rest)
  // Ischaemia: oxygen debt (s of resting flow), stunning, and the territory's contractility and
  // passive stiffness relative to its preset values.
  std::array<double, territory_count> oxygen_debt_s{}, stunning{}, regional_function{},
      regional_stiffness{};
  // Volume of the LV cavity each territory's share of the LV free wall encloses (mL; they sum to
  // the free wall's volume, LV volume minus the septal displacement). A territory that contracts
  // moves it inward in systole; the passive (ischaemic) part of one moves it outward (docs/model.md
  // 2.9: systolic bulging).
  std::array<double, territory_count> regional_volume_mL{};
  // Heart and reflex.
  double ventricular_activation = 0, atrial_activation = 0;
  double lv_elastance_mmHg_per_mL = 0;  // effective end-systolic elastance of the LV free wall
  // The LV free wall's passive (ischaemic) share s (docs/model.md 2.9; 0 without one) and the
  // volume its bulge adds to the cavity, s d (mL): the LV volume less s d is the volume the
  // wall would hold if its passive region followed the contracting one (beat metrics: PVA).
  double lv_passive_share = 0, lv_passive_bulge_mL = 0;
  double systemic_resistance_mmHg_s_per_mL = 0;  // microvascular resistance now in force
  double blood_volume_mL = 0;
  double infused_mL = 0, bled_mL = 0;           // since the run started
  double infusion_mL_s = 0, bleeding_mL_s = 0;  // flows now (bleeding: after the taper)
  // Drugs: each one's infusion rate and effect-site dose (mcg/kg/min).
  std::array<double, drug_count> drug_dose{}, drug_effect_site{};
  // The synthetic ECG lead (mV; filled by Circulation::record_ecg) and the rhythm of the beat (its
  // Rhythm's number).
  double ecg_mV = 0, rhythm_code = 0;
  // Readings of the attached devices, each device's block at Circulation::reading_offset(k).
  static constexpr std::size_t max_readings = 48;
  std::array<double, max_readings> device_readings{};
};

// One column of the waveform output: name (with unit), unit, what it is, and where it is in
// Observables. The one list of the circulation's waveforms: writers, `unload list` and the docs
// read it.
struct ObservableColumn {
  std::string_view name;
  std::string_view unit;
  std::string_view description;
  double (*get)(const Observables&);
};
std::span<const ObservableColumn> observable_columns();

// Scratch space of one run: warm start of the septal Newton iteration. Not shared between runs.
// exp(a) near a recent exact value: exp(a) = exp(a_ref) * exp(a - a_ref), the second factor by a
// Taylor polynomial while |a - a_ref| <= 0.1 (relative error below 3e-11 and never accumulating,
// because exp(a_ref) is always exact); beyond that, std::exp, which becomes the new reference.
// Successive right-hand sides see nearby volumes, so most exponentials of the passive walls cost
// a few multiplications.
class NearbyExp {
 public:
  double operator()(double a) {
    const double d = a - a_ref_;
    if (d >= -0.1 && d <= 0.1) {
      // Horner form with reciprocals as constants: a division costs as much as the rest.
      constexpr double c3 = 1.0 / 3.0, c4 = 1.0 / 4.0, c5 = 1.0 / 5.0, c6 = 1.0 / 6.0;
      const double poly =
          1.0 +
          d * (1.0 + 0.5 * d * (1.0 + c3 * d * (1.0 + c4 * d * (1.0 + c5 * d * (1.0 + c6 * d)))));
      return ex_ref_ * poly;
    }
    a_ref_ = a;
    ex_ref_ = std::exp(a);
    return ex_ref_;
  }
  template <class Visitor>
  void visit(Visitor& v) {
    v("reference", a_ref_);
    v("exp_reference", ex_ref_);
  }

 private:
  double a_ref_ = 1e300;  // no reference yet
  double ex_ref_ = 0;
};

struct PlantWorkspace {
  // The last septal volume solved for, when, and its rate then (for the next first guess).
  double septum_mL = 0, septum_t_s = 0, septum_rate_mL_s = 0;
  // The last bulge of the LV wall's passive (ischaemic) region solved for: how much larger its
  // normalised volume is than the contracting wall's (mL; 0 in diastole). The next first guess.
  double ischaemic_bulge_mL = 0;
  // Passive-wall exponentials: LV free wall, RV free wall, septum, pericardium, LA, RA, and
  // exp(lambda x bulge) of the LV wall's passive region.
  NearbyExp lv_wall, rv_wall, septum_wall, pericardium, left_atrium, right_atrium, ischaemic_bulge;
};

// Constants of one valve's law, derived from its parameters once.
struct ValveConstants {
  double open_area = 0, closed_area = 0, per_max_rate = 0, pressure_per_density = 0;
};

// A device attached to the circulation: its block (shared, immutable) and where its states and
// readings sit.
struct AttachedDevice {
  std::shared_ptr<const DeviceBlock> block;
  std::size_t state_offset = 0;
  std::size_t reading_offset = 0;
  bool displaces_volume = false;
  // The block's sizes, asked once (the right-hand side runs over them at every evaluation).
  std::size_t state_size = 0;
  std::size_t reading_count = 0;
};

class Circulation {
 public:
  explicit Circulation(const PatientParameters& patient,
                       std::vector<std::shared_ptr<const DeviceBlock>> devices = {});

  const PatientParameters& patient() const { return p_; }
  // Circulation states (kStateCount) followed by each device's states.
  std::size_t state_size() const { return state_size_; }
  std::span<const AttachedDevice> devices() const { return devices_; }
  // Settings each device starts with.
  std::vector<DeviceSettings> default_device_settings() const;

  // A state at rest: every compartment at one uniform filling pressure, chosen so that the total
  // equals the blood volume exactly; valves closed and still; baroreflex at its set point.
  // Device states start from the given settings (their defaults when none are given).
  void initial_state(std::span<double> y, std::span<const DeviceSettings> settings = {}) const;

  // dy/dt at time t. Fills obs when it is not null. Allocates nothing.
  void evaluate(double t, std::span<const double> y, std::span<double> dydt, const PlantInputs& in,
                PlantWorkspace& ws, Observables* obs) const;
  // Observables at time t, the same as evaluate() fills (bit for bit, and `ws` is left as
  // evaluate leaves it), without the derivatives only the integrator needs (valves, arch, the
  // coronaries' regulation, oxygen debt and stunning, reflex, drugs' effect sites): the samples'
  // path (beat metrics, outputs). `scratch` (state-sized) receives partial derivatives.
  void observe(double t, std::span<const double> y, std::span<double> scratch,
               const PlantInputs& in, PlantWorkspace& ws, Observables& obs) const;
  // What the devices' sensors read at time t: fills obs.t_s and the device readings a device marks
  // as sensors (ReadingSpec::signal), nothing else; `scratch` (state-sized) receives partial
  // derivatives. Skips the flows, valves, coronaries and reflex the sensors do not need: the
  // control tick's cheap path. When every device's sensors need only vessel pressures
  // (DeviceBlock::sensed_sites: the aortic root, the descending aorta, the vena cava, the
  // pulmonary arteries), it skips the heart as well, reads only the states sensed_states() lists
  // and leaves `ws` alone; otherwise it solves the heart's walls (warm-started from `ws`).
  void sense(double t, std::span<const double> y, std::span<double> scratch, const PlantInputs& in,
             PlantWorkspace& ws, Observables& obs) const;
  // The state components sense() reads with these device settings, ascending (into `out`, whose
  // capacity of state_size() is enough: no allocation then).
  void sensed_states(std::span<const DeviceSettings> settings, std::vector<std::size_t>& out) const;

  // Fills obs.ecg_mV, the synthetic ECG lead, for observables evaluate has filled at the same
  // instant with the same inputs. Apart from evaluate, so that only the samples that are shown
  // (outputs, Session::observe) pay for it, not the beat metrics' samples.
  void record_ecg(const PlantInputs& in, Observables& obs) const;

  // Timing of a beat that starts at start_s, given the beat before it (nullptr for the first), in
  // the rhythm `rhythm` holds (sinus when null; AF draws its R-R interval from its generator).
  CardiacCycle start_beat(double start_s, const double* y, const CardiacCycle* previous,
                          RhythmState* rhythm = nullptr) const;

  // Hazard of ventricular fibrillation now (1/s): RhythmParameters::vf_risk_per_min times the
  // ischaemic share of the LV wall, sum over territories of share x (1 - f), f the territory's
  // function left by its oxygen debt (as in evaluate). 0 when the risk is off.
  double vf_hazard_per_s(std::span<const double> y) const;

  // Heart period the next beat should have, from the preset rate and the baroreflex state.
  double heart_period_s(std::span<const double> y) const;

  // Filtered aortic pressure Pf that the carotid sinus afferents sense (mmHg).
  double filtered_aortic_pressure_mmHg(std::span<const double> y) const;
  // The pressure Ursino's afferent filter reads, Ps: the root pressure p_root through the neural
  // arc's high cut (the state kBaroreflexSensedPressure), or p_root itself without one.
  double sensed_pressure_mmHg(std::span<const double> y, double p_root) const {
    return k_.per_high_cut_time_constant > 0 ? y[kBaroreflexSensedPressure] : p_root;
  }
  // Activity of the baroreflex efferents for the current state (what EfferentHistory records).
  EfferentActivity efferent_activity_now(std::span<const double> y) const;
  // The states efferent_activity_now (and filtered_aortic_pressure_mmHg) read: the reflex's delay
  // line interpolates only these.
  static constexpr std::array<std::size_t, 3> kAfferentStates = {
      kAorticRootVolume, kBaroreflexSensedPressure, kBaroreflexAfferentPressure};
  EfferentActivity efferent_activity_at_rest() const;
  double longest_reflex_delay_s() const;

  // The drugs' summed changes of the effectors they share with the baroreflex, at the effect-site
  // doses in y (all 0 when no drug has been given).
  struct DrugEffects {
    double contractility = 0;      // relative change of both ventricles' Ees
    double resistance = 0;         // relative change of microvascular resistance
    double venous_volume = 0;      // change of venous unstressed volume (mL)
    double heart_rate = 0;         // relative change of the intrinsic heart rate
    double coronary_dilation = 0;  // share of the way to maximal coronary vasodilation (0-1)
  };
  DrugEffects drug_effects(std::span<const double> y) const;

  // Sum of all blood volumes in the state (mL).
  static double blood_volume_mL(std::span<const double> y);
  // Each volume state's unstressed volume (chambers: the volume of their relaxed wall at zero
  // pressure), in state order (kVolumeCount of them): where its pressure-making part starts.
  void unstressed_volumes(std::span<double> v) const;

 private:
  // The sites whose pressures the devices' sensors need (DeviceBlock::sensed_sites, all devices).
  std::uint32_t sensed_sites(std::span<const DeviceSettings> settings) const;
  // What one evaluation computes: everything (the integrator's right-hand side, with observables
  // when asked), the observables without the integrator-only derivatives, or the sensors only.
  enum class Pass { derivatives, observables, sensors };
  template <Pass kPass>
  void evaluate_impl(double t, std::span<const double> y, std::span<double> dydt,
                     const PlantInputs& in, PlantWorkspace& ws, Observables* obs) const;
  // Every volume state's volume at the uniform transmural pressure p (mmHg) with relaxed walls.
  void relaxed_volumes(double p, std::span<double> v) const;

  PatientParameters p_;
  std::vector<AttachedDevice> devices_;
  std::size_t state_size_ = kStateCount;
  // Reciprocals of the vessels' compliances (elastances) and resistances (conductances), and other
  // constants the right-hand side would otherwise recompute (divisions are its costliest sums).
  struct Coefficients {
    ValveConstants mitral, aortic, tricuspid, pulmonary;
    double per_pole_time_constant;
    double per_high_cut_time_constant;  // 0: the afferent reads the root pressure itself
    std::array<double, 6> per_effector_time_constant;  // by state, from kBaroreflexLvContractility
    std::array<double, territory_count> per_wall_share;
    double e_root, e_desc, e_art, e_ven, e_vc, e_pa, e_pv;
    double e_pcap;
    double g_upper, g_lower, g_venous, g_caval, g_bronchial, g_pulmonary_vascular,
        g_pulmonary_capillary, g_pulmonary_venous;
    double inv_l_arch;
    std::array<double, territory_count> e_coronary, g_coronary_in, g_coronary_out;
    // Coronary autoregulation (see CoronaryAutoregulation in parameters.hpp).
    std::array<double, territory_count> per_resting_flow;  // 1 / resting inflow (s/mL)
    double conductance_min, conductance_span, autoregulation_u_rest, autoregulation_gain;
    double hyperaemic_conductance;  // 1/x_min: maximal vasodilation
    double per_flow_filter_time_constant, per_autoregulation_time_constant;
    double zero_flow_pressure;  // mmHg; 0: drain to right atrial pressure
    bool hyperaemia;
    // Ischaemia (see Ischaemia in parameters.hpp).
    double per_relaxation_debt, maximum_relaxation_slowing;
    double per_contraction_debt, per_stiffening_debt, per_debt_dilation, basal_demand,
        active_demand, maximum_stiffening, repayment_efficiency, stunning_rate,
        per_stunning_time_constant;
    // Drugs: 1 / tau_on and 1 / tau_off of each.
    std::array<double, drug_count> per_drug_onset, per_drug_offset;
  } k_{};
  double reference_period_s_;
  EfferentActivity rest_activity_;
  double lv_contractility_weight_[territory_count];
  double rv_contractility_weight_[territory_count];
};

}  // namespace unload::physio
