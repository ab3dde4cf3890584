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

void BeatAccumulator::begin(BeatProgress& p, int beat, double start_s) const {
  // Everything but the run integrals of cumulative readings starts again.
  const auto run = p.device_run;
  p = BeatProgress{};
  p.device_run = run;
  p.m.beat = beat;
  p.m.start_s = start_s;
}

namespace {
// Aortic valve flow above which the ventricle is taken to be ejecting (leaks stay far below).
constexpr double kEjectionFlow_mL_s = 20.0;
// Where between two samples a signal going from `before` to `after` crosses `level`: the fraction
// of the interval, by linear interpolation.
double crossing_fraction(double before, double after, double level) {
  return (before - level) / (before - after);
}
// Flow that leaves the aortic root and descending aorta into the body, the coronaries and the
// bronchial arteries (systemic output).
double systemic_outflow(const physio::Observables& o) {
  double cor = 0;
  for (double q : o.coronary_inflow_mL_s) cor += q;
  return o.upper_body_mL_s + o.lower_body_mL_s + o.bronchial_mL_s + cor;
}
double left_coronary(const physio::Observables& o) {
  return o.coronary_inflow_mL_s[0] + o.coronary_inflow_mL_s[1];
}
}  // namespace

void BeatAccumulator::add(BeatProgress& p, const physio::Observables& o) const {
  if (p.first) {
    p.first = false;
    p.prev_dpdt = o.left_ventricle_dpdt_mmHg_s;
    p.edv = o.left_ventricle_mL;
    p.edp = o.left_ventricle_mmHg;
    p.aop_max = 0;
    p.aop_max_all = p.aop_min = o.aortic_root_mmHg;
    p.pa_max = p.pa_min = o.pulmonary_arteries_mmHg;
    p.lv_max = o.left_ventricle_mmHg;
    p.v_min = o.left_ventricle_mL;
    p.p_at_v_min = o.left_ventricle_mmHg;
    p.regional_ed = p.regional_es = p.regional_at_v_min = o.regional_volume_mL;
    p.int_left_cor_dia = 0;
    for (std::size_t i = 0; i < device_metrics_.size(); ++i) {
      switch (device_metrics_[i].summary) {
        case physio::BeatSummary::mean:
          p.device_acc[i] = 0.0;
          break;
        case physio::BeatSummary::cumulative:
          p.device_acc[i] = p.device_run[i];
          break;
        default:
          p.device_acc[i] = o.device_readings[device_metrics_[i].reading];
      }
    }
    remember(p, o, systemic_outflow(o), left_coronary(o));
    return;
  }
  const double dt = o.t_s - p.t_prev;
  if (dt <= 0) return;
  auto trap = [dt](double a, double b) { return 0.5 * dt * (a + b); };
  const double aop_step = trap(p.prev_aortic_root_mmHg, o.aortic_root_mmHg);
  p.int_aop += aop_step;
  p.int_la += trap(p.prev_left_atrium_mmHg, o.left_atrium_mmHg);
  p.int_ra += trap(p.prev_right_atrium_mmHg, o.right_atrium_mmHg);
  p.int_pa += trap(p.prev_pulmonary_arteries_mmHg, o.pulmonary_arteries_mmHg);
  p.int_av += trap(p.prev_aortic_valve_mL_s, o.aortic_valve_mL_s);
  const double sys_out = systemic_outflow(o);
  const double left_cor = left_coronary(o);
  p.int_sys_out += trap(p.prev_systemic_outflow_mL_s, sys_out);
  std::array<double, physio::territory_count> distal_step{}, cor_step{};
  for (std::size_t k = 0; k < p.int_cor.size(); ++k) {
    cor_step[k] = trap(p.prev_coronary_inflow_mL_s[k], o.coronary_inflow_mL_s[k]);
    p.int_cor[k] += cor_step[k];
    distal_step[k] = trap(p.prev_coronary_distal_mmHg[k], o.coronary_distal_mmHg[k]);
    p.int_cor_distal[k] += distal_step[k];
  }
  const double left_cor_step = trap(p.prev_left_coronary_mL_s, left_cor);
  p.int_left_cor += left_cor_step;
  // Pressure-volume loop area: -closed integral of P dV (positive for a normal loop).
  p.work -= 0.5 * (p.prev_left_ventricle_mmHg + o.left_ventricle_mmHg) *
            (o.left_ventricle_mL - p.prev_left_ventricle_mL);
  const double dpdt = o.left_ventricle_dpdt_mmHg_s;
  p.dpdt_max = std::max(p.dpdt_max, dpdt);
  // The peak of dP/dt falls between samples: on an even stretch of the grid, the vertex of the
  // parabola through the three samples around a local maximum (exact for a quadratic peak; the
  // 5 ms grid alone read it up to 0.6% low against a 1 ms grid).
  // A strict local maximum only: a flat top (a segment, not a peak) is read as it is.
  if (p.prev_dt > 0 && std::abs(dt - p.prev_dt) <= 1e-9 * dt && p.prev_dpdt > p.prev2_dpdt &&
      p.prev_dpdt > dpdt) {
    const double curvature = 2.0 * p.prev_dpdt - p.prev2_dpdt - dpdt;
    if (curvature > 0) {
      const double d = p.prev2_dpdt - dpdt;
      p.dpdt_max = std::max(p.dpdt_max, p.prev_dpdt + d * d / (8.0 * curvature));
    }
  }
  p.prev2_dpdt = p.prev_dpdt;
  p.prev_dpdt = dpdt;
  p.prev_dt = dt;
  for (std::size_t i = 0; i < device_metrics_.size(); ++i) {
    const std::size_t r = device_metrics_[i].reading;
    switch (device_metrics_[i].summary) {
      case physio::BeatSummary::mean:
        p.device_acc[i] += trap(p.prev_device[i], o.device_readings[r]);
        break;
      case physio::BeatSummary::cumulative:
        p.device_run[i] += trap(p.prev_device[i], o.device_readings[r]);
        p.device_acc[i] = p.device_run[i];
        break;
      case physio::BeatSummary::max:
        p.device_acc[i] = std::max(p.device_acc[i], o.device_readings[r]);
        break;
      case physio::BeatSummary::min: {
        const double v = o.device_readings[r];
        if (v != 0.0) p.device_acc[i] = p.device_acc[i] == 0.0 ? v : std::min(p.device_acc[i], v);
        break;
      }
      case physio::BeatSummary::last:
      case physio::BeatSummary::none:
        p.device_acc[i] = o.device_readings[r];
        break;
    }
  }
  // Systolic pressure: the peak while the ventricle ejects (a balloon pump's diastolic
  // augmentation, before the valve opens or after it closes, is not systole); the whole beat's
  // peak when the ventricle does not eject.
  p.aop_max_all = std::max(p.aop_max_all, o.aortic_root_mmHg);
  if (!p.ejection_ended && o.aortic_valve_mL_s > kEjectionFlow_mL_s) {
    p.aop_max = std::max(p.aop_max, o.aortic_root_mmHg);
  }
  p.aop_min = std::min(p.aop_min, o.aortic_root_mmHg);
  p.pa_max = std::max(p.pa_max, o.pulmonary_arteries_mmHg);
  p.pa_min = std::min(p.pa_min, o.pulmonary_arteries_mmHg);
  p.lv_max = std::max(p.lv_max, o.left_ventricle_mmHg);
  // Time since the R wave at the fraction w of the interval from the last sample to this one.
  const auto beat_time = [&p, dt](double w) { return p.prev_t_s + w * dt - p.m.start_s; };
  const double q_before = p.prev_aortic_valve_mL_s, q = o.aortic_valve_mL_s;
  // Start of ejection: aortic flow first rises through kEjectionFlow_mL_s.
  if (p.t_start_ejection < 0 && q > kEjectionFlow_mL_s && q_before <= kEjectionFlow_mL_s) {
    p.t_start_ejection = beat_time(crossing_fraction(q_before, q, kEjectionFlow_mL_s));
  }
  // The valve's closure: the flow's first fall through zero after the start of ejection.
  if (p.t_start_ejection >= 0 && p.t_valve_closure < 0 && q_before > 0.0 && q <= 0.0) {
    p.t_valve_closure = beat_time(crossing_fraction(q_before, q, 0.0));
  }
  // End of ejection: aortic flow falls below 1% of its systolic peak.
  p.q_av_peak = std::max(p.q_av_peak, o.aortic_valve_mL_s);
  const double threshold = 0.01 * p.q_av_peak;
  if (!p.ejection_ended && p.q_av_peak > kEjectionFlow_mL_s && q_before > threshold &&
      q <= threshold) {
    const double w = crossing_fraction(q_before, q, threshold);
    // Left coronary inflow up to the end of ejection: what follows is diastolic.
    p.int_left_cor_dia = p.int_left_cor - (1.0 - w) * left_cor_step;
    p.int_aop_systolic = p.int_aop - (1.0 - w) * aop_step;
    for (std::size_t k = 0; k < p.int_cor.size(); ++k) {
      p.int_cor_distal_systolic[k] = p.int_cor_distal[k] - (1.0 - w) * distal_step[k];
      p.int_cor_systolic[k] = p.int_cor[k] - (1.0 - w) * cor_step[k];
    }
    p.ejection_ended = true;
    p.t_end_ejection = beat_time(w);
  }
  // End-systole: maximal elastance P / (V - V0).
  if (const double v = o.left_ventricle_mL - v0_; v > 1.0 && o.left_ventricle_mmHg / v > p.e_max) {
    p.e_max = o.left_ventricle_mmHg / v;
    p.p_es = o.left_ventricle_mmHg;
    p.v_es = o.left_ventricle_mL;
    p.passive_share_es = o.lv_passive_share;
    p.passive_bulge_es = o.lv_passive_bulge_mL;
    p.regional_es = o.regional_volume_mL;
  }
  if (o.left_ventricle_mL < p.v_min) {
    p.v_min = o.left_ventricle_mL;
    p.p_at_v_min = o.left_ventricle_mmHg;
    p.regional_at_v_min = o.regional_volume_mL;
    if (!p.ejection_ended) p.int_left_cor_dia = p.int_left_cor;  // fallback: no ejection seen
  }
  p.duration += dt;
  remember(p, o, sys_out, left_cor);
}

