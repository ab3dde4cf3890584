#include "unload/physio/parameters.hpp"

#include <cmath>
#include <string>

namespace unload::physio {

double body_surface_area_m2(const Body& body) {
  return std::sqrt(body.height_cm * body.weight_kg / 3600.0);
}

namespace {

void add(std::vector<ParameterSpec>& specs, std::string key, std::string unit, double min,
         double max, std::function<double&(PatientParameters&)> field) {
  specs.push_back({std::move(key), std::move(unit), min, max, std::move(field)});
}

// Ranges that differ between walls (issue 12, docs/reliability.md): physiological, and integrable
// with every device, alone and in pairs with any other in-range value.
//   Passive (EDPVR) stiffness lambda. Below about 0.007/mL (ventricles) the relaxed ventricle holds
//   litres at filling pressures, the pericardium's exponential then overflows and no integrator
//   takes the first step; the most dilated hearts have about 0.015/mL (lambda = ln(30/P0 + 1) /
//   (V30 - V0) with V30 - V0 about 360 mL, the normalised EDPVR of Klotz et al. 2006), so 0.01/mL
//   bounds them. Above about 1.5/mL a ventricle fails within its first beats with a micro-axial
//   pump; 0.2/mL, 6 times the normal LV's 0.033/mL (Smith et al. 2004), is beyond a restrictive
//   ventricle. Atria above about 0.5/mL fail with a support device in the shock preset; an atrium
//   6 times stiffer than normal (0.04/mL, Santamore-Burkhoff) is beyond a fibrotic one: 0.25/mL.
//   Atria: an end-systolic elastance of 2 mmHg/mL is 8 times the normal 0.2-0.25 (Santamore-
//   Burkhoff); above about 20 an atrium with a large dead volume or a low venous resistance fails
//   at its first step. Their dead and zero-pressure volumes (normal 5 mL) stay within 0-100 mL,
//   beyond a dilated atrium's; 250 mL with a stiff atrium failed likewise.
//   Dead and zero-pressure volumes of the ventricles at most 120 mL (presets: 0-50; a dilated
//   ventricle's EDPVR starts at 40-80 mL): at 150 the right ventricle inside a stiff pericardium
//   failed at its first step in the shock preset. The septum's (normal 2 mL) within +-50 mL: 100
//   with a stiff right ventricle failed within the first beats.
struct WallRanges {
  double elastance_max;                 // mmHg/mL; the minimum is 0.001 for every wall
  double volume_min, volume_max;        // mL: dead volume and zero-pressure volume
  double stiffness_min, stiffness_max;  // 1/mL
};
constexpr WallRanges kVentricle{200.0, -100.0, 120.0, 0.01, 0.2};
constexpr WallRanges kSeptum{200.0, -50.0, 50.0, 0.0001, 2.0};
constexpr WallRanges kAtrium{2.0, 0.0, 100.0, 0.0001, 0.25};

void add_wall(std::vector<ParameterSpec>& s, const std::string& name, Wall PatientParameters::*w,
              const WallRanges& r) {
  add(s, name + ".end_systolic_elastance", "mmHg/mL", 0.001, r.elastance_max,
      [w](PatientParameters& p) -> double& { return (p.*w).end_systolic_elastance_mmHg_per_mL; });
  add(s, name + ".dead_volume", "mL", r.volume_min, r.volume_max,
      [w](PatientParameters& p) -> double& { return (p.*w).dead_volume_mL; });
  // P0 > 0: the relaxed volume is V0 + ln(1 + p/P0)/lambda (0 divided by 0 at P0 = 0). At least
  // 0.03 mmHg, a quarter of the smallest preset's 0.12 (Smith et al. 2004): at 0.01 with the
  // softest ventricle the relaxed volume grew past what the pericardium holds (issue 12).
  add(s, name + ".passive_pressure", "mmHg", 0.03, 20.0,
      [w](PatientParameters& p) -> double& { return (p.*w).passive_pressure_mmHg; });
  add(s, name + ".passive_stiffness", "1/mL", r.stiffness_min, r.stiffness_max,
      [w](PatientParameters& p) -> double& { return (p.*w).passive_stiffness_per_mL; });
  add(s, name + ".passive_zero_volume", "mL", r.volume_min, r.volume_max,
      [w](PatientParameters& p) -> double& { return (p.*w).passive_zero_volume_mL; });
}

void add_valve(std::vector<ParameterSpec>& s, const std::string& name,
               Valve PatientParameters::*v) {
  add(s, name + ".open_area", "cm2", 0.05, 15.0,
      [v](PatientParameters& p) -> double& { return (p.*v).open_area_cm2; });
  add(s, name + ".effective_length", "cm", 0.1, 10.0,
      [v](PatientParameters& p) -> double& { return (p.*v).effective_length_cm; });
  // A numerical choice (the inertance's length near full closure, docs/model.md 2.4): below
  // about 0.5 cm, a valve whose open area is small (0.05-0.2 cm2) in a patient with a very
  // compliant vena cava left the production integrator unable to step while the valve closed
  // (a stiff oscillation of the closing flow; CVODE ran it). From 1 cm every preset and device ran.
  add(s, name + ".closed_effective_length", "cm", 1.0, 50.0,
      [v](PatientParameters& p) -> double& { return (p.*v).closed_effective_length_cm; });
  add(s, name + ".stenosis_fraction", "1", 0.0, 0.95,
      [v](PatientParameters& p) -> double& { return (p.*v).stenosis_fraction; });
  add(s, name + ".regurgitant_area", "cm2", 0.0, 2.0,
      [v](PatientParameters& p) -> double& { return (p.*v).regurgitant_area_cm2; });
  add(s, name + ".opening_rate", "1/(mmHg*s)", 0.1, 1000.0,
      [v](PatientParameters& p) -> double& { return (p.*v).opening_rate_per_mmHg_s; });
  add(s, name + ".closing_rate", "1/(mmHg*s)", 0.1, 1000.0,
      [v](PatientParameters& p) -> double& { return (p.*v).closing_rate_per_mmHg_s; });
  add(s, name + ".max_rate", "1/s", 1.0, 2000.0,
      [v](PatientParameters& p) -> double& { return (p.*v).max_rate_per_s; });
}

template <class Group>
void add_vessel(std::vector<ParameterSpec>& s, const std::string& name, Group PatientParameters::*g,
                Vessel Group::*v) {
  // At least 0.05 mL/mmHg: a quarter of the stiffest preset vessel (the descending aorta, 0.2;
  // Heldt 2002), a calcified aorta. Below about 0.01 a vessel and a low resistance next to it make
  // time constants of microseconds, which stall the integrator (issue 12).
  add(s, name + ".compliance", "mL/mmHg", 0.05, 1000.0,
      [g, v](PatientParameters& p) -> double& { return ((p.*g).*v).compliance_mL_per_mmHg; });
  add(s, name + ".unstressed_volume", "mL", 0.0, 5000.0,
      [g, v](PatientParameters& p) -> double& { return ((p.*g).*v).unstressed_volume_mL; });
}

void add_effector(std::vector<ParameterSpec>& s, const std::string& name, const std::string& unit,
                  double gmin, double gmax, Effector Baroreflex::*e) {
  add(s, "baroreflex." + name + ".gain", unit, gmin, gmax,
      [e](PatientParameters& p) -> double& { return (p.baroreflex.*e).gain; });
  add(s, "baroreflex." + name + ".delay", "s", 0.0, 10.0,
      [e](PatientParameters& p) -> double& { return (p.baroreflex.*e).delay_s; });
  // At least 1 s (Ursino 1998's effectors: 1.5-20 s): with 0.1-0.3 s and a strong gain the reflex
  // loop oscillated until the integrator stalled within the first seconds (issue 12).
  add(s, "baroreflex." + name + ".time_constant", "s", 1.0, 100.0,
      [e](PatientParameters& p) -> double& { return (p.baroreflex.*e).time_constant_s; });
}

void add_drug_response(std::vector<ParameterSpec>& s, std::size_t d, const std::string& name,
                       const std::string& unit, double lo, double hi, DrugResponse Drug::*r) {
  const std::string base = "drugs." + std::string(drug_names[d]) + "." + name;
  // Emax: from a relative change that would stop the effector (-0.9) to a fourfold rise, and up
  // to 1500 mL of venous volume (about a third of the body's venous blood).
  add(s, base + ".maximum", unit, lo, hi,
      [d, r](PatientParameters& p) -> double& { return (p.drugs[d].*r).maximum; });
  add(s, base + ".half_maximal_dose", std::string(drug_dose_unit), 1e-3, 1000.0,
      [d, r](PatientParameters& p) -> double& { return (p.drugs[d].*r).half_maximal_dose; });
  add(s, base + ".hill", "1", 0.5, 4.0,
      [d, r](PatientParameters& p) -> double& { return (p.drugs[d].*r).hill; });
}

std::vector<ParameterSpec> build_specs() {
  std::vector<ParameterSpec> s;
  using P = PatientParameters;
  add(s, "body.height", "cm", 100.0, 230.0, [](P& p) -> double& { return p.body.height_cm; });
  add(s, "body.weight", "kg", 30.0, 250.0, [](P& p) -> double& { return p.body.weight_kg; });
  add(s, "body.total_blood_volume", "mL", 2000.0, 9000.0,
      [](P& p) -> double& { return p.body.total_blood_volume_mL; });
  add(s, "body.intrathoracic_pressure", "mmHg", -15.0, 15.0,
      [](P& p) -> double& { return p.body.intrathoracic_pressure_mmHg; });

  add(s, "timing.heart_rate", "1/min", 20.0, 220.0,
      [](P& p) -> double& { return p.timing.heart_rate_bpm; });
  add(s, "timing.reference_heart_rate", "1/min", 20.0, 220.0,
      [](P& p) -> double& { return p.timing.reference_heart_rate_bpm; });
  add(s, "timing.atrioventricular_delay", "s", 0.02, 0.4,
      [](P& p) -> double& { return p.timing.atrioventricular_delay_s; });
  add(s, "timing.ventricular_time_to_peak", "s", 0.05, 0.6,
      [](P& p) -> double& { return p.timing.ventricles.time_to_peak_s; });
  add(s, "timing.ventricular_relaxation_time_constant", "s", 0.005, 0.2,
      [](P& p) -> double& { return p.timing.ventricles.relaxation_time_constant_s; });
  add(s, "timing.atrial_time_to_peak", "s", 0.02, 0.4,
      [](P& p) -> double& { return p.timing.atria.time_to_peak_s; });
  add(s, "timing.atrial_relaxation_time_constant", "s", 0.005, 0.2,
      [](P& p) -> double& { return p.timing.atria.relaxation_time_constant_s; });

  add_wall(s, "left_ventricle", &P::left_ventricle, kVentricle);
  add_wall(s, "right_ventricle", &P::right_ventricle, kVentricle);
  add_wall(s, "septum", &P::septum, kSeptum);
  add_wall(s, "left_atrium", &P::left_atrium, kAtrium);
  add_wall(s, "right_atrium", &P::right_atrium, kAtrium);

  add(s, "pericardium.pressure_scale", "mmHg", 0.0, 20.0,
      [](P& p) -> double& { return p.pericardium.pressure_scale_mmHg; });
  // The pericardium's exponential overflows around the relaxed heart of the rest state, and the
  // first step fails, when it is too stiff or too small for the heart it holds: at 0.1/mL with
  // the hfref and hrpci presets, at 0.08/mL with a zero-pressure volume of 150 mL, at 0.05/mL with
  // 50 mL (issue 12). 0.08/mL is 2.7 times the normal 0.03/mL (Smith et al. 2004), a constrictive
  // pericardium; 200 mL is below any adult heart's diastolic volume (normal preset 280 mL).
  add(s, "pericardium.stiffness", "1/mL", 0.0001, 0.08,
      [](P& p) -> double& { return p.pericardium.stiffness_per_mL; });
  add(s, "pericardium.zero_volume", "mL", 200.0, 1000.0,
      [](P& p) -> double& { return p.pericardium.zero_volume_mL; });

  add_valve(s, "mitral_valve", &P::mitral);
  add_valve(s, "aortic_valve", &P::aortic);
  add_valve(s, "tricuspid_valve", &P::tricuspid);
  add_valve(s, "pulmonary_valve", &P::pulmonary);

  add_vessel(s, "systemic.aortic_root", &P::systemic, &Systemic::aortic_root);
  add_vessel(s, "systemic.descending_aorta", &P::systemic, &Systemic::descending_aorta);
  add_vessel(s, "systemic.arteries", &P::systemic, &Systemic::arteries);
  add_vessel(s, "systemic.veins", &P::systemic, &Systemic::veins);
  add_vessel(s, "systemic.vena_cava", &P::systemic, &Systemic::vena_cava);
  add(s, "systemic.arch_resistance", "mmHg*s/mL", 1e-5, 10.0,
      [](P& p) -> double& { return p.systemic.arch_resistance_mmHg_s_per_mL; });
  // At least 1e-4: rho*l/A of 2 cm of a 7 cm2 aorta is 2.3e-4 (normal preset 0.0017). With the
  // arch's resistance up to 10, L/R below about 1e-6 s stalls the integrator (issue 12).
  add(s, "systemic.arch_inertance", "mmHg*s2/mL", 1e-4, 1.0,
      [](P& p) -> double& { return p.systemic.arch_inertance_mmHg_s2_per_mL; });
  add(s, "systemic.upper_body_resistance", "mmHg*s/mL", 0.01, 100.0,
      [](P& p) -> double& { return p.systemic.upper_body_resistance_mmHg_s_per_mL; });
  add(s, "systemic.lower_body_resistance", "mmHg*s/mL", 0.001, 100.0,
      [](P& p) -> double& { return p.systemic.lower_body_resistance_mmHg_s_per_mL; });
  add(s, "systemic.microvascular_resistance", "mmHg*s/mL", 0.01, 100.0,
      [](P& p) -> double& { return p.systemic.microvascular_resistance_mmHg_s_per_mL; });
  add(s, "systemic.venous_resistance", "mmHg*s/mL", 1e-4, 10.0,
      [](P& p) -> double& { return p.systemic.venous_resistance_mmHg_s_per_mL; });
  // At least 1e-3, a tenth of the normal 0.01 (Heldt 2002): at 1e-4 VA-ECMO's drainage from the
  // vena cava failed at the first step in three presets (issue 12).
  add(s, "systemic.caval_resistance", "mmHg*s/mL", 1e-3, 10.0,
      [](P& p) -> double& { return p.systemic.caval_resistance_mmHg_s_per_mL; });
  add(s, "systemic.bronchial_resistance", "mmHg*s/mL", 1.0, 10000.0,
      [](P& p) -> double& { return p.systemic.bronchial_resistance_mmHg_s_per_mL; });

  add_vessel(s, "pulmonary.arteries", &P::pulmonary_circulation, &Pulmonary::arteries);
  add_vessel(s, "pulmonary.capillaries", &P::pulmonary_circulation, &Pulmonary::capillaries);
  add_vessel(s, "pulmonary.veins", &P::pulmonary_circulation, &Pulmonary::veins);
  add(s, "pulmonary.vascular_resistance", "mmHg*s/mL", 0.001, 10.0,
      [](P& p) -> double& { return p.pulmonary_circulation.vascular_resistance_mmHg_s_per_mL; });
  add(s, "pulmonary.capillary_resistance", "mmHg*s/mL", 0.001, 10.0,
      [](P& p) -> double& { return p.pulmonary_circulation.capillary_resistance_mmHg_s_per_mL; });
  // At least 1e-3, a sixth of the normal 0.006 (Heldt 2002): at 1e-4 with a stiff left atrium
  // (0.15-0.25/mL) every preset failed at its first step (issue 12).
  add(s, "pulmonary.venous_resistance", "mmHg*s/mL", 1e-3, 10.0,
      [](P& p) -> double& { return p.pulmonary_circulation.venous_resistance_mmHg_s_per_mL; });

  for (std::size_t k = 0; k < territory_count; ++k) {
    const std::string base = "coronary." + std::string(territory_names[k]);
    add(s, base + ".inflow_resistance", "mmHg*s/mL", 0.1, 10000.0,
        [k](P& p) -> double& { return p.coronary[k].inflow_resistance_mmHg_s_per_mL; });
    add(s, base + ".outflow_resistance", "mmHg*s/mL", 0.1, 10000.0,
        [k](P& p) -> double& { return p.coronary[k].outflow_resistance_mmHg_s_per_mL; });
    add(s, base + ".compliance", "mL/mmHg", 1e-4, 10.0,
        [k](P& p) -> double& { return p.coronary[k].compliance_mL_per_mmHg; });
    add(s, base + ".unstressed_volume", "mL", 0.0, 100.0,
        [k](P& p) -> double& { return p.coronary[k].unstressed_volume_mL; });
    add(s, base + ".compression_fraction", "1", 0.0, 1.0,
        [k](P& p) -> double& { return p.coronary[k].compression_fraction; });
    add(s, base + ".lv_wall_share", "1", 0.0, 1.0,
        [k](P& p) -> double& { return p.coronary[k].lv_wall_share; });
    add(s, base + ".rv_wall_share", "1", 0.0, 1.0,
        [k](P& p) -> double& { return p.coronary[k].rv_wall_share; });
    add(s, base + ".resting_flow", "mL/min", 1.0, 2000.0,
        [k](P& p) -> double& { return p.coronary[k].resting_flow_mL_min; });
    add(s, base + ".contractility", "1", 0.0, 2.0,
        [k](P& p) -> double& { return p.coronary[k].contractility; });
  }
  using A = CoronaryAutoregulation;
  auto ar = [&s](std::string key, std::string unit, double lo, double hi, double A::*f) {
    add(s, "coronary_autoregulation." + key, std::move(unit), lo, hi,
        [f](P& p) -> double& { return p.coronary_autoregulation.*f; });
  };
  ar("minimum_resistance_factor", "1", 0.05, 1.0, &A::minimum_resistance_factor);
  ar("maximum_resistance_factor", "1", 1.0, 10.0, &A::maximum_resistance_factor);
  ar("gain", "1", 0.0, 1000.0, &A::gain);
  ar("flow_filter_time_constant", "s", 0.1, 60.0, &A::flow_filter_time_constant_s);
  ar("time_constant", "s", 0.1, 300.0, &A::time_constant_s);
  ar("hyperaemia", "1", 0.0, 1.0, &A::hyperaemia);
  ar("zero_flow_pressure", "mmHg", 0.0, 40.0, &A::zero_flow_pressure_mmHg);
  ar("autoregulatory_reserve_fraction", "1", 0.2, 1.0, &A::autoregulatory_reserve_fraction);

  using I = Ischaemia;
  auto is = [&s](std::string key, std::string unit, double lo, double hi, double I::*f) {
    add(s, "ischaemia." + key, std::move(unit), lo, hi,
        [f](P& p) -> double& { return p.ischaemia.*f; });
  };
  // Ranges: what keeps the law meaningful (debts of a fraction of a second to minutes, stunning
  // that decays within an hour); the presets' values sit well inside.
  is("basal_demand_fraction", "1", 0.0, 1.0, &I::basal_demand_fraction);
  is("contraction_debt", "s", 0.5, 300.0, &I::contraction_debt_s);
  is("stiffening_debt", "s", 0.1, 300.0, &I::stiffening_debt_s);
  is("maximum_stiffening", "1", 0.0, 5.0, &I::maximum_stiffening);
  is("relaxation_debt", "s", 0.1, 300.0, &I::relaxation_debt_s);
  is("maximum_relaxation_slowing", "1", 0.0, 5.0, &I::maximum_relaxation_slowing);
  is("repayment_efficiency", "1", 0.01, 1.0, &I::repayment_efficiency);
  is("debt_dilation", "s", 0.1, 1000.0, &I::debt_dilation_s);
  is("stunning_rate", "1/s", 0.0, 1.0, &I::stunning_rate_per_s);
  is("stunning_time_constant", "s", 1.0, 3600.0, &I::stunning_time_constant_s);

  using R = RhythmParameters;
  auto rh = [&s](std::string key, std::string unit, double lo, double hi, double R::*f) {
    add(s, "rhythm." + key, std::move(unit), lo, hi, [f](P& p) -> double& { return p.rhythm.*f; });
  };
  rh("af_rr_variation", "1", 0.0, 0.4, &R::af_rr_variation);
  rh("arrest_beat_period", "s", 0.3, 3.0, &R::arrest_beat_period_s);
  rh("vf_risk", "1/min", 0.0, 60.0, &R::vf_risk_per_min);
  rh("vf_risk_threshold", "1", 0.0, 0.9, &R::vf_risk_threshold);
  rh("ventricular_origin_contractility", "1", 0.3, 1.0, &R::ventricular_origin_contractility);
  rh("seed", "1", 0.0, 4294967295.0, &R::seed);
  using E = EcgLead;
  auto ecg = [&s](std::string key, std::string unit, double lo, double hi, double E::*f) {
    add(s, "ecg." + key, std::move(unit), lo, hi, [f](P& p) -> double& { return p.ecg.*f; });
  };
  ecg("p_wave", "mV", 0.0, 1.0, &E::p_wave_mV);
  ecg("p_wave_duration", "s", 0.02, 0.2, &E::p_wave_duration_s);
  ecg("q_wave", "mV", -2.0, 0.0, &E::q_wave_mV);
  ecg("r_wave", "mV", 0.0, 5.0, &E::r_wave_mV);
  ecg("s_wave", "mV", -5.0, 0.0, &E::s_wave_mV);
  ecg("qrs_duration", "s", 0.04, 0.2, &E::qrs_duration_s);
  ecg("wide_qrs_duration", "s", 0.08, 0.3, &E::wide_qrs_duration_s);
  ecg("t_wave", "mV", -2.0, 2.0, &E::t_wave_mV);
  ecg("t_wave_peak", "s", 0.1, 0.5, &E::t_wave_peak_s);
  ecg("t_wave_duration", "s", 0.05, 0.4, &E::t_wave_duration_s);
  ecg("st_lad", "mV", -2.0, 2.0, &E::st_lad_mV);
  ecg("st_lcx", "mV", -2.0, 2.0, &E::st_lcx_mV);
  ecg("st_rca", "mV", -2.0, 2.0, &E::st_rca_mV);
  ecg("f_wave", "mV", 0.0, 0.5, &E::f_wave_mV);
  ecg("f_wave_frequency", "1/s", 3.0, 12.0, &E::f_wave_frequency_Hz);
  ecg("vf", "mV", 0.0, 3.0, &E::vf_mV);
  ecg("vf_frequency", "1/s", 2.0, 12.0, &E::vf_frequency_Hz);
  ecg("pacing_spike", "mV", 0.0, 10.0, &E::pacing_spike_mV);

  using B = Baroreflex;
  auto br = [&s](std::string key, std::string unit, double lo, double hi, double B::*f) {
    add(s, "baroreflex." + key, std::move(unit), lo, hi,
        [f](P& p) -> double& { return p.baroreflex.*f; });
  };
  br("set_point", "mmHg", 40.0, 150.0, &B::set_point_mmHg);
  // At least 3 mmHg, a quarter of Ursino 1998's 11.8: at 1-1.5 mmHg the reflex, with a long zero
  // time constant, fails within the first beats (issue 12).
  br("slope", "mmHg", 3.0, 50.0, &B::slope_mmHg);
  br("afferent_min", "1/s", 0.0, 20.0, &B::afferent_min_hz);
  br("afferent_max", "1/s", 10.0, 200.0, &B::afferent_max_hz);
  // At least 0.5 s, a quarter of Ursino 1998's 2.08: at 0.1 s with a 30 s zero time constant the
  // afferent filter's gain (their ratio) made the first beats fail (issue 12).
  br("pole_time_constant", "s", 0.5, 20.0, &B::pole_time_constant_s);
  br("zero_time_constant", "s", 0.0, 30.0, &B::zero_time_constant_s);
  br("high_cut_time_constant", "s", 0.0, 2.0, &B::high_cut_time_constant_s);
  br("sympathetic_infinity", "1/s", 0.0, 50.0, &B::sympathetic_infinity_hz);
  br("sympathetic_zero", "1/s", 0.0, 100.0, &B::sympathetic_zero_hz);
  br("sympathetic_slope", "s", 0.001, 1.0, &B::sympathetic_slope_s);
  br("sympathetic_min", "1/s", 0.0, 20.0, &B::sympathetic_min_hz);
  br("vagal_zero", "1/s", 0.0, 50.0, &B::vagal_zero_hz);
  br("vagal_infinity", "1/s", 0.0, 50.0, &B::vagal_infinity_hz);
  // At least 1/s (Ursino 1998: 7.06): the vagal sigmoid exp((f - f0)/k) overflowed to infinity at
  // k = 0.1-0.2/s with a high afferent rate, and the first step failed (issue 12).
  br("vagal_slope", "1/s", 1.0, 50.0, &B::vagal_slope_hz);
  br("vagal_midpoint", "1/s", 0.0, 100.0, &B::vagal_midpoint_hz);
  // Relative gains up to 1.5, 5-8 times Ursino 1998's (0.2-0.33): gains of 2-5 with the shortest
  // time constants failed within the first seconds (issue 12).
  add_effector(s, "lv_contractility", "1", 0.0, 1.5, &B::lv_contractility);
  add_effector(s, "rv_contractility", "1", 0.0, 1.5, &B::rv_contractility);
  add_effector(s, "systemic_resistance", "1", 0.0, 1.5, &B::systemic_resistance);
  add_effector(s, "venous_unstressed_volume", "mL", -2000.0, 0.0, &B::venous_unstressed_volume);
  add_effector(s, "heart_period_sympathetic", "s", -2.0, 0.0, &B::heart_period_sympathetic);
  add_effector(s, "heart_period_vagal", "s", 0.0, 2.0, &B::heart_period_vagal);
  for (std::size_t d = 0; d < drug_count; ++d) {
    const std::string base = "drugs." + std::string(drug_names[d]);
    // Time constants from 10 s to an hour: every vasoactive infusion's effect builds up and
    // fades within minutes.
    add(s, base + ".onset_time_constant", "s", 10.0, 3600.0,
        [d](P& p) -> double& { return p.drugs[d].onset_time_constant_s; });
    add(s, base + ".offset_time_constant", "s", 10.0, 3600.0,
        [d](P& p) -> double& { return p.drugs[d].offset_time_constant_s; });
    // Up to 1000 mcg/kg/min: adenosine's hyperaemic dose is 140.
    add(s, base + ".maximum_dose", std::string(drug_dose_unit), 1e-3, 1000.0,
        [d](P& p) -> double& { return p.drugs[d].maximum_dose; });
    add_drug_response(s, d, "contractility", "1", -0.9, 3.0, &Drug::contractility);
    add_drug_response(s, d, "resistance", "1", -0.9, 3.0, &Drug::resistance);
    add_drug_response(s, d, "venous_unstressed_volume", "mL", -1500.0, 1500.0,
                      &Drug::venous_unstressed_volume);
    add_drug_response(s, d, "heart_rate", "1", -0.9, 3.0, &Drug::heart_rate);
    add_drug_response(s, d, "coronary_dilation", "1", 0.0, 1.0, &Drug::coronary_dilation);
  }
  return s;
}

}  // namespace

const std::vector<ParameterSpec>& parameter_specs() {
  static const std::vector<ParameterSpec> specs = build_specs();
  return specs;
}

const ParameterSpec* find_parameter_spec(std::string_view key) {
  for (const auto& s : parameter_specs()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::string check_consistency(const PatientParameters& p) {
  double lv = 0, rv = 0;
  for (const auto& t : p.coronary) {
    lv += t.lv_wall_share;
    rv += t.rv_wall_share;
  }
  if (std::abs(lv - 1.0) > 1e-6) {
    return "coronary.*.lv_wall_share must sum to 1 (they sum to " + std::to_string(lv) + ")";
  }
  if (std::abs(rv - 1.0) > 1e-6) {
    return "coronary.*.rv_wall_share must sum to 1 (they sum to " + std::to_string(rv) + ")";
  }
  if (p.timing.reference_heart_rate_bpm <= 0 || p.timing.heart_rate_bpm <= 0) {
    return "timing.heart_rate and timing.reference_heart_rate must be positive";
  }
  for (const Valve* v : {&p.mitral, &p.aortic, &p.tricuspid, &p.pulmonary}) {
    if (v->regurgitant_area_cm2 >= v->open_area_cm2 * (1.0 - v->stenosis_fraction)) {
      return "a valve's regurgitant_area must be smaller than its open area after stenosis";
    }
  }
  return {};
}

}  // namespace unload::physio
