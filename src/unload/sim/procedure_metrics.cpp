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
    UNLOAD_PROCEDURE("map_min_mmHg", "mmHg",
                     "lowest MAP of the procedure as a monitor shows it (mean of the last 6 "
                     "beats), from the baseline's start (the whole run without an inflation)",
                     map_min_mmHg),
    UNLOAD_PROCEDURE("map_min_time_s", "s", "start of the last beat of the lowest MAP's mean",
                     map_min_time_s),
    UNLOAD_PROCEDURE("minutes_map_below_65", "min",
                     "time in beats whose monitor MAP (mean of the last 6 beats) is under 65 mmHg, "
                     "from the baseline's start",
                     minutes_map_below_65),
    UNLOAD_PROCEDURE("cpo_min_W", "W",
                     "lowest cardiac power output of the procedure (mean of the last 6 beats), "
                     "from the baseline's start",
                     cpo_min_W),
    UNLOAD_PROCEDURE("cpo_max_fall_W", "W", "baseline CPO minus the lowest CPO", cpo_max_fall_W),
    UNLOAD_PROCEDURE("lvedp_max_mmHg", "mmHg",
                     "highest beat LV end-diastolic pressure, from the baseline's start",
                     lvedp_max_mmHg),
    UNLOAD_PROCEDURE("lvedp_max_time_s", "s", "start of the beat with the highest LVEDP",
                     lvedp_max_time_s),
    UNLOAD_PROCEDURE("ef_min_pct", "%",
                     "ejection fraction of the worst beat, from the baseline's start", ef_min_pct),
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
    UNLOAD_PROCEDURE("collapse_time_s", "s",
                     "when the simulated circulation collapsed: start of mean aortic root "
                     "pressure under 40 mmHg (5-s windows) for more than 60 s (null: it did not)",
                     collapse_time_s),
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

void ProcedureRecorder::RecentMeans::add(const BeatMetrics& b) {
  beats[next] = {b.duration_s, b.map_mmHg, b.cpo_W};
  next = (next + 1) % kRecoveryBeats;
  count = std::min(count + 1, kRecoveryBeats);
  span_s = map_sum = cpo_sum = 0;
  for (std::size_t i = 0; i < count; ++i) {
    span_s += beats[i].duration_s;
    map_sum += beats[i].duration_s * beats[i].map;
    cpo_sum += beats[i].duration_s * beats[i].cpo;
  }
}

void ProcedureRecorder::Extremes::add(const WindowBeat& b) {
  if (std::isnan(lvedp_max) || b.lvedp > lvedp_max) lvedp_max = b.lvedp, lvedp_max_s = b.start_s;
  if (std::isnan(ef_min) || b.ef < ef_min) ef_min = b.ef, ef_min_s = b.start_s;
  // MAP and CPO once the monitor has its kRecoveryBeats beats (NaN before: a mean of fewer would
  // read a balloon pump's unassisted first beat alone).
  if (std::isnan(b.monitor_map)) return;
  if (std::isnan(map_min) || b.monitor_map < map_min) {
    map_min = b.monitor_map, map_min_s = b.start_s;
  }
  cpo_min = nan_min(cpo_min, b.monitor_cpo);
  if (b.monitor_map < kMapThreshold_mmHg) minutes_below_65 += (b.end_s - b.start_s) / 60.0;
}