void BeatAccumulator::remember(BeatProgress& p, const physio::Observables& o,
                               double systemic_outflow, double left_coronary) const {
  p.prev_t_s = o.t_s;
  p.prev_aortic_root_mmHg = o.aortic_root_mmHg;
  p.prev_left_atrium_mmHg = o.left_atrium_mmHg;
  p.prev_right_atrium_mmHg = o.right_atrium_mmHg;
  p.prev_pulmonary_arteries_mmHg = o.pulmonary_arteries_mmHg;
  p.prev_aortic_valve_mL_s = o.aortic_valve_mL_s;
  p.prev_systemic_outflow_mL_s = systemic_outflow;
  p.prev_left_coronary_mL_s = left_coronary;
  p.prev_left_ventricle_mmHg = o.left_ventricle_mmHg;
  p.prev_left_ventricle_mL = o.left_ventricle_mL;
  p.prev_coronary_inflow_mL_s = o.coronary_inflow_mL_s;
  p.prev_coronary_distal_mmHg = o.coronary_distal_mmHg;
  for (std::size_t i = 0; i < device_metrics_.size(); ++i) {
    p.prev_device[i] = o.device_readings[device_metrics_[i].reading];
  }
  p.t_prev = o.t_s;
}

BeatMetrics BeatAccumulator::finish(BeatProgress& p, const physio::Observables& end) const {
  add(p, end);
  BeatMetrics& m = p.m;
  const double T = p.duration > 0 ? p.duration : 1.0;
  m.duration_s = p.duration;
  m.hr_bpm = 60.0 / T;
  m.aop_sys_mmHg = p.aop_max > 0 ? p.aop_max : p.aop_max_all;
  m.aop_dia_mmHg = p.aop_min;
  m.map_mmHg = p.int_aop / T;
  m.co_native_L_min = p.int_av / T * units::mL_per_s_to_L_per_min;
  m.co_L_min = p.int_sys_out / T * units::mL_per_s_to_L_per_min;
  m.ci_L_min_m2 = m.co_L_min / bsa_;
  m.sv_mL = p.int_av;
  m.sv_total_mL = p.edv - p.v_min;
  m.lvedv_mL = p.edv;
  m.lvesv_mL = p.v_min;
  m.ef_pct = p.edv > 0 ? 100.0 * (p.edv - p.v_min) / p.edv : 0.0;
  m.lvedp_mmHg = p.edp;
  m.lvesp_mmHg = p.e_max > 0 ? p.p_es : p.p_at_v_min;
  m.lv_peak_mmHg = p.lv_max;
  m.dpdt_max_mmHg_s = p.dpdt_max;
  m.tau_ms = 1000.0 * p.tau_s;
  m.pcwp_mmHg = p.int_la / T;
  m.rap_mmHg = p.int_ra / T;
  m.pap_sys_mmHg = p.pa_max;
  m.pap_dia_mmHg = p.pa_min;
  m.pap_mean_mmHg = p.int_pa / T;
  m.svr_wood = m.co_L_min > 0 ? (m.map_mmHg - m.rap_mmHg) / m.co_L_min : 0.0;
  m.sw_mmHg_mL = p.work;
  const double v_es = p.e_max > 0 ? p.v_es : p.v_min;
  for (std::size_t k = 0; k < m.regional_ejection_mL.size(); ++k) {
    m.regional_ejection_mL[k] =
        p.regional_ed[k] - (p.e_max > 0 ? p.regional_es[k] : p.regional_at_v_min[k]);
  }
  // PE: the area between the ESPVR and the EDPVR left of the end-systolic point (Suga 1979). The
  // ESPVR is the free wall's line Pes (V - V0) / (Ves - V0) only for the wall that contracts: a
  // passive (ischaemic) share s of the wall has its EDPVR for ESPVR and stores no potential
  // energy (docs/model.md 2.9; the ischaemic ESPVR's rightward shift, Kass et al. 1988). So PE is
  // the contracting share's, (1 - s) times the triangle less the EDPVR's area up to the volume
  // the wall would hold without the bulge, Ves - s d; without a passive region, the whole wall's.
  const bool es_found = p.e_max > 0;
  const double share = es_found ? p.passive_share_es : 0.0;
  // Not below V0: left of V0 the ESPVR has no area (a ventricle that hardly fills, in VF or with
  // most of its wall bulging, stores no potential energy rather than a negative one).
  const double v_contracting = std::max(v0_, v_es - (es_found ? p.passive_bulge_es : 0.0));
  // Integral of the EDPVR P0 (exp(lambda (V - Vp)) - 1) from V0 to that volume.
  const double lambda = lv_.passive_stiffness_per_mL;
  const double vp = lv_.passive_zero_volume_mL;
  const double edpvr_area =
      lv_.passive_pressure_mmHg *
      ((std::exp(lambda * (v_contracting - vp)) - std::exp(lambda * (v0_ - vp))) / lambda -
       (v_contracting - v0_));
  const double pe = (1.0 - share) * (m.lvesp_mmHg * (v_contracting - v0_) / 2.0 - edpvr_area);
  m.pva_mmHg_mL = p.work + pe;
  m.cpo_W = m.map_mmHg * m.co_L_min / units::cardiac_power_divisor;
  m.coronary_flow_mL_min = 0;
  for (std::size_t k = 0; k < p.int_cor.size(); ++k) {
    m.coronary_territory_mL_min[k] = p.int_cor[k] / T * 60.0;
    m.coronary_flow_mL_min += m.coronary_territory_mL_min[k];
    m.coronary_distal_mmHg[k] = p.int_cor_distal[k] / T;
    m.pd_pa[k] = m.map_mmHg > 0.0 ? m.coronary_distal_mmHg[k] / m.map_mmHg : 0.0;
  }
  m.coronary_left_diastolic_pct =
      p.int_left_cor != 0 ? 100.0 * (p.int_left_cor - p.int_left_cor_dia) / p.int_left_cor : 0.0;
  // Coronary perfusion pressure: mean aortic pressure in diastole (from the end of ejection to the
  // next R wave; the whole beat when the ventricle did not eject) minus LVEDP.
  const double diastole_s = T - p.t_end_ejection;
  const double aop_diastolic = p.ejection_ended && diastole_s > 0
                                   ? (p.int_aop - p.int_aop_systolic) / diastole_s
                                   : m.map_mmHg;
  m.cpp_mmHg = aop_diastolic - p.edp;
  // Diastolic pressure ratio (dPR): mean distal over mean aortic pressure in the same diastole, the
  // whole beat's ratio when the ventricle did not eject.
  const double int_aop_diastolic = p.int_aop - p.int_aop_systolic;
  for (std::size_t k = 0; k < p.int_cor.size(); ++k) {
    m.dpr[k] = p.ejection_ended && diastole_s > 0 && int_aop_diastolic > 0.0
                   ? (p.int_cor_distal[k] - p.int_cor_distal_systolic[k]) / int_aop_diastolic
                   : m.pd_pa[k];
    // DSVR: mean inflow in diastole over mean inflow in systole (R wave to end of ejection);
    // no value (NaN) where it is no useful number: no ejection, no net inflow, or a mean systolic
    // inflow under a tenth of the beat's (a balloon pump's deflation can stop it), where the
    // ratio runs to hundreds and follows rounding.
    const double systolic = p.int_cor_systolic[k];
    const double systolic_mean = p.t_end_ejection > 0 ? systolic / p.t_end_ejection : 0.0;
    m.dsvr[k] = p.ejection_ended && diastole_s > 0 && p.int_cor[k] > 0.0 &&
                        systolic_mean > 0.1 * p.int_cor[k] / T
                    ? ((p.int_cor[k] - systolic) / diastole_s) / systolic_mean
                    : std::nan("");
  }
  m.blood_volume_mL = end.blood_volume_mL;
  m.infused_mL = end.infused_mL;
  m.bled_mL = end.bled_mL;
  m.ejection_end_s = p.ejection_ended ? p.t_end_ejection : 0.0;
  m.lvet_ms = p.t_start_ejection >= 0.0 && p.t_valve_closure > p.t_start_ejection
                  ? 1000.0 * (p.t_valve_closure - p.t_start_ejection)
                  : std::nan("");
  for (std::size_t i = 0; i < device_metrics_.size(); ++i) {
    const auto& dm = device_metrics_[i];
    double v = p.device_acc[i];
    if (dm.summary == physio::BeatSummary::mean) v /= T;
    // A maximum that stayed at zero means the device gave nothing this beat.
    // A maximum or a last value of exactly zero means the device gave nothing this beat (a
    // balloon pump beat without augmentation).
    if ((dm.summary == physio::BeatSummary::max || dm.summary == physio::BeatSummary::min ||
         dm.summary == physio::BeatSummary::last) &&
        v == 0.0) {
      v = std::nan("");
    }
    m.device[i] = v * dm.scale;
  }
  return m;
}

