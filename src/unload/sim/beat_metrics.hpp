// Haemodynamic metrics of one beat (R wave to R wave), computed from samples on a uniform grid.
//
// Definitions: end-diastole is the onset of ventricular activation (the beat's first sample);
// end-systolic volume is the smallest LV volume; end-systolic pressure Pes is LV pressure at the
// point of maximal elastance P/(V - V0) (Suga and Sagawa's end-systole, which holds whether or not
// the aortic valve opens, e.g. with a pump emptying the ventricle), at volume Ves; the end of
// ejection (aortic flow falling below 1% of its peak) splits coronary flow into systolic and
// diastolic parts; stroke volume is the net volume through the aortic valve; stroke work is the
// area of the pressure-volume loop (-closed integral of P dV); PVA = SW + PE where PE, the
// potential energy between ESPVR and EDPVR (Suga 1979), is Pes (Ves - V0)/2 minus the integral of
// the LV free wall's EDPVR from V0 to Ves (exact for this model, where the common approximation
// -Ped (Ved - V0)/4 would make PVA rise whenever a pump lowers the filling pressure); CPO = MAP x
// CO / 451 (Fincke 2004); coronary perfusion pressure = aortic diastolic - LV end-diastolic
// pressure; SVR = (MAP - RAP)/CO.
#pragma once

#include <array>
#include <span>
#include <string_view>
#include <vector>

#include "unload/physio/circulation.hpp"

namespace unload::sim {

struct BeatMetrics {
  int beat = 0;
  double start_s = 0;
  double duration_s = 0;
  double hr_bpm = 0;
  double aop_sys_mmHg = 0, aop_dia_mmHg = 0, map_mmHg = 0;
  double co_L_min = 0, co_native_L_min = 0, ci_L_min_m2 = 0;
  double sv_mL = 0, lvedv_mL = 0, lvesv_mL = 0, ef_pct = 0;
  double lvedp_mmHg = 0, lvesp_mmHg = 0, lv_peak_mmHg = 0, dpdt_max_mmHg_s = 0;
  double pcwp_mmHg = 0, rap_mmHg = 0;
  double pap_sys_mmHg = 0, pap_dia_mmHg = 0, pap_mean_mmHg = 0;
  double svr_wood = 0, sw_mmHg_mL = 0, pva_mmHg_mL = 0, cpo_W = 0;
  double coronary_flow_mL_min = 0;
  std::array<double, physio::territory_count> coronary_territory_mL_min{};
  double coronary_diastolic_fraction = 0;  // left coronary inflow after the end of ejection
  double cpp_mmHg = 0;
  double blood_volume_mL = 0;
  double ejection_end_s = 0;  // end of ejection after the R wave (0: no ejection seen)
  // Per-beat summaries of device readings (keys: Simulation::device_metric_keys()); NaN when the
  // device gave no value this beat (a balloon pump beat without augmentation).
  static constexpr std::size_t max_device_metrics = 16;
  std::array<double, max_device_metrics> device{};
};

// A device reading summarised per beat: its index in Observables::device_readings, how, and the
// unit conversion into the metric's unit.
struct DeviceMetric {
  std::size_t reading = 0;
  physio::BeatSummary summary = physio::BeatSummary::mean;
  double scale = 1;
};

// Metric fields by name, in the order of the output contract (beats.csv, summary.json).
struct MetricField {
  std::string_view name;
  double (*get)(const BeatMetrics&);
};
std::span<const MetricField> metric_fields();

// Mean of each metric over a set of beats (beat/start/duration from the last one).
BeatMetrics average(std::span<const BeatMetrics> beats);

// Accumulates samples of one beat. add() allocates nothing.
class BeatAccumulator {
 public:
  // left_ventricle: the LV free wall (its ESPVR intercept and EDPVR enter PVA).
  BeatAccumulator(double body_surface_area_m2, const physio::Wall& left_ventricle,
                  std::vector<DeviceMetric> device_metrics = {});
  void begin(int beat, double start_s);
  void add(const physio::Observables& o);  // samples in time order, first at the beat's start
  BeatMetrics finish(const physio::Observables& end);  // `end` is the sample at the next R wave

 private:
  double bsa_;
  physio::Wall lv_;
  double v0_;  // ESPVR volume intercept
  BeatMetrics m_{};
  bool first_ = true;
  double t_prev_ = 0;
  // What the next sample's trapezoids need of the previous one (not the whole Observables: a
  // copy of it per sample would cost more than the sums).
  struct Previous {
    double t_s = 0, aortic_root_mmHg = 0, left_atrium_mmHg = 0, right_atrium_mmHg = 0,
           pulmonary_arteries_mmHg = 0, aortic_valve_mL_s = 0, systemic_outflow_mL_s = 0,
           left_coronary_mL_s = 0, left_ventricle_mmHg = 0, left_ventricle_mL = 0;
    std::array<double, physio::territory_count> coronary_inflow_mL_s{};
    std::array<double, BeatMetrics::max_device_metrics> device{};  // by device metric
  } prev_{};
  void remember(const physio::Observables& o, double systemic_outflow, double left_coronary);
  double duration_ = 0;
  // Time integrals over the beat (trapezoid on the sample grid).
  double int_aop_ = 0, int_la_ = 0, int_ra_ = 0, int_pa_ = 0, int_av_ = 0, int_sys_out_ = 0;
  std::array<double, physio::territory_count> int_cor_{};
  double int_left_cor_dia_ = 0, int_left_cor_ = 0;
  double work_ = 0;
  double aop_max_ = 0, aop_min_ = 0, pa_max_ = 0, pa_min_ = 0, lv_max_ = 0, dpdt_max_ = 0;
  double v_min_ = 0, p_at_v_min_ = 0;
  double edv_ = 0, edp_ = 0;
  std::vector<DeviceMetric> device_metrics_;
  std::array<double, BeatMetrics::max_device_metrics> device_acc_{};
  // Run integrals of the cumulative readings (kept across beats).
  std::array<double, BeatMetrics::max_device_metrics> device_run_{};
  double t_end_ejection_ = 0;
  double e_max_ = 0, p_es_ = 0, v_es_ = 0;  // point of maximal elastance
  double q_av_peak_ = 0;
  bool ejection_ended_ = false;
};

}  // namespace unload::sim
