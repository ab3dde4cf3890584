// The virtual patient's parameters: everything that is constant during a run.
//
// A PatientParameters is filled from a preset data file (data/patients/*.toml) where every value
// carries its unit and its source; code holds no parameter numbers. parameter_specs() lists every
// parameter with its dotted key (as written in the data files), unit and physical range, so that
// the file reader can check each one where it enters.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace unload::physio {

// One cardiac wall (free wall, septum or atrium) as a time-varying elastance:
//   P(V, t) = e(t) * Ees * (V - Vd) + (1 - e(t)) * P0 * (exp(lambda * (V - V0)) - 1)
// (Smith et al., Med Eng Phys 2004;26:131, with the exponential EDPVR of the same paper).
struct Wall {
  double end_systolic_elastance_mmHg_per_mL = 0;  // Ees
  double dead_volume_mL = 0;                      // Vd, volume intercept of the ESPVR
  double passive_pressure_mmHg = 0;               // P0, scale of the EDPVR
  double passive_stiffness_per_mL = 0;            // lambda, exponent of the EDPVR
  double passive_zero_volume_mL = 0;              // V0, zero-pressure volume of the EDPVR
};

// Activation e(t) of a chamber (Burkhoff/Harvi shape): half-sine rise to 1 at the time to peak,
// then exponential relaxation from 1.5 times the time to peak. Times are given at the reference
// heart rate and scale with sqrt(RR) (Bazett's square-root law for the duration of systole).
struct Activation {
  double time_to_peak_s = 0;
  double relaxation_time_constant_s = 0;
};

struct Pericardium {
  double pressure_scale_mmHg = 0;  // P0
  double stiffness_per_mL = 0;     // lambda
  double zero_volume_mL = 0;       // V0 (ventricles only, as in Smith 2004)
};

// A cardiac valve as an orifice with inertance and a smooth opening state (the valve law of
// Mynard et al., Int J Numer Meth Biomed Eng 2012;28:626):
//   dP = B Q|Q| + L dQ/dt,   B = rho / (2 A^2),   L = rho l / A,
//   A(z) = A_closed + (A_open - A_closed) z,  z in [0, 1] the opening state,
//   l(z) = l_open z + l_closed (1 - z)   (effective length of the accelerated blood column),
//   dz/dt = (1 - z) k_open(dP) for dP > 0, -z k_close(-dP) for dP < 0, with rate constants
//   k(dP) = K dP / (1 + K dP / k_max) (saturating so that valve motion has a finite speed).
// A jet through an orifice of any size settles to its Bernoulli velocity within about l/v; the
// longer l_closed keeps that time near 10 ms for the closed valve, so the law stays non-stiff.
// Stenosis removes a fraction of the open area; regurgitation leaves an orifice when closed.
struct Valve {
  double open_area_cm2 = 0;
  double effective_length_cm = 0;         // l_open
  double closed_effective_length_cm = 0;  // l_closed: how fast a jet through the closed valve
                                          // follows the pressure (time scale l/v)
  double stenosis_fraction = 0;           // 0 = normal, 0.75 = open area reduced by 75%
  double regurgitant_area_cm2 = 0;        // effective regurgitant orifice area when closed
  double opening_rate_per_mmHg_s = 0;     // K_open
  double closing_rate_per_mmHg_s = 0;     // K_close
  double max_rate_per_s = 0;              // k_max
};

// A compliant vessel compartment: P = (V - V_unstressed) / C + external pressure.
struct Vessel {
  double compliance_mL_per_mmHg = 0;
  double unstressed_volume_mL = 0;
};

struct Systemic {
  Vessel aortic_root;       // ascending aorta and arch: micro-axial pump outlet, coronary ostia
  Vessel descending_aorta;  // balloon pump, ECMO return
  Vessel arteries;          // peripheral arteries
  Vessel veins;             // peripheral (splanchnic and extrasplanchnic) veins
  Vessel vena_cava;         // thoracic great veins
  double arch_resistance_mmHg_s_per_mL = 0;           // aortic root -> descending aorta
  double arch_inertance_mmHg_s2_per_mL = 0;           // aortic root -> descending aorta
  double upper_body_resistance_mmHg_s_per_mL = 0;     // aortic root -> peripheral arteries
  double lower_body_resistance_mmHg_s_per_mL = 0;     // descending aorta -> peripheral arteries
  double microvascular_resistance_mmHg_s_per_mL = 0;  // arteries -> veins (baroreflex target)
  double venous_resistance_mmHg_s_per_mL = 0;         // veins -> vena cava
  double caval_resistance_mmHg_s_per_mL = 0;          // vena cava -> right atrium
  // Bronchial circulation: descending (thoracic) aorta -> pulmonary veins. Bronchial arteries
  // leave the thoracic aorta; most of their venous blood, with the Thebesian veins' share that
  // reaches the left heart, returns to the left atrium: blood that fills the left ventricle even
  // when no blood crosses the lungs (an unvented ventricle on VA-ECMO distends through it).
  double bronchial_resistance_mmHg_s_per_mL = 0;
};