namespace {
#define UNLOAD_METRIC(key, group, label, unit, decimals, description) \
  MetricField {                                                       \
#key, group, label, unit, decimals, description,                  \
        [](BeatMetrics & m) -> double& { return m.key; }              \
  }
// One field of a per-territory array (k: the territory's index), the one scaffold of the
// per-territory metrics below.
#define UNLOAD_PER_TERRITORY(key, k, group, label, unit, decimals, description, member) \
  MetricField {                                                                         \
    key, group, label, unit, decimals, description,                                     \
        [](BeatMetrics& m) -> double& { return m.member[k]; }                           \
  }
#define UNLOAD_TERRITORY(key, k, label)                                        \
  UNLOAD_PER_TERRITORY(key, k, kCoronary, label, "mL/min", 0,                  \
                       "mean inflow of the " label " territory over the beat", \
                       coronary_territory_mL_min)
#define UNLOAD_DISTAL(key, k, label)                                                          \
  UNLOAD_PER_TERRITORY(                                                                       \
      key, k, kCoronary, "distal pressure, " label, "mmHg", 1,                                \
      "mean pressure distal to the " label                                                    \
      " territory's stenosis or balloon over the beat, as a pressure wire beyond the lesion " \
      "reads it (the aortic root's mean without one; the bed's pressure behind an occluding " \
      "balloon)",                                                                             \
      coronary_distal_mmHg)
#define UNLOAD_PD_PA(key, k, label)                                                            \
  UNLOAD_PER_TERRITORY(                                                                        \
      key, k, kCoronary, "Pd/Pa, " label, "1", 2,                                              \
      "mean distal pressure over mean aortic root pressure, " label                            \
      ": the resting Pd/Pa, or the fractional flow reserve (FFR) when the patient is held at " \
      "maximal vasodilation (coronary_autoregulation.hyperaemia = 1); 1 without a stenosis",   \
      pd_pa)
#define UNLOAD_DPR(key, k, label)                                                            \
  UNLOAD_PER_TERRITORY(                                                                      \
      key, k, kCoronary, "diastolic Pd/Pa (dPR), " label, "1", 2,                            \
      "mean distal pressure over mean aortic root pressure, " label                          \
      ", from the end of ejection to the next R wave (the diastolic pressure ratio, dPR, "   \
      "numerically equivalent to the iFR: Van't Veer et al., JACC 2017;70:3088); the whole " \
      "beat's Pd/Pa when the ventricle does not eject",                                      \
      dpr)
#define UNLOAD_DSVR(key, k, label)                                                            \
  UNLOAD_PER_TERRITORY(                                                                       \
      key, k, kCoronary, "diastolic/systolic flow ratio (DSVR), " label, "1", 2,              \
      "mean inflow of the " label                                                             \
      " territory from the end of ejection to the next R wave over its mean inflow from the " \
      "R wave to the end of ejection: the diastolic-to-systolic velocity ratio of a Doppler " \
      "wire (Seligman et al., EuroIntervention 2022;17:e1305); no value (empty, null) when "  \
      "the ventricle did not eject or the mean systolic inflow was under a tenth of the "     \
      "beat's",                                                                               \
      dsvr)
#define UNLOAD_REGIONAL(key, k, label)                                                         \
  UNLOAD_PER_TERRITORY(                                                                        \
      key, k, kLeftVentricle, "regional ejection, " label " wall", "mL", 1,                    \
      "volume the " label                                                                      \
      " territory's share of the LV free wall moves inward from "                              \
      "end-diastole to end-systole (maximal elastance): its part of the stroke; about 0 when " \
      "akinetic, below 0 when dyskinetic (the ischaemic wall bulges in systole)",              \
      regional_ejection_mL)
constexpr std::string_view kHeart = "Heart and output";
constexpr std::string_view kLeftVentricle = "Left ventricle";
constexpr std::string_view kArterial = "Arterial pressure";
constexpr std::string_view kRight = "Right heart and lungs";
constexpr std::string_view kEnergetics = "Energetics";
constexpr std::string_view kCoronary = "Coronary circulation";
constexpr std::string_view kBlood = "Blood";
// In the order of the output contract (beats.csv columns, summary.json, --json).
constexpr MetricField kFields[] = {
    UNLOAD_METRIC(hr_bpm, kHeart, "heart rate", "/min", 0, "60 / R-R interval"),
    UNLOAD_METRIC(aop_sys_mmHg, kArterial, "aortic systolic", "mmHg", 1,
                  "highest aortic root pressure while the ventricle ejects (the whole beat when it "
                  "does not eject); a balloon pump's diastolic augmentation is reported apart"),
    UNLOAD_METRIC(aop_dia_mmHg, kArterial, "aortic diastolic", "mmHg", 1,
                  "lowest aortic root pressure of the beat"),
    UNLOAD_METRIC(map_mmHg, kArterial, "mean arterial pressure (MAP)", "mmHg", 1,
                  "time mean of aortic root pressure over the beat"),
    UNLOAD_METRIC(co_L_min, kHeart, "cardiac output", "L/min", 2,
                  "total systemic flow: what leaves the aorta to the body and the coronaries "
                  "(native output plus any device flow into the aorta)"),
    UNLOAD_METRIC(co_native_L_min, kHeart, "native output (aortic valve)", "L/min", 2,
                  "net flow through the aortic valve"),
    UNLOAD_METRIC(ci_L_min_m2, kHeart, "cardiac index", "L/min/m2", 2,
                  "cardiac output / body surface area (Mosteller)"),
    UNLOAD_METRIC(sv_mL, kHeart, "stroke volume, native (through the aortic valve)", "mL", 1,
                  "net volume through the aortic valve in the beat (a micro-axial pump's flow "
                  "bypasses it)"),
    UNLOAD_METRIC(sv_total_mL, kHeart, "stroke volume, total (LVEDV - LVESV)", "mL", 1,
                  "volume the ventricle empties in the beat, through the valve or a pump"),
    UNLOAD_METRIC(lvedv_mL, kLeftVentricle, "end-diastolic volume (LVEDV)", "mL", 1,
                  "LV volume at the R wave"),
    UNLOAD_METRIC(lvesv_mL, kLeftVentricle, "end-systolic volume (LVESV)", "mL", 1,
                  "smallest LV volume of the beat"),
    UNLOAD_METRIC(ef_pct, kHeart, "ejection fraction", "%", 1, "(LVEDV - LVESV) / LVEDV"),
    UNLOAD_METRIC(lvedp_mmHg, kLeftVentricle, "end-diastolic pressure (LVEDP)", "mmHg", 1,
                  "LV pressure at the R wave"),
    UNLOAD_METRIC(lvesp_mmHg, kLeftVentricle, "end-systolic pressure", "mmHg", 1,
                  "LV pressure at maximal elastance P/(V - V0)"),
    UNLOAD_METRIC(dpdt_max_mmHg_s, kLeftVentricle, "dP/dt max", "mmHg/s", 0,
                  "steepest rise of LV pressure"),
    UNLOAD_METRIC(tau_ms, kLeftVentricle, "relaxation time constant (tau)", "ms", 1,
                  "time constant of the beat's ventricular relaxation: of the activation's "
                  "exponential fall, which isovolumic LV pressure follows; ischaemia lengthens it"),
    UNLOAD_METRIC(lvet_ms, kLeftVentricle, "ejection time (LVET)", "ms", 0,
                  "from aortic valve flow's rise through 20 mL/s to its first fall through 0, "
                  "the valve's closure (the carotid upstroke to the dicrotic notch); no value "
                  "when the ventricle did not eject"),
    UNLOAD_METRIC(pcwp_mmHg, kRight, "wedge pressure (PCWP)", "mmHg", 1,
                  "mean left atrial pressure over the beat"),
    UNLOAD_METRIC(rap_mmHg, kRight, "right atrial pressure (RAP)", "mmHg", 1,
                  "mean right atrial pressure over the beat"),
    UNLOAD_METRIC(pap_sys_mmHg, kRight, "pulmonary artery systolic", "mmHg", 1,
                  "highest pulmonary arterial pressure of the beat"),
    UNLOAD_METRIC(pap_dia_mmHg, kRight, "pulmonary artery diastolic", "mmHg", 1,
                  "lowest pulmonary arterial pressure of the beat"),
    UNLOAD_METRIC(pap_mean_mmHg, kRight, "pulmonary artery mean", "mmHg", 1,
                  "mean pulmonary arterial pressure over the beat"),
    UNLOAD_METRIC(svr_wood, kArterial, "systemic vascular resistance", "Wood units", 2,
                  "(MAP - RAP) / cardiac output"),
    UNLOAD_METRIC(sw_mmHg_mL, kEnergetics, "stroke work", "mmHg*mL", 0,
                  "area of the LV pressure-volume loop"),
    UNLOAD_METRIC(pva_mmHg_mL, kEnergetics, "pressure-volume area (PVA)", "mmHg*mL", 0,
                  "stroke work plus the potential energy between ESPVR and EDPVR (Suga 1979), of "
                  "the contracting share of the wall only in ischaemia (docs/model.md 4); "
                  "proportional to myocardial oxygen demand"),
    UNLOAD_METRIC(cpo_W, kEnergetics, "cardiac power output (CPO)", "W", 2,
                  "MAP x cardiac output / 451 (Fincke et al., JACC 2004)"),
    UNLOAD_METRIC(coronary_flow_mL_min, kCoronary, "total coronary flow", "mL/min", 0,
                  "mean inflow of all coronary territories over the beat"),
    UNLOAD_TERRITORY("coronary_lad_mL_min", 0, "LAD"),
    UNLOAD_TERRITORY("coronary_lcx_mL_min", 1, "LCx"),
    UNLOAD_TERRITORY("coronary_rca_mL_min", 2, "RCA"),
    UNLOAD_DISTAL("coronary_distal_lad_mmHg", 0, "LAD"),
    UNLOAD_DISTAL("coronary_distal_lcx_mmHg", 1, "LCx"),
    UNLOAD_DISTAL("coronary_distal_rca_mmHg", 2, "RCA"),
    UNLOAD_PD_PA("pd_pa_lad", 0, "LAD"),
    UNLOAD_PD_PA("pd_pa_lcx", 1, "LCx"),
    UNLOAD_PD_PA("pd_pa_rca", 2, "RCA"),
    UNLOAD_DPR("dpr_lad", 0, "LAD"),
    UNLOAD_DPR("dpr_lcx", 1, "LCx"),
    UNLOAD_DPR("dpr_rca", 2, "RCA"),
    UNLOAD_DSVR("dsvr_lad", 0, "LAD"),
    UNLOAD_DSVR("dsvr_lcx", 1, "LCx"),
    UNLOAD_DSVR("dsvr_rca", 2, "RCA"),
    UNLOAD_METRIC(cpp_mmHg, kCoronary, "perfusion pressure (mean Ao dia - LVEDP)", "mmHg", 1,
                  "coronary perfusion pressure: mean aortic pressure in diastole (end of ejection "
                  "to the next R wave) minus LV end-diastolic pressure"),
    UNLOAD_METRIC(blood_volume_mL, kBlood, "total blood volume", "mL", 0,
                  "sum of every compartment's volume at the end of the beat"),
    UNLOAD_METRIC(infused_mL, kBlood, "fluid infused", "mL", 0,
                  "fluid infused into the vena cava since the run started, at the end of the beat "
                  "(fluid_mL events)"),
    UNLOAD_METRIC(bled_mL, kBlood, "blood lost", "mL", 0,
                  "blood lost from the systemic arteries since the run started, at the end of the "
                  "beat (bleeding_mL_min events); blood_volume_mL = start + infused_mL - bled_mL"),
    UNLOAD_METRIC(lv_peak_mmHg, kLeftVentricle, "peak systolic pressure", "mmHg", 1,
                  "highest LV pressure of the beat"),
    UNLOAD_METRIC(coronary_left_diastolic_pct, kCoronary, "left coronary flow in diastole", "%", 0,
                  "share of left coronary (LAD + LCx) inflow after the end of ejection"),
    UNLOAD_REGIONAL("regional_ejection_lad_mL", 0, "LAD"),
    UNLOAD_REGIONAL("regional_ejection_lcx_mL", 1, "LCx"),
    UNLOAD_REGIONAL("regional_ejection_rca_mL", 2, "RCA"),
};
#undef UNLOAD_METRIC
#undef UNLOAD_TERRITORY
#undef UNLOAD_PER_TERRITORY
#undef UNLOAD_DISTAL
#undef UNLOAD_PD_PA
#undef UNLOAD_DPR
#undef UNLOAD_DSVR
#undef UNLOAD_REGIONAL
}  // namespace

