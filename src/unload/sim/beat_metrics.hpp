// Haemodynamic metrics of one beat (R wave to R wave), computed from samples on a uniform grid.
//
// Definitions: end-diastole is the onset of ventricular activation (the beat's first sample);
// end-systolic volume is the smallest LV volume; end-systolic pressure is LV pressure at the end of
// ejection (aortic flow falling below 1% of its peak, interpolated between samples); stroke volume
// is the net volume through the aortic valve; stroke work is the area of the pressure-volume loop
// (-closed integral of P dV); PVA = SW + PE with PE = Pes (Ves - V0)/2 - Ped (Ved - V0)/4 (Suga's
// approximation of the potential energy between ESPVR and EDPVR); CPO = MAP x CO / 451 (Fincke
// 2004); coronary perfusion pressure = aortic diastolic - LV end-diastolic pressure; SVR = (MAP -
// RAP)/CO.
#pragma once

#include <array>
#include <span>
#include <string_view>

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
  BeatAccumulator(double body_surface_area_m2, double lv_dead_volume_mL);
  void begin(int beat, double start_s);
  void add(const physio::Observables& o);  // samples in time order, first at the beat's start
  BeatMetrics finish(const physio::Observables& end);  // `end` is the sample at the next R wave

 private:
  double bsa_, v0_;
  BeatMetrics m_{};
  bool first_ = true;
  double t_prev_ = 0;
  physio::Observables prev_{};
  double duration_ = 0;
  // Time integrals over the beat (trapezoid on the sample grid).
  double int_aop_ = 0, int_la_ = 0, int_ra_ = 0, int_pa_ = 0, int_av_ = 0, int_sys_out_ = 0;
  std::array<double, physio::territory_count> int_cor_{};
  double int_left_cor_dia_ = 0, int_left_cor_ = 0;
  double work_ = 0;
  double aop_max_ = 0, aop_min_ = 0, pa_max_ = 0, pa_min_ = 0, lv_max_ = 0, dpdt_max_ = 0;
  double v_min_ = 0, p_at_v_min_ = 0;
  double edv_ = 0, edp_ = 0;
  double q_av_peak_ = 0;
  bool ejection_ended_ = false;
  double p_end_ejection_ = 0;
};

}  // namespace unload::sim