struct Pulmonary {
  Vessel arteries;
  Vessel capillaries;
  Vessel veins;
  double vascular_resistance_mmHg_s_per_mL = 0;   // arteries -> capillaries (arterioles)
  double capillary_resistance_mmHg_s_per_mL = 0;  // capillaries -> veins
  double venous_resistance_mmHg_s_per_mL = 0;     // veins -> left atrium
};

// One coronary territory: aortic root -> inflow resistance -> intramyocardial compliance (squeezed
// by a fraction of ventricular pressure) -> outflow resistance -> right atrium.
struct CoronaryTerritory {
  double inflow_resistance_mmHg_s_per_mL = 0;
  double outflow_resistance_mmHg_s_per_mL = 0;
  double compliance_mL_per_mmHg = 0;
  double unstressed_volume_mL = 0;
  double compression_fraction = 0;  // intramyocardial pressure / ventricular pressure
  double lv_wall_share = 0;         // share of LV free wall and septum this territory perfuses
  double rv_wall_share = 0;         // share of RV free wall this territory perfuses
  double resting_flow_mL_min = 0;   // the flow autoregulation holds (mean inflow at rest)
  // Contractility of the territory's wall at the start (1 normal, 0 akinetic: an infarct).
  double contractility = 1;
};

// Coronary autoregulation (the same law in every territory). The territory's microvascular
// resistances (inflow and outflow) are scaled by a factor x that follows, with time constant tau,
// a static sigmoid of the territory's filtered mean inflow Qf:
//   tau_f dQf/dt = Q_in - Qf
//   x_ss = x_min + (x_max - x_min) * (1/2 + u / (2 sqrt(1 + u^2))),
//   u = gain * (Qf / Q_rest - 1) + u_rest   (u_rest puts x_ss = 1 at Q_rest)
//   tau dx/dt = x_ss - x
// Flow above Q_rest constricts, flow below dilates, until x reaches x_min (the flow reserve
// 1/x_min is spent: flow then follows pressure) or x_max. hyperaemia = 1 holds x at x_min
// (maximal vasodilation, as with adenosine: for flow reserve and FFR).
// Autoregulation itself opens the conductance only to 1 + f (1/x_min - 1), f =
// autoregulatory_reserve_fraction: the metabolic dilation at low pressure stops short of the
// pharmacological (adenosine) reserve. The bed drains against the larger of right atrial pressure
// and the zero-flow pressure P_zf (a vascular waterfall): Q_out = g (P_cor - max(P_ra,
// P_zf))/R_out.
struct CoronaryAutoregulation {
  double minimum_resistance_factor = 1;  // x_min = 1 / flow reserve
  double maximum_resistance_factor = 1;  // x_max
  double gain = 0;                       // steepness of the sigmoid (1 / relative flow error)
  double flow_filter_time_constant_s = 1;
  double time_constant_s = 1;
  double hyperaemia = 0;                       // 1: maximal vasodilation
  double zero_flow_pressure_mmHg = 0;          // 0: the beds drain to right atrial pressure
  double autoregulatory_reserve_fraction = 1;  // share of the reserve autoregulation can use
};

// Regional ischaemia (the same law in every territory; docs/model.md 2.9). Each territory owes an
// oxygen debt D (s of its resting flow): it grows with the gap between the wall's oxygen demand
// m = b + (1 - b) c f (b: an arrested wall's share of a beating wall's use, c the preset's
// contractility, f the ischaemic function below) and its supply q = Qf / Q_rest (filtered inflow
// over resting flow), and excess flow repays it at an efficiency eta:
//   dD/dt = m - q                      if m > q
//   dD/dt = eta (m - q) D / (D + eps)  otherwise (eps = 0.1 s keeps D from crossing 0)
// A stunning state S grows with dysfunction and decays over minutes:
//   dS/dt = k_S (1 - f) - S / tau_S
// The debt as the wall feels it, De = D (1 + S), sets its function and diastolic stiffening:
//   f = 1 / (1 + (De / D_c)^2),   sigma = (De / D_s)^2 / (1 + (De / D_s)^2)
// The territory's share of Ees is multiplied by f, its share of the passive pressure scale P0 by
// 1 + A sigma. The debt also dilates the territory (metabolic regulation): autoregulation aims at
// Q_rest (1 + D / D_h) instead of Q_rest.
struct Ischaemia {
  double basal_demand_fraction = 0;       // b
  double contraction_debt_s = 0;          // D_c: debt at which contractility is halved
  double stiffening_debt_s = 0;           // D_s: debt at which stiffening is half its maximum
  double maximum_stiffening = 0;          // A: relative rise of P0 of a fully ischaemic share
  double relaxation_debt_s = 0;           // D_r: debt at which relaxation slowing is half its max
  double maximum_relaxation_slowing = 0;  // R: relative rise of tau of a fully ischaemic wall
  double repayment_efficiency = 0;        // eta: debt repaid per unit of excess flow
  double debt_dilation_s = 0;             // D_h: debt that doubles autoregulation's target flow
  double stunning_rate_per_s = 0;         // k_S
  double stunning_time_constant_s = 0;    // tau_S
};

