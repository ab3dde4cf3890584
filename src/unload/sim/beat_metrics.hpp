// Haemodynamic metrics of one beat (R wave to R wave), computed from samples on a uniform grid.
//
// Definitions: end-diastole is the onset of ventricular activation (the beat's first sample);
// end-systolic volume is the smallest LV volume; end-systolic pressure Pes is LV pressure at the
// point of maximal elastance P/(V - V0) (Suga and Sagawa's end-systole, which holds whether or not
// the aortic valve opens, e.g. with a pump emptying the ventricle), at volume Ves; the end of
// ejection (aortic flow falling below 1% of its peak) splits coronary flow into systolic and
// diastolic parts; stroke volume is the net volume through the aortic valve; a territory's regional
// ejection is its wall's volume (Observables::regional_volume_mL) at end-diastole minus at
// end-systole (negative: systolic bulging); stroke work is the
// area of the pressure-volume loop (-closed integral of P dV); PVA = SW + PE where PE, the
// potential energy between ESPVR and EDPVR (Suga 1979), is Pes (Ves - V0)/2 minus the integral of
// the LV free wall's EDPVR from V0 to Ves (exact for this model, where the common approximation
// -Ped (Ved - V0)/4 would make PVA rise whenever a pump lowers the filling pressure); CPO = MAP x
// CO / 451 (Fincke 2004); coronary perfusion pressure = aortic diastolic - LV end-diastolic
// pressure; SVR = (MAP - RAP)/CO.
#pragma once

#include <array>
#include <cstdint>
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
  double sv_mL = 0, sv_total_mL = 0, lvedv_mL = 0, lvesv_mL = 0, ef_pct = 0;
  double lvedp_mmHg = 0, lvesp_mmHg = 0, lv_peak_mmHg = 0, dpdt_max_mmHg_s = 0;
  double tau_ms = 0;   // time constant of the beat's ventricular relaxation
  double lvet_ms = 0;  // LV ejection time (NaN: no ejection seen)
  double pcwp_mmHg = 0, rap_mmHg = 0;
  double pap_sys_mmHg = 0, pap_dia_mmHg = 0, pap_mean_mmHg = 0;
  double svr_wood = 0, sw_mmHg_mL = 0, pva_mmHg_mL = 0, cpo_W = 0;
  double coronary_flow_mL_min = 0;
  std::array<double, physio::territory_count> coronary_territory_mL_min{};
  // Mean pressure distal to each territory's stenosis or balloon (the root's without one), and its
  // ratio to the mean aortic root pressure: resting Pd/Pa, or the FFR under maximal vasodilation.
  std::array<double, physio::territory_count> coronary_distal_mmHg{}, pd_pa{};
  // The same ratio over diastole only (end of ejection to the next R wave): the diastolic pressure
  // ratio (dPR), a resting index numerically equivalent to the iFR.
  std::array<double, physio::territory_count> dpr{};
  // Diastolic-to-systolic velocity ratio (DSVR) of each territory's inflow: its mean from the end
  // of ejection to the next R wave over its mean from the R wave to the end of ejection, what a
  // Doppler wire's phasic velocity gives (NaN, no value, when the ventricle did not eject or its
  // systolic inflow was under a tenth of the beat's).
  std::array<double, physio::territory_count> dsvr{};
  double coronary_left_diastolic_pct = 0;  // left coronary inflow after the end of ejection
  double cpp_mmHg = 0;
  double blood_volume_mL = 0;
  double infused_mL = 0, bled_mL = 0;  // since the run started, at the end of the beat
  double ejection_end_s = 0;           // end of ejection after the R wave (0: no ejection seen)
  // What each territory's share of the LV free wall moves inward from end-diastole to end-systole
  // (mL; below 0: it bulges, dyskinesis).
  std::array<double, physio::territory_count> regional_ejection_mL{};
  // Per-beat summaries of device readings (keys: Model::device_metrics()); NaN when the device
  // gave no value this beat (a balloon pump beat without augmentation).
  static constexpr std::size_t max_device_metrics = 16;
  std::array<double, max_device_metrics> device{};
};

// The one registry of beat metrics: each metric's key (the column of beats.csv, the key of
// `steady --json` and summary.json), where it is shown in the table, its label and unit in words,
// how many decimals a person needs, its definition, and where it lives in BeatMetrics. Writers,
// the table, `unload list` and docs/outputs.md all read this list; nothing else names them.
struct MetricField {
  std::string_view name;         // key, e.g. "map_mmHg"
  std::string_view group;        // heading in the table, e.g. "Arterial pressure"
  std::string_view label;        // e.g. "mean arterial pressure (MAP)"
  std::string_view unit;         // e.g. "mmHg"
  int decimals = 1;              // shown in the table
  std::string_view description;  // definition
  double& (*field)(BeatMetrics&);
  double get(const BeatMetrics& m) const { return field(const_cast<BeatMetrics&>(m)); }
};
std::span<const MetricField> metric_fields();