void ProcedureRecorder::close_baseline(double inflation_s) {
  baseline_closed_ = true;
  Mean map, cpo, lvedp, ef;
  // The procedure's extremes start with its baseline: the beats of the ring from the window's
  // start, in time order (the ring holds them oldest first from ring_next_ once it is full).
  extremes_ = Extremes{};
  const double from_s = std::max(0.0, inflation_s - kBaselineWindow_s);
  const std::size_t oldest = ring_count_ < kRing ? 0 : ring_next_;
  for (std::size_t j = 0; j < ring_count_; ++j) {
    const WindowBeat& b = ring_[(oldest + j) % kRing];
    if (b.start_s >= from_s) extremes_.add(b);
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

void ProcedureRecorder::CollapseTest::add(double t_s, double aortic_root_mmHg) {
  const long w = static_cast<long>(std::floor(t_s / kCollapseWindow_s));
  if (w != window) close(), window = w;
  sum += aortic_root_mmHg, ++n;
}

void ProcedureRecorder::CollapseTest::close() {
  if (n == 0) return;
  const double mean = sum / static_cast<double>(n);
  sum = 0, n = 0;
  const double start = static_cast<double>(window) * kCollapseWindow_s;
  const double end = start + kCollapseWindow_s;
  if (mean >= kCollapseMap_mmHg) {
    low_since_s = ProcedureMetrics::nan;
    return;
  }
  if (std::isnan(low_since_s)) low_since_s = start;
  if (std::isnan(collapse_s) && end - low_since_s > kCollapseDuration_s) collapse_s = low_since_s;
}

void ProcedureRecorder::on_sample(const physio::Observables& o) {
  collapse_.add(o.t_s, o.aortic_root_mmHg);
}

void ProcedureRecorder::on_beat(const BeatMetrics& b) {
  const double end_s = b.start_s + b.duration_s;
  last_beat_end_s_ = end_s;
  last_beat_start_s_ = b.start_s;
  ++m_.beats;
  // The monitor's MAP and CPO: duration-weighted means of the last kRecoveryBeats beats (whole
  // cycles of a balloon pump at 1:2 and 1:3, whose beats alternate).
  monitor_.add(b);
  const bool full = monitor_.count == kRecoveryBeats;
  const WindowBeat beat{b.start_s,
                        end_s,
                        b.map_mmHg,
                        b.cpo_W,
                        b.lvedp_mmHg,
                        b.ef_pct,
                        full ? monitor_.map() : ProcedureMetrics::nan,
                        full ? monitor_.cpo() : ProcedureMetrics::nan};
  if (!baseline_closed_) {
    ring_[ring_next_] = beat;
    ring_next_ = (ring_next_ + 1) % kRing;
    ring_count_ = std::min(ring_count_ + 1, kRing);
    if (end_s <= kBaselineWindow_s) {
      first_map_.add(b.map_mmHg), first_cpo_.add(b.cpo_W);
      first_lvedp_.add(b.lvedp_mmHg), first_ef_.add(b.ef_pct);
    }
  }
  extremes_.add(beat);

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
    recent_.add(b);
    const bool in_band =
        recent_.span_s > 0 &&
        recent_.map_sum >= (1.0 - kRecoveryBand) * m_.map_baseline_mmHg * recent_.span_s &&
        recent_.cpo_sum >= (1.0 - kRecoveryBand) * m_.cpo_baseline_W * recent_.span_s;
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
    recent_ = RecentMeans{};
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
  m.map_min_mmHg = extremes_.map_min, m.map_min_time_s = extremes_.map_min_s;
  m.minutes_map_below_65 = extremes_.minutes_below_65;
  m.cpo_min_W = extremes_.cpo_min;
  // A run of fewer beats than the monitor's mean: the mean of them all.
  if (std::isnan(m.map_min_mmHg) && monitor_.count > 0) {
    m.map_min_mmHg = monitor_.map(), m.map_min_time_s = last_beat_start_s_;
    m.cpo_min_W = monitor_.cpo();
    if (m.map_min_mmHg < kMapThreshold_mmHg) m.minutes_map_below_65 = monitor_.span_s / 60.0;
  }
  m.lvedp_max_mmHg = extremes_.lvedp_max, m.lvedp_max_time_s = extremes_.lvedp_max_s;
  m.ef_min_pct = extremes_.ef_min, m.ef_min_time_s = extremes_.ef_min_s;
  m.cpo_max_fall_W = m.cpo_baseline_W - m.cpo_min_W;
  m.pva_mean_ischaemia_mmHg_mL = pva_.value();
  m.coronary_flow_nonoccluded_mL_min = nonoccluded_.value();
  CollapseTest collapse = collapse_;  // the window still open counts as far as it goes
  collapse.close();
  m.collapse_time_s = collapse.collapse_s;
  return m;
}

}  // namespace unload::sim