inline constexpr std::size_t territory_count = 3;
inline constexpr std::array<std::string_view, territory_count> territory_names = {"lad", "lcx",
                                                                                  "rca"};
// As clinicians write them (scenario events, tables).
inline constexpr std::array<std::string_view, territory_count> territory_labels = {"LAD", "LCx",
                                                                                   "RCA"};

// One baroreflex effector (Ursino, Am J Physiol 1998;275:H1733): the effector follows
//   tau dx/dt = -x + G * (sigma(t - D) - sigma_rest)
// where sigma is the (delayed) efferent activity and sigma_rest its value at the set point, so that
// the preset's own values hold when arterial pressure is at the set point.
struct Effector {
  double gain = 0;
  double delay_s = 0;
  double time_constant_s = 0;
};

struct Baroreflex {
  bool enabled = true;
  // Afferent (carotid sinus) pathway.
  double set_point_mmHg = 0;        // Pn
  double slope_mmHg = 0;            // ka
  double afferent_min_hz = 0;       // fmin
  double afferent_max_hz = 0;       // fmax
  double pole_time_constant_s = 0;  // tau_p
  double zero_time_constant_s = 0;  // tau_z
  // High cut of the neural arc: the pressure the filter above reads is the root pressure through a
  // first-order low-pass of this time constant (0: the root pressure itself, Ursino's model).
  double high_cut_time_constant_s = 0;
  // Sympathetic efferent.
  double sympathetic_infinity_hz = 0;  // fes,inf
  double sympathetic_zero_hz = 0;      // fes,0
  double sympathetic_slope_s = 0;      // kes
  double sympathetic_min_hz = 0;       // fes,min
  // Vagal efferent.
  double vagal_zero_hz = 0;      // fev,0
  double vagal_infinity_hz = 0;  // fev,inf
  double vagal_slope_hz = 0;     // kev
  double vagal_midpoint_hz = 0;  // fas,0
  // Effectors. Contractility and resistance gains are relative (fraction of the preset value per
  // unit of sympathetic activity), venous tone in mL, heart period in s.
  Effector lv_contractility;
  Effector rv_contractility;
  Effector systemic_resistance;
  Effector venous_unstressed_volume;
  Effector heart_period_sympathetic;
  Effector heart_period_vagal;
};

// Vasoactive drugs (docs/model.md 2.11). Each drug has an effect-site dose C (in the unit of its
// infusion rate u, mcg/kg/min), a first-order lag behind the rate given:
//   dC/dt = (u - C) / tau_on   while u > C (the infusion is building up),
//   dC/dt = (u - C) / tau_off  otherwise   (it is turned down or stopped),
// and each effector's change follows an Emax (Hill) curve of C:
//   E = Emax C^n / (EC50^n + C^n).
// The changes add to the baroreflex's changes of the same effectors: contractility (relative
// change of both ventricles' Ees), microvascular resistance (relative change), venous unstressed
// volume (mL) and the intrinsic heart rate (relative change; the reflex's period changes add on
// top). A fifth effect is the coronary microcirculation's: coronary_dilation D (0 to 1) takes each
// territory's conductance the share D of the way from its autoregulated value g to maximal
// vasodilation 1/x_min (CoronaryAutoregulation), g' = g + D (1/x_min - g), and slows
// autoregulation's own drift by (1 - D): the vasodilator overrides the tone it would set (as
// adenosine does; hyperaemia = 1 is D = 1 for the whole run). Doses are per kg of body weight, so
// the effect does not depend on the patient's weight.
struct DrugResponse {
  double maximum = 0;            // Emax: change at a saturating dose (relative, or mL)
  double half_maximal_dose = 1;  // EC50 (mcg/kg/min, effect-site)
  double hill = 1;               // n
};
struct Drug {
  double onset_time_constant_s = 1;   // tau_on
  double offset_time_constant_s = 1;  // tau_off
  double maximum_dose = 0;            // largest rate a scenario may give (mcg/kg/min)
  DrugResponse contractility, resistance, venous_unstressed_volume, heart_rate, coronary_dilation;
};

