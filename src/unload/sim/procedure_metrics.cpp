#include "unload/sim/procedure_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace unload::sim {

namespace {

#define UNLOAD_PROCEDURE(key, unit, description, member)                        \
  ProcedureField {                                                              \
    key, unit, description,                                                     \
        [](const ProcedureMetrics& m) { return static_cast<double>(m.member); } \
  }

constexpr ProcedureField kFields[] = {
    UNLOAD_PROCEDURE("baseline_beats", "1",
                     "beats averaged for the baseline: those of the 30 s before the first "
                     "inflation (with none, of the first 30 s)",
                     baseline_beats),
    UNLOAD_PROCEDURE("map_baseline_mmHg", "mmHg", "mean arterial pressure at baseline",
                     map_baseline_mmHg),
    UNLOAD_PROCEDURE("cpo_baseline_W", "W", "cardiac power output at baseline", cpo_baseline_W),
    UNLOAD_PROCEDURE("lvedp_baseline_mmHg", "mmHg", "LV end-diastolic pressure at baseline",
                     lvedp_baseline_mmHg),
    UNLOAD_PROCEDURE("ef_baseline_pct", "%", "ejection fraction at baseline", ef_baseline_pct),
    UNLOAD_PROCEDURE("map_min_mmHg", "mmHg", "lowest beat MAP of the run", map_min_mmHg),
    UNLOAD_PROCEDURE("map_min_time_s", "s", "start of the beat with the lowest MAP",
                     map_min_time_s),
    UNLOAD_PROCEDURE("minutes_map_below_65", "min", "time spent in beats with MAP under 65 mmHg",
                     minutes_map_below_65),
    UNLOAD_PROCEDURE("cpo_min_W", "W", "lowest beat cardiac power output", cpo_min_W),
    UNLOAD_PROCEDURE("cpo_max_fall_W", "W", "baseline CPO minus the lowest CPO", cpo_max_fall_W),
    UNLOAD_PROCEDURE("lvedp_max_mmHg", "mmHg", "highest beat LV end-diastolic pressure",
                     lvedp_max_mmHg),
    UNLOAD_PROCEDURE("lvedp_max_time_s", "s", "start of the beat with the highest LVEDP",
                     lvedp_max_time_s),
    UNLOAD_PROCEDURE("ef_min_pct", "%", "ejection fraction of the worst beat", ef_min_pct),
    UNLOAD_PROCEDURE("ef_min_time_s", "s", "start of the beat with the lowest EF", ef_min_time_s),
    UNLOAD_PROCEDURE("inflations", "1",
                     "ischaemic episodes: times some territory's inflow fell below its artery's "
                     "level (a balloon; a stenosis is the patient's) or its microvascular "
                     "conductance below 1 (no-reflow) while none was reduced",
                     inflations),
    UNLOAD_PROCEDURE("ischaemia_s", "s", "time with some territory reduced (balloon or no-reflow)",
                     ischaemia_s),
    UNLOAD_PROCEDURE("ischaemic_beats", "1", "beats during which some territory was reduced",
                     ischaemic_beats),
    UNLOAD_PROCEDURE("pva_mean_ischaemia_mmHg_mL", "mmHg mL",
                     "mean pressure-volume area of the ischaemic beats",
                     pva_mean_ischaemia_mmHg_mL),
    UNLOAD_PROCEDURE("coronary_flow_nonoccluded_mL_min", "mL/min",
                     "mean flow of the territories not reduced, over the ischaemic beats",
                     coronary_flow_nonoccluded_mL_min),
    UNLOAD_PROCEDURE("first_inflation_s", "s", "time of the first inflation", first_inflation_s),
    UNLOAD_PROCEDURE("last_deflation_s", "s", "last time no territory was reduced any more",
                     last_deflation_s),
    UNLOAD_PROCEDURE("recovery_s", "s",
                     "from the last deflation to the first beat from which MAP and CPO, each the "
                     "mean of the last 6 beats since the deflation, stay above 95% of baseline "
                     "for 10 s (null: not by the end of the run)",
                     recovery_s),
};

#undef UNLOAD_PROCEDURE

double nan_min(double a, double b) { return std::isnan(a) || b < a ? b : a; }

}  // namespace

std::span<const ProcedureField> procedure_fields() { return kFields; }

bool ProcedureRecorder::ischaemic() const {
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    if (reduced(k)) return true;
  }
  return false;
}