// A device reading summarised per beat: its key, label and unit (from the device's ReadingSpec),
// its index in Observables::device_readings, how it is summarised, and the unit conversion.
struct DeviceMetric {
  std::string key;  // unique among all metrics of a Model
  std::string label, unit, description;
  std::string device;  // kind of the device it comes from
  std::size_t reading = 0;
  physio::BeatSummary summary = physio::BeatSummary::mean;
  double scale = 1;
};

// Mean of each metric over a set of beats; `beat` is the last beat's, `start_s` the first beat's,
// `duration_s` the mean.
BeatMetrics average(std::span<const BeatMetrics> beats);

// What the samples of the current beat have added up so far, and the run integrals of cumulative
// device readings: the accumulator's part of a simulation's State (a value type).
struct BeatProgress {
  BeatMetrics m{};
  bool first = true;
  double t_prev = 0;
  // What the next sample's trapezoids need of the previous one (not the whole Observables: a
  // copy of it per sample would cost more than the sums).
  double prev_t_s = 0, prev_aortic_root_mmHg = 0, prev_left_atrium_mmHg = 0,
         prev_right_atrium_mmHg = 0, prev_pulmonary_arteries_mmHg = 0, prev_aortic_valve_mL_s = 0,
         prev_systemic_outflow_mL_s = 0, prev_left_coronary_mL_s = 0, prev_left_ventricle_mmHg = 0,
         prev_left_ventricle_mL = 0;
  std::array<double, physio::territory_count> prev_coronary_inflow_mL_s{};
  std::array<double, physio::territory_count> prev_coronary_distal_mmHg{};
  std::array<double, BeatMetrics::max_device_metrics> prev_device{};
  double duration = 0;
  // Time integrals over the beat (trapezoid on the sample grid).
  double int_aop = 0, int_la = 0, int_ra = 0, int_pa = 0, int_av = 0, int_sys_out = 0;
  std::array<double, physio::territory_count> int_cor{};
  std::array<double, physio::territory_count> int_cor_distal{};
  std::array<double, physio::territory_count> int_cor_distal_systolic{};  // to end of ejection
  std::array<double, physio::territory_count> int_cor_systolic{};         // to end of ejection
  double int_left_cor_dia = 0, int_left_cor = 0;
  double int_aop_systolic = 0;  // integral of aortic pressure up to the end of ejection
  double work = 0;
  double aop_max = 0, aop_max_all = 0, aop_min = 0, pa_max = 0, pa_min = 0, lv_max = 0,
         dpdt_max = 0;
  double tau_s = 0;  // relaxation time constant of the beat's activation (set at the R wave)
  // dP/dt of the two samples before this one and the spacing between them: a local maximum on an
  // even stretch of the grid is refined by the parabola through three samples.
  double prev_dpdt = 0, prev2_dpdt = 0, prev_dt = 0;
  double v_min = 0, p_at_v_min = 0;
  // Each territory's wall volume (Observables::regional_volume_mL) at end-diastole, at the point of
  // maximal elastance and at the smallest LV volume.
  std::array<double, physio::territory_count> regional_ed{}, regional_es{}, regional_at_v_min{};
  double edv = 0, edp = 0;
  std::array<double, BeatMetrics::max_device_metrics> device_acc{};
  // Run integrals of the cumulative readings (kept across beats).
  std::array<double, BeatMetrics::max_device_metrics> device_run{};
  double t_end_ejection = 0;
  // After the R wave: aortic flow's first rise through 20 mL/s, and its first fall through 0 after
  // that (the valve's closure, the dicrotic notch); -1 until seen.
  double t_start_ejection = -1, t_valve_closure = -1;
  double e_max = 0, p_es = 0, v_es = 0;  // point of maximal elastance
  // The LV free wall's passive share and its bulge's volume at that point (Observables).
  double passive_share_es = 0, passive_bulge_es = 0;
  double q_av_peak = 0;
  bool ejection_ended = false;
};

// Turns the samples of one beat into its metrics. Holds only constants of the model; the sums
// live in a BeatProgress. add() allocates nothing.
class BeatAccumulator {
 public:
  // left_ventricle: the LV free wall (its ESPVR intercept and EDPVR enter PVA).
  BeatAccumulator(double body_surface_area_m2, const physio::Wall& left_ventricle,
                  std::vector<DeviceMetric> device_metrics = {});
  void begin(BeatProgress& p, int beat, double start_s) const;
  // Samples in time order, the first at the beat's start.
  void add(BeatProgress& p, const physio::Observables& o) const;
  // `end` is the sample at the next R wave.
  BeatMetrics finish(BeatProgress& p, const physio::Observables& end) const;

 private:
  double bsa_;
  physio::Wall lv_;
  double v0_;  // ESPVR volume intercept
  std::vector<DeviceMetric> device_metrics_;
  void remember(BeatProgress& p, const physio::Observables& o, double systemic_outflow,
                double left_coronary) const;
};

}  // namespace unload::sim
