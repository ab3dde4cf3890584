#include "unload/sim/beat_metrics.hpp"

#include <algorithm>
#include <cmath>

#include "unload/core/units.hpp"

namespace unload::sim {

BeatAccumulator::BeatAccumulator(double body_surface_area_m2, const physio::Wall& left_ventricle,
                                 std::vector<DeviceMetric> device_metrics)
    : bsa_(body_surface_area_m2),
      lv_(left_ventricle),
      v0_(left_ventricle.dead_volume_mL),
      device_metrics_(std::move(device_metrics)) {}

void BeatAccumulator::begin(int beat, double start_s) {
  m_ = BeatMetrics{};
  m_.beat = beat;
  m_.start_s = start_s;
  first_ = true;
  int_aop_ = int_la_ = int_ra_ = int_pa_ = int_av_ = int_sys_out_ = 0;
  int_cor_.fill(0.0);
  int_left_cor_dia_ = int_left_cor_ = 0;
  work_ = 0;
  dpdt_max_ = 0;
  q_av_peak_ = 0;
  e_max_ = p_es_ = v_es_ = 0;
  device_acc_.fill(0.0);
  t_end_ejection_ = 0;
  ejection_ended_ = false;
  duration_ = 0;
}

namespace {
// Aortic valve flow above which the ventricle is taken to be ejecting (leaks stay far below).
constexpr double kEjectionFlow_mL_s = 20.0;
// Flow that leaves the aortic root and descending aorta into the body (systemic output).
double systemic_outflow(const physio::Observables& o) {
  double cor = 0;
  for (double q : o.coronary_inflow_mL_s) cor += q;
  return o.upper_body_mL_s + o.lower_body_mL_s + cor;
}
double left_coronary(const physio::Observables& o) {
  return o.coronary_inflow_mL_s[0] + o.coronary_inflow_mL_s[1];
}
}  // namespace

void BeatAccumulator::add(const physio::Observables& o) {
  if (first_) {
    first_ = false;
    edv_ = o.left_ventricle_mL;
    edp_ = o.left_ventricle_mmHg;
    aop_max_ = aop_min_ = o.aortic_root_mmHg;
    pa_max_ = pa_min_ = o.pulmonary_arteries_mmHg;
    lv_max_ = o.left_ventricle_mmHg;
    v_min_ = o.left_ventricle_mL;
    p_at_v_min_ = o.left_ventricle_mmHg;
    int_left_cor_dia_ = 0;
    for (std::size_t i = 0; i < device_metrics_.size(); ++i) {
      switch (device_metrics_[i].summary) {
        case physio::BeatSummary::mean:
          device_acc_[i] = 0.0;
          break;
        case physio::BeatSummary::cumulative:
          device_acc_[i] = device_run_[i];
          break;
        default:
          device_acc_[i] = o.device_readings[device_metrics_[i].reading];
      }
    }
    remember(o, systemic_outflow(o), left_coronary(o));
    return;
  }
  const double dt = o.t_s - t_prev_;
  if (dt <= 0) return;
  auto trap = [dt](double a, double b) { return 0.5 * dt * (a + b); };
  int_aop_ += trap(prev_.aortic_root_mmHg, o.aortic_root_mmHg);
  int_la_ += trap(prev_.left_atrium_mmHg, o.left_atrium_mmHg);
  int_ra_ += trap(prev_.right_atrium_mmHg, o.right_atrium_mmHg);
  int_pa_ += trap(prev_.pulmonary_arteries_mmHg, o.pulmonary_arteries_mmHg);
  int_av_ += trap(prev_.aortic_valve_mL_s, o.aortic_valve_mL_s);
  const double sys_out = systemic_outflow(o);
  const double left_cor = left_coronary(o);
  int_sys_out_ += trap(prev_.systemic_outflow_mL_s, sys_out);
  for (std::size_t k = 0; k < int_cor_.size(); ++k) {
    int_cor_[k] += trap(prev_.coronary_inflow_mL_s[k], o.coronary_inflow_mL_s[k]);
  }
  const double left_cor_step = trap(prev_.left_coronary_mL_s, left_cor);
  int_left_cor_ += left_cor_step;
  // Pressure-volume loop area: -closed integral of P dV (positive for a normal loop).
  work_ -= 0.5 * (prev_.left_ventricle_mmHg + o.left_ventricle_mmHg) *
           (o.left_ventricle_mL - prev_.left_ventricle_mL);
  dpdt_max_ = std::max(dpdt_max_, o.left_ventricle_dpdt_mmHg_s);
  for (std::size_t i = 0; i < device_metrics_.size(); ++i) {
    const std::size_t r = device_metrics_[i].reading;
    switch (device_metrics_[i].summary) {
      case physio::BeatSummary::mean:
        device_acc_[i] += trap(prev_.device[i], o.device_readings[r]);
        break;
      case physio::BeatSummary::cumulative:
        device_run_[i] += trap(prev_.device[i], o.device_readings[r]);
        device_acc_[i] = device_run_[i];
        break;
      case physio::BeatSummary::max:
        device_acc_[i] = std::max(device_acc_[i], o.device_readings[r]);
        break;
      case physio::BeatSummary::last:
      case physio::BeatSummary::none:
        device_acc_[i] = o.device_readings[r];
        break;
    }
  }
  aop_max_ = std::max(aop_max_, o.aortic_root_mmHg);
  aop_min_ = std::min(aop_min_, o.aortic_root_mmHg);
  pa_max_ = std::max(pa_max_, o.pulmonary_arteries_mmHg);
  pa_min_ = std::min(pa_min_, o.pulmonary_arteries_mmHg);
  lv_max_ = std::max(lv_max_, o.left_ventricle_mmHg);
  // End of ejection: aortic flow falls below 1% of its systolic peak.
  q_av_peak_ = std::max(q_av_peak_, o.aortic_valve_mL_s);
  const double threshold = 0.01 * q_av_peak_;
  if (!ejection_ended_ && q_av_peak_ > kEjectionFlow_mL_s && prev_.aortic_valve_mL_s > threshold &&
      o.aortic_valve_mL_s <= threshold) {
    const double w =
        (prev_.aortic_valve_mL_s - threshold) / (prev_.aortic_valve_mL_s - o.aortic_valve_mL_s);
    // Left coronary inflow up to the end of ejection: what follows is diastolic.
    int_left_cor_dia_ = int_left_cor_ - (1.0 - w) * left_cor_step;
    ejection_ended_ = true;
    t_end_ejection_ = prev_.t_s + w * dt - m_.start_s;
  }
  // End-systole: maximal elastance P / (V - V0).
  if (const double v = o.left_ventricle_mL - v0_; v > 1.0 && o.left_ventricle_mmHg / v > e_max_) {
    e_max_ = o.left_ventricle_mmHg / v;
    p_es_ = o.left_ventricle_mmHg;
    v_es_ = o.left_ventricle_mL;
  }
  if (o.left_ventricle_mL < v_min_) {
    v_min_ = o.left_ventricle_mL;
    p_at_v_min_ = o.left_ventricle_mmHg;
    if (!ejection_ended_) int_left_cor_dia_ = int_left_cor_;  // fallback: no ejection seen
  }
  duration_ += dt;
  remember(o, sys_out, left_cor);
}

void BeatAccumulator::remember(const physio::Observables& o, double systemic_outflow,
                               double left_coronary) {
  prev_.t_s = o.t_s;
  prev_.aortic_root_mmHg = o.aortic_root_mmHg;
  prev_.left_atrium_mmHg = o.left_atrium_mmHg;
  prev_.right_atrium_mmHg = o.right_atrium_mmHg;
  prev_.pulmonary_arteries_mmHg = o.pulmonary_arteries_mmHg;
  prev_.aortic_valve_mL_s = o.aortic_valve_mL_s;
  prev_.systemic_outflow_mL_s = systemic_outflow;
  prev_.left_coronary_mL_s = left_coronary;
  prev_.left_ventricle_mmHg = o.left_ventricle_mmHg;
  prev_.left_ventricle_mL = o.left_ventricle_mL;
  prev_.coronary_inflow_mL_s = o.coronary_inflow_mL_s;
  for (std::size_t i = 0; i < device_metrics_.size(); ++i) {
    prev_.device[i] = o.device_readings[device_metrics_[i].reading];
  }
  t_prev_ = o.t_s;
}

BeatMetrics BeatAccumulator::finish(const physio::Observables& end) {
  add(end);
  BeatMetrics& m = m_;
  const double T = duration_ > 0 ? duration_ : 1.0;
  m.duration_s = duration_;
  m.hr_bpm = 60.0 / T;
  m.aop_sys_mmHg = aop_max_;
  m.aop_dia_mmHg = aop_min_;
  m.map_mmHg = int_aop_ / T;
  m.co_native_L_min = int_av_ / T * units::mL_per_s_to_L_per_min;
  m.co_L_min = int_sys_out_ / T * units::mL_per_s_to_L_per_min;
  m.ci_L_min_m2 = m.co_L_min / bsa_;
  m.sv_mL = int_av_;
  m.lvedv_mL = edv_;
  m.lvesv_mL = v_min_;
  m.ef_pct = edv_ > 0 ? 100.0 * (edv_ - v_min_) / edv_ : 0.0;
  m.lvedp_mmHg = edp_;
  m.lvesp_mmHg = e_max_ > 0 ? p_es_ : p_at_v_min_;
  m.lv_peak_mmHg = lv_max_;
  m.dpdt_max_mmHg_s = dpdt_max_;
  m.pcwp_mmHg = int_la_ / T;
  m.rap_mmHg = int_ra_ / T;
  m.pap_sys_mmHg = pa_max_;
  m.pap_dia_mmHg = pa_min_;
  m.pap_mean_mmHg = int_pa_ / T;
  m.svr_wood = m.co_L_min > 0 ? (m.map_mmHg - m.rap_mmHg) / m.co_L_min : 0.0;
  m.sw_mmHg_mL = work_;
  const double v_es = e_max_ > 0 ? v_es_ : v_min_;
  // Integral of the EDPVR P0 (exp(lambda (V - Vp)) - 1) from V0 to Ves.
  const double lambda = lv_.passive_stiffness_per_mL;
  const double vp = lv_.passive_zero_volume_mL;
  const double edpvr_area =
      lv_.passive_pressure_mmHg *
      ((std::exp(lambda * (v_es - vp)) - std::exp(lambda * (v0_ - vp))) / lambda - (v_es - v0_));
  const double pe = m.lvesp_mmHg * (v_es - v0_) / 2.0 - edpvr_area;
  m.pva_mmHg_mL = work_ + pe;
  m.cpo_W = m.map_mmHg * m.co_L_min / units::cardiac_power_divisor;
  m.coronary_flow_mL_min = 0;
  for (std::size_t k = 0; k < int_cor_.size(); ++k) {
    m.coronary_territory_mL_min[k] = int_cor_[k] / T * 60.0;
    m.coronary_flow_mL_min += m.coronary_territory_mL_min[k];
  }
  m.coronary_diastolic_fraction =
      int_left_cor_ != 0 ? (int_left_cor_ - int_left_cor_dia_) / int_left_cor_ : 0.0;
  m.cpp_mmHg = aop_min_ - edp_;
  m.blood_volume_mL = end.blood_volume_mL;
  m.ejection_end_s = ejection_ended_ ? t_end_ejection_ : 0.0;
  for (std::size_t i = 0; i < device_metrics_.size(); ++i) {
    const auto& dm = device_metrics_[i];
    double v = device_acc_[i];
    if (dm.summary == physio::BeatSummary::mean) v /= T;
    // A maximum that stayed at zero means the device gave nothing this beat.
    if (dm.summary == physio::BeatSummary::max && v == 0.0) v = std::nan("");
    m.device[i] = v * dm.scale;
  }
  return m;
}

namespace {
#define UNLOAD_METRIC(field)                             \
  MetricField {                                          \
#field, [](const BeatMetrics& m) { return m.field; } \
  }
constexpr MetricField kFields[] = {
    UNLOAD_METRIC(hr_bpm),
    UNLOAD_METRIC(aop_sys_mmHg),
    UNLOAD_METRIC(aop_dia_mmHg),
    UNLOAD_METRIC(map_mmHg),
    UNLOAD_METRIC(co_L_min),
    UNLOAD_METRIC(co_native_L_min),
    UNLOAD_METRIC(ci_L_min_m2),
    UNLOAD_METRIC(sv_mL),
    UNLOAD_METRIC(lvedv_mL),
    UNLOAD_METRIC(lvesv_mL),
    UNLOAD_METRIC(ef_pct),
    UNLOAD_METRIC(lvedp_mmHg),
    UNLOAD_METRIC(lvesp_mmHg),
    UNLOAD_METRIC(dpdt_max_mmHg_s),
    UNLOAD_METRIC(pcwp_mmHg),
    UNLOAD_METRIC(rap_mmHg),
    UNLOAD_METRIC(pap_sys_mmHg),
    UNLOAD_METRIC(pap_dia_mmHg),
    UNLOAD_METRIC(pap_mean_mmHg),
    UNLOAD_METRIC(svr_wood),
    UNLOAD_METRIC(sw_mmHg_mL),
    UNLOAD_METRIC(pva_mmHg_mL),
    UNLOAD_METRIC(cpo_W),
    UNLOAD_METRIC(coronary_flow_mL_min),
    MetricField{"coronary_lad_mL_min",
                [](const BeatMetrics& m) { return m.coronary_territory_mL_min[0]; }},
    MetricField{"coronary_lcx_mL_min",
                [](const BeatMetrics& m) { return m.coronary_territory_mL_min[1]; }},
    MetricField{"coronary_rca_mL_min",
                [](const BeatMetrics& m) { return m.coronary_territory_mL_min[2]; }},
    UNLOAD_METRIC(cpp_mmHg),
    UNLOAD_METRIC(blood_volume_mL),
    UNLOAD_METRIC(lv_peak_mmHg),
    MetricField{"coronary_left_diastolic_pct",
                [](const BeatMetrics& m) { return 100.0 * m.coronary_diastolic_fraction; }},
};
#undef UNLOAD_METRIC
}  // namespace

std::span<const MetricField> metric_fields() { return kFields; }

BeatMetrics average(std::span<const BeatMetrics> beats) {
  BeatMetrics a{};
  if (beats.empty()) return a;
  const double n = static_cast<double>(beats.size());
  auto acc = [&](double BeatMetrics::*f) {
    double s = 0;
    for (const auto& b : beats) s += b.*f;
    a.*f = s / n;
  };
  for (auto f : {&BeatMetrics::hr_bpm,
                 &BeatMetrics::aop_sys_mmHg,
                 &BeatMetrics::aop_dia_mmHg,
                 &BeatMetrics::map_mmHg,
                 &BeatMetrics::co_L_min,
                 &BeatMetrics::co_native_L_min,
                 &BeatMetrics::ci_L_min_m2,
                 &BeatMetrics::sv_mL,
                 &BeatMetrics::lvedv_mL,
                 &BeatMetrics::lvesv_mL,
                 &BeatMetrics::ef_pct,
                 &BeatMetrics::lvedp_mmHg,
                 &BeatMetrics::lvesp_mmHg,
                 &BeatMetrics::lv_peak_mmHg,
                 &BeatMetrics::dpdt_max_mmHg_s,
                 &BeatMetrics::pcwp_mmHg,
                 &BeatMetrics::rap_mmHg,
                 &BeatMetrics::pap_sys_mmHg,
                 &BeatMetrics::pap_dia_mmHg,
                 &BeatMetrics::pap_mean_mmHg,
                 &BeatMetrics::svr_wood,
                 &BeatMetrics::sw_mmHg_mL,
                 &BeatMetrics::pva_mmHg_mL,
                 &BeatMetrics::cpo_W,
                 &BeatMetrics::coronary_flow_mL_min,
                 &BeatMetrics::coronary_diastolic_fraction,
                 &BeatMetrics::cpp_mmHg,
                 &BeatMetrics::blood_volume_mL,
                 &BeatMetrics::duration_s}) {
    acc(f);
  }
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    double s = 0;
    for (const auto& b : beats) s += b.coronary_territory_mL_min[k];
    a.coronary_territory_mL_min[k] = s / n;
  }
  // Device metrics: mean over the beats that have a value.
  for (std::size_t i = 0; i < BeatMetrics::max_device_metrics; ++i) {
    double s = 0;
    int count = 0;
    for (const auto& b : beats) {
      if (!std::isnan(b.device[i])) {
        s += b.device[i];
        ++count;
      }
    }
    a.device[i] = count > 0 ? s / count : std::nan("");
  }
  a.beat = beats.back().beat;
  a.start_s = beats.front().start_s;
  return a;
}

}  // namespace unload::sim