inline constexpr std::size_t drug_count = 4;
inline constexpr std::array<std::string_view, drug_count> drug_names = {
    "norepinephrine", "dobutamine", "nitroprusside", "adenosine"};
// Adenosine's index: its infusion is the hyperaemia in which a pressure wire reads the FFR.
inline constexpr std::size_t adenosine_index = 3;
static_assert(drug_names[adenosine_index] == "adenosine");
inline constexpr std::string_view drug_dose_unit = "mcg/kg/min";

struct HeartTiming {
  double heart_rate_bpm = 0;            // the preset's resting rate (input)
  double reference_heart_rate_bpm = 0;  // rate at which the activation times below hold
  double atrioventricular_delay_s = 0;  // onset of atrial to onset of ventricular activation
  Activation ventricles;
  Activation atria;
};

// Rhythms other than sinus (docs/model.md 2.12): the R-R variability of atrial fibrillation, the
// nominal beat clock of a heart that does not beat (VF, asystole), and the risk of ventricular
// fibrillation while the LV wall is ischaemic.
struct RhythmParameters {
  double af_rr_variation = 0;       // coefficient of variation of the R-R interval in AF
  double arrest_beat_period_s = 0;  // length of the nominal "beats" of VF and asystole
  double vf_risk_per_min = 0;       // VF hazard of a wholly ischaemic LV (per minute; 0: none)
  double vf_risk_threshold = 0;     // loss of a territory's function below which it adds no risk
  // Contractility of beats of ventricular origin (VT, ventricular pacing) relative to conducted
  // beats: the dyssynchronous activation's loss.
  double ventricular_origin_contractility = 0;
  double seed = 0;  // of the rhythm's random numbers (AF R-R, VF risk)
};

// The synthetic ECG lead (docs/model.md 2.13): an anterior precordial lead (V3-like) drawn as a
// sum of Gaussian waves (McSharry et al., IEEE Trans Biomed Eng 2003;50:289) on the beat clock.
// Amplitudes in mV, times in s (times of the ventricular waves at the reference rate).
struct EcgLead {
  double p_wave_mV = 0, p_wave_duration_s = 0;
  double q_wave_mV = 0, r_wave_mV = 0, s_wave_mV = 0;
  double qrs_duration_s = 0;       // narrow (supraventricular) QRS
  double wide_qrs_duration_s = 0;  // ventricular origin: VT, ventricular pacing
  double t_wave_mV = 0, t_wave_peak_s = 0, t_wave_duration_s = 0;
  // ST shift of a wholly ischaemic territory (positive: elevation in this lead).
  double st_lad_mV = 0, st_lcx_mV = 0, st_rca_mV = 0;
  double f_wave_mV = 0, f_wave_frequency_Hz = 0;  // atrial fibrillation
  double vf_mV = 0, vf_frequency_Hz = 0;          // ventricular fibrillation
  double pacing_spike_mV = 0;
};

struct Body {
  double height_cm = 0;
  double weight_kg = 0;
  double total_blood_volume_mL = 0;
  double intrathoracic_pressure_mmHg = 0;
};

struct PatientParameters {
  std::string name;
  std::string description;
  Body body;
  HeartTiming timing;
  Wall left_ventricle;   // LV free wall
  Wall right_ventricle;  // RV free wall
  Wall septum;
  Wall left_atrium;
  Wall right_atrium;
  Pericardium pericardium;
  Valve mitral, aortic, tricuspid, pulmonary;
  Systemic systemic;
  Pulmonary pulmonary_circulation;
  std::array<CoronaryTerritory, territory_count> coronary;
  CoronaryAutoregulation coronary_autoregulation;
  Ischaemia ischaemia;
  Baroreflex baroreflex;
  // Pharmacology (data/drugs.toml; a preset may override a value).
  std::array<Drug, drug_count> drugs;
  RhythmParameters rhythm;
  EcgLead ecg;
};

// Body surface area (Mosteller, N Engl J Med 1987;317:1098): sqrt(height_cm * weight_kg / 3600).
double body_surface_area_m2(const Body& body);

// Description of one numeric parameter: its key in the data files, unit, physical range and where
// it lives in PatientParameters.
struct ParameterSpec {
  std::string key;   // e.g. "left_ventricle.end_systolic_elastance"
  std::string unit;  // e.g. "mmHg/mL"
  double min = 0;    // inclusive physical range
  double max = 0;
  std::function<double&(PatientParameters&)> field;
};

// Every numeric parameter of a patient, in a stable order.
const std::vector<ParameterSpec>& parameter_specs();
// The spec with this key, or nullptr.
const ParameterSpec* find_parameter_spec(std::string_view key);

// Checks relations between parameters that single ranges cannot (for example shares that must sum
// to 1). Returns an empty string when consistent, otherwise what is wrong.
std::string check_consistency(const PatientParameters& p);

}  // namespace unload::physio