void ProcedureRecorder::close_baseline(double inflation_s) {
  baseline_closed_ = true;
  Mean map, cpo, lvedp, ef;
  for (std::size_t i = 0; i < ring_count_; ++i) {
    const BaselineBeat& b = ring_[i];
    if (b.start_s >= inflation_s - kBaselineWindow_s && b.end_s <= inflation_s) {
      map.add(b.map), cpo.add(b.cpo), lvedp.add(b.lvedp), ef.add(b.ef);
    }
  }
  m_.baseline_beats = map.n;
  m_.map_baseline_mmHg = map.value();
  m_.cpo_baseline_W = cpo.value();
  m_.lvedp_baseline_mmHg = lvedp.value();
  m_.ef_baseline_pct = ef.value();
}

void ProcedureRecorder::on_beat(const BeatMetrics& b) {
  const double end_s = b.start_s + b.duration_s;
  last_beat_end_s_ = end_s;
  ++m_.beats;
  if (!baseline_closed_) {
    ring_[ring_next_] = {b.start_s, end_s, b.map_mmHg, b.cpo_W, b.lvedp_mmHg, b.ef_pct};
    ring_next_ = (ring_next_ + 1) % kRing;
    ring_count_ = std::min(ring_count_ + 1, kRing);
    if (end_s <= kBaselineWindow_s) {
      first_map_.add(b.map_mmHg), first_cpo_.add(b.cpo_W);
      first_lvedp_.add(b.lvedp_mmHg), first_ef_.add(b.ef_pct);
    }
  }
  if (std::isnan(m_.map_min_mmHg) || b.map_mmHg < m_.map_min_mmHg) {
    m_.map_min_mmHg = b.map_mmHg, m_.map_min_time_s = b.start_s;
  }
  if (std::isnan(m_.lvedp_max_mmHg) || b.lvedp_mmHg > m_.lvedp_max_mmHg) {
    m_.lvedp_max_mmHg = b.lvedp_mmHg, m_.lvedp_max_time_s = b.start_s;
  }
  if (std::isnan(m_.ef_min_pct) || b.ef_pct < m_.ef_min_pct) {
    m_.ef_min_pct = b.ef_pct, m_.ef_min_time_s = b.start_s;
  }
  m_.cpo_min_W = nan_min(m_.cpo_min_W, b.cpo_W);
  if (b.map_mmHg < kMapThreshold_mmHg) m_.minutes_map_below_65 += b.duration_s / 60.0;

  const bool was_reduced =
      std::any_of(reduced_this_beat_.begin(), reduced_this_beat_.end(), [](bool r) { return r; });
  if (adenosine_running_ && !was_reduced && b.start_s >= running_ffr_.from_s) {
    ++running_ffr_.beats;
    for (std::size_t k = 0; k < physio::territory_count; ++k) ffr_sums_[k] += b.pd_pa[k];
  }
  if (was_reduced) {
    ++m_.ischaemic_beats;
    pva_.add(b.pva_mmHg_mL);
    double open = 0;
    for (std::size_t k = 0; k < physio::territory_count; ++k) {
      if (!reduced_this_beat_[k]) open += b.coronary_territory_mL_min[k];
    }
    nonoccluded_.add(open);
  }
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    reduced_this_beat_[k] = reduced(k);
  }

  // Recovery: beats wholly after the last deflation, while no territory is reduced.
  if (!std::isnan(m_.last_deflation_s) && !ischaemic() && !was_reduced &&
      b.start_s >= m_.last_deflation_s && std::isnan(m_.recovery_s)) {
    // Back means no more than 5% below baseline: above it (more support after the PCI, a drug)
    // is recovered too. Judged on the mean of the last kRecoveryBeats beats since the deflation.
    recent_[recent_next_] = {b.duration_s, b.map_mmHg, b.cpo_W};
    recent_next_ = (recent_next_ + 1) % kRecoveryBeats;
    recent_count_ = std::min(recent_count_ + 1, kRecoveryBeats);
    double span = 0, map = 0, cpo = 0;
    for (std::size_t i = 0; i < recent_count_; ++i) {
      span += recent_[i].duration_s;
      map += recent_[i].duration_s * recent_[i].map;
      cpo += recent_[i].duration_s * recent_[i].cpo;
    }
    const bool in_band = span > 0 && map >= (1.0 - kRecoveryBand) * m_.map_baseline_mmHg * span &&
                         cpo >= (1.0 - kRecoveryBand) * m_.cpo_baseline_W * span;
    if (!in_band) {
      in_band_since_s_ = ProcedureMetrics::nan;
    } else {
      if (std::isnan(in_band_since_s_)) in_band_since_s_ = b.start_s;
      if (end_s - in_band_since_s_ >= kRecoverySustain_s) {
        m_.recovery_s = in_band_since_s_ - m_.last_deflation_s;
      }
    }
  }
}