std::span<const MetricField> metric_fields() { return kFields; }

BeatMetrics average(std::span<const BeatMetrics> beats) {
  BeatMetrics a{};
  if (beats.empty()) return a;
  const double n = static_cast<double>(beats.size());
  // A value some beats do not have (NaN: a DSVR without ejection, a balloon pump's reading in a
  // beat it did not augment) is the mean of the beats that have one, NaN when none has.
  const auto mean_of_values = [beats](auto value_of) {
    double s = 0;
    int count = 0;
    for (const auto& b : beats) {
      const double v = value_of(b);
      if (std::isnan(v)) continue;
      s += v;
      ++count;
    }
    return count > 0 ? s / count : std::nan("");
  };
  for (const auto& f : metric_fields()) {
    f.field(a) = mean_of_values([&f](const BeatMetrics& b) { return f.get(b); });
  }
  double duration = 0, ejection_end = 0;
  for (const auto& b : beats) {
    duration += b.duration_s;
    ejection_end += b.ejection_end_s;
  }
  a.duration_s = duration / n;
  a.ejection_end_s = ejection_end / n;
  for (std::size_t i = 0; i < BeatMetrics::max_device_metrics; ++i) {
    a.device[i] = mean_of_values([i](const BeatMetrics& b) { return b.device[i]; });
  }
  a.beat = beats.back().beat;
  a.start_s = beats.front().start_s;
  return a;
}

}  // namespace unload::sim