void ProcedureRecorder::on_event(const Event& e) {
  if (e.kind == EventKind::drug_dose && e.device == physio::adenosine_index) {
    if (adenosine_running_ && e.value == running_ffr_.dose_mcg_kg_min) return;
    if (adenosine_running_) close_ffr(e.time_s, true, ffr_);
    adenosine_running_ = e.value > 0.0;
    infusion_read_ = false;
    infusion_start_s_ = e.time_s;
    running_ffr_.dose_mcg_kg_min = e.value;
    open_ffr(e.time_s, e.time_s + kFfrHyperaemia_s);
    return;
  }
  const bool inflow = e.kind == EventKind::coronary_inflow;
  if ((!inflow && e.kind != EventKind::coronary_microvascular) ||
      e.device >= physio::territory_count) {
    return;
  }
  // A coronary change during adenosine: the reading so far is one, the next starts after it.
  if (adenosine_running_) {
    close_ffr(e.time_s, false, ffr_);
    if (running_ffr_.beats > 0) infusion_read_ = true;
    open_ffr(e.time_s, std::max(infusion_start_s_ + kFfrHyperaemia_s, e.time_s + kFfrSettle_s));
  }
  const bool was = ischaemic();
  (inflow ? inflow_ : microvascular_)[e.device] = e.value;
  if (inflow && e.setting == kCoronaryLasting) lasting_[e.device] = e.value;
  if (reduced(e.device)) {
    reduced_this_beat_[e.device] = true;
  } else if (e.time_s <= last_beat_end_s_) {
    // Reopened at the instant the running beat began (after the last beat's end was recorded):
    // the running beat never saw it reduced.
    reduced_this_beat_[e.device] = false;
  }
  const bool is = ischaemic();
  if (!was && is) {
    ++m_.inflations;
    ischaemia_since_s_ = e.time_s;
    if (!baseline_closed_) {
      m_.first_inflation_s = e.time_s;
      close_baseline(e.time_s);
    }
    m_.recovery_s = ProcedureMetrics::nan;
    in_band_since_s_ = ProcedureMetrics::nan;
    recent_count_ = recent_next_ = 0;
  } else if (was && !is) {
    m_.ischaemia_s += e.time_s - ischaemia_since_s_;
    ischaemia_since_s_ = ProcedureMetrics::nan;
    m_.last_deflation_s = e.time_s;
    in_band_since_s_ = ProcedureMetrics::nan;
  }
}

void ProcedureRecorder::open_ffr(double t_s, double from_s) {
  running_ffr_.start_s = t_s;
  running_ffr_.from_s = from_s;
  running_ffr_.beats = 0;
  ffr_sums_ = {};
}

void ProcedureRecorder::close_ffr(double end_s, bool last, std::vector<FfrReading>& into) const {
  FfrReading r = running_ffr_;
  r.end_s = end_s;
  if (r.beats == 0 && !(last && !infusion_read_ && end_s > infusion_start_s_)) return;
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    r.pd_pa[k] = r.beats > 0 ? ffr_sums_[k] / r.beats : ProcedureMetrics::nan;
  }
  if (r.beats == 0) r.start_s = infusion_start_s_;  // the whole (short) infusion
  into.push_back(r);
}

void ProcedureRecorder::start_from(const physio::PlantInputs& inputs, double t_s) {
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    lasting_[k] = inflow_[k] = inputs.coronary_inflow_fraction[k];
  }
  Event e;
  e.time_s = t_s;
  e.kind = EventKind::drug_dose;
  e.device = physio::adenosine_index;
  e.value = inputs.drug_dose[physio::adenosine_index];
  if (e.value > 0.0) on_event(e);
}

std::vector<FfrReading> ProcedureRecorder::ffr_readings(double end_s) const {
  std::vector<FfrReading> out = ffr_;
  if (adenosine_running_) close_ffr(end_s, true, out);
  return out;
}

ProcedureMetrics ProcedureRecorder::result(double end_s) const {
  ProcedureMetrics m = m_;
  if (!baseline_closed_) {
    m.baseline_beats = first_map_.n;
    m.map_baseline_mmHg = first_map_.value();
    m.cpo_baseline_W = first_cpo_.value();
    m.lvedp_baseline_mmHg = first_lvedp_.value();
    m.ef_baseline_pct = first_ef_.value();
  }
  if (!std::isnan(ischaemia_since_s_)) m.ischaemia_s += std::max(end_s - ischaemia_since_s_, 0.0);
  m.cpo_max_fall_W = m.cpo_baseline_W - m.cpo_min_W;
  m.pva_mean_ischaemia_mmHg_mL = pva_.value();
  m.coronary_flow_nonoccluded_mL_min = nonoccluded_.value();
  return m;
}

}  // namespace unload::sim
