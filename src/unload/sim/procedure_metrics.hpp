// Key numbers of a procedure: what a heart team reads off a run of a high-risk PCI (the lowest
// arterial pressure, the highest filling pressure, the worst beat's ejection fraction, how long
// the heart took to recover from the last balloon inflation). Computed from the beats and the
// timeline's coronary inflow events as the run goes (ProcedureRecorder is a SimulationObserver),
// in constant memory whatever the run's length.
//
// Definitions (a territory is "reduced" while its inflow conductance is below its artery's
// lasting level (a balloon in it: 1, or what a stenosis leaves; a stenosis itself is the
// patient's, not an inflation) or its microvascular conductance (a no-reflow) is below 1; a beat is
// "ischaemic" when some territory is reduced at some moment of it; an "inflation" begins when some
// territory becomes reduced while none was, and the "deflation" is when none is reduced again):
//   baseline       mean of the beats that start at or after max(0, t_inflation - 30 s) and end by
//                  t_inflation, the first inflation; with no inflation, the beats of the first
//                  30 s of the run. MAP, CPO, LVEDP, EF baselines are these means.
//   the procedure  the beats that start at or after the baseline window's start (max(0,
//                  t_inflation - 30 s)); with no inflation, every beat of the run. A device
//                  started at t = 0 has 30 s less than the first inflation's time to settle
//                  before it (the scenarios give it 90 s or more).
//   monitor MAP, CPO   duration-weighted mean of the last kRecoveryBeats beats' MAP or CPO (as
//                  a clinical monitor averages over seconds; whole cycles of a balloon pump at
//                  1:2 and 1:3, whose assisted and unassisted beats alternate), from the run's
//                  kRecoveryBeats-th beat on (the window's first means hold beats before it); a
//                  run of fewer beats reads the mean of them all.
//   map_min        lowest monitor MAP over the procedure (and the start of the last beat of
//                  that mean); likewise cpo_min (monitor CPO), ef_min (lowest beat EF),
//                  lvedp_max (highest beat LVEDP).
//   minutes_map_below_65   sum of the durations of the procedure's beats whose monitor MAP is
//                  under 65 mmHg, in min.
//   cpo_max_fall   cpo_baseline - cpo_min.
//   pva_mean_ischaemia     mean pressure-volume area of the ischaemic beats.
//   coronary_flow_nonoccluded   mean, over the ischaemic beats, of the summed flow of the
//                  territories whose inflow is not reduced (what collaterals and the other
//                  vessels receive while one is occluded).
//   recovery_s     from the last deflation to the start of the first beat from which MAP and CPO
//                  stay above 95% of baseline (within 5% of it, or higher: more support after the
//                  PCI is recovered too) for at least 10 s; NaN when they do not by the run's end.
//   collapse_time_s   when the simulated circulation collapsed: the start of the first run of
//                  whole kCollapseWindow_s windows (in absolute time, from 0) whose mean aortic
//                  root pressure over the run's samples is under kCollapseMap_mmHg, once that run
//                  lasts more than kCollapseDuration_s (the window still open at the run's end
//                  counts as far as it goes); NaN: no collapse. Read from the samples, not the
//                  beats: an arrested heart makes no beat.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "unload/physio/parameters.hpp"
#include "unload/sim/beat_metrics.hpp"
#include "unload/sim/events.hpp"
#include "unload/sim/session.hpp"

namespace unload::sim {

inline constexpr double kBaselineWindow_s = 30.0;
inline constexpr double kRecoveryBand = 0.05;       // no more than 5% below baseline
inline constexpr double kRecoverySustain_s = 10.0;  // ... for at least this long
// MAP and CPO are judged on their mean over the last beats (weighted by duration), this many:
// whole cycles of a balloon pump at 1:1, 1:2 and 1:3, whose unassisted beats alone would never be
// back within the band (a clinical monitor's MAP is likewise a mean over several seconds).
inline constexpr std::size_t kRecoveryBeats = 6;
inline constexpr double kMapThreshold_mmHg = 65.0;
// Collapse: mean aortic root pressure under 40 mmHg for more than 60 s, judged on 5-s windows.
inline constexpr double kCollapseMap_mmHg = 40.0;
inline constexpr double kCollapseDuration_s = 60.0;
inline constexpr double kCollapseWindow_s = 5.0;

struct ProcedureMetrics {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  int beats = 0;
  int baseline_beats = 0;
  double map_baseline_mmHg = nan, cpo_baseline_W = nan, lvedp_baseline_mmHg = nan,
         ef_baseline_pct = nan;
  double map_min_mmHg = nan, map_min_time_s = nan;
  double minutes_map_below_65 = 0;
  double cpo_min_W = nan, cpo_max_fall_W = nan;
  double lvedp_max_mmHg = nan, lvedp_max_time_s = nan;
  double ef_min_pct = nan, ef_min_time_s = nan;
  int inflations = 0;      // times some territory became reduced while none was
  double ischaemia_s = 0;  // time with some territory reduced (to the run's end)
  int ischaemic_beats = 0;
  double pva_mean_ischaemia_mmHg_mL = nan;
  double coronary_flow_nonoccluded_mL_min = nan;
  double first_inflation_s = nan, last_deflation_s = nan;
  double recovery_s = nan;
  double collapse_time_s = nan;
};

// The fractional flow reserve read during an intravenous adenosine infusion: each territory's
// Pd/Pa (BeatMetrics::pd_pa, the pressure wire beyond its lesion; 1 without one), the mean of the
// beats that start at least kFfrHyperaemia_s after the infusion began (when hyperaemia is steady:
// with the shipped tau of 20 s the effect site is at 95% of the rate by then, data/drugs.toml),
// end by the time the infusion stopped, changed rate, or the run ended, and during which no
// territory was reduced (a balloon, a no-reflow). A coronary event during the infusion (a balloon,
// a stent, a stenosis, a no-reflow) ends the reading there and starts another from kFfrSettle_s
// after it: a reading before the stent and one after it. A reading that no beat made is left out,
// unless the infusion made none at all (then one, with `beats` 0: too short to read).
inline constexpr double kFfrHyperaemia_s = 60.0;
inline constexpr double kFfrSettle_s = 10.0;
struct FfrReading {
  double start_s = 0, end_s = 0;  // this reading's part of the infusion
  double from_s = 0;              // beats starting from here are read
  double dose_mcg_kg_min = 0;
  int beats = 0;  // beats averaged; 0: no beat to read (pd_pa NaN)
  std::array<double, physio::territory_count> pd_pa{ProcedureMetrics::nan, ProcedureMetrics::nan,
                                                    ProcedureMetrics::nan};
};

// One number of ProcedureMetrics: its key (summary.json, scenario regression tests), unit and
// definition. The one list that writers and tests read.
struct ProcedureField {
  std::string_view name, unit, description;
  double (*get)(const ProcedureMetrics&);
};
std::span<const ProcedureField> procedure_fields();

class ProcedureRecorder final : public SimulationObserver {
 public:
  void on_sample(const physio::Observables& sample) override;
  void on_beat(const BeatMetrics& beat) override;
  void on_event(const Event& event) override;
  // What the run starts with, from a saved state: each artery's inflow as its lasting level (a
  // stenosis the state has is the patient's) and an adenosine infusion running. A steady start's
  // lasting inputs come as events at time 0 instead.
  void start_from(const physio::PlantInputs& inputs, double t_s);
  // The metrics so far; `end_s`, the run's end, closes the time under ischaemia.
  ProcedureMetrics result(double end_s) const;
  // The FFR readings of the adenosine infusions so far, in time order; one still running closes
  // at `end_s`.
  std::vector<FfrReading> ffr_readings(double end_s) const;

 private:
  struct Mean {
    double sum = 0;
    int n = 0;
    void add(double x) { sum += x, ++n; }
    double value() const { return n > 0 ? sum / n : ProcedureMetrics::nan; }
  };
  // Below the artery's lasting level (a balloon in it), or a no-reflow.
  bool reduced(std::size_t k) const { return inflow_[k] < lasting_[k] || microvascular_[k] < 1.0; }
  bool ischaemic() const;
  void close_baseline(double inflation_s);

  ProcedureMetrics m_;
  // Each territory's inflow (balloon) and microvascular (no-reflow) fractions.
  std::array<double, physio::territory_count> inflow_{1.0, 1.0, 1.0}, microvascular_{1.0, 1.0, 1.0};
  // Each artery's own inflow level: 1, or its stenosis (kCoronaryLasting events).
  std::array<double, physio::territory_count> lasting_{1.0, 1.0, 1.0};
  // Beats that may still make the baseline and the procedure's extremes: the last
  // kBaselineWindow_s before the first inflation (a ring), and, before any inflation, the first
  // kBaselineWindow_s of the run. Each as the baseline and the extremes read it: its own MAP, CPO,
  // LVEDP and EF, and the monitor's MAP and CPO at its end (RecentMeans over the last
  // kRecoveryBeats beats; NaN until there are that many).
  struct WindowBeat {
    double start_s, end_s, map, cpo, lvedp, ef, monitor_map, monitor_cpo;
  };
  static constexpr std::size_t kRing = 1024;  // > 30 s at the fastest heart rate
  std::array<WindowBeat, kRing> ring_{};
  std::size_t ring_count_ = 0, ring_next_ = 0;
  bool baseline_closed_ = false;
  Mean first_map_, first_cpo_, first_lvedp_, first_ef_;  // beats ending by kBaselineWindow_s
  Mean pva_, nonoccluded_;
  // Territories whose inflow was below 1 at some moment of the beat now running.
  std::array<bool, physio::territory_count> reduced_this_beat_{};
  double ischaemia_since_s_ = ProcedureMetrics::nan;
  // Recovery after the last deflation: start of the current run of in-band beats (NaN: none), and
  // the last kRecoveryBeats beats since the deflation (a ring of their duration, MAP and CPO).
  double in_band_since_s_ = ProcedureMetrics::nan;
  // Duration-weighted sums of MAP and CPO over the last kRecoveryBeats beats added.
  struct RecentMeans {
    struct Beat {
      double duration_s, map, cpo;
    };
    std::array<Beat, kRecoveryBeats> beats{};
    std::size_t count = 0, next = 0;
    double span_s = 0, map_sum = 0, cpo_sum = 0;
    void add(const BeatMetrics& b);
    double map() const { return span_s > 0 ? map_sum / span_s : ProcedureMetrics::nan; }
    double cpo() const { return span_s > 0 ? cpo_sum / span_s : ProcedureMetrics::nan; }
  };
  RecentMeans recent_;   // since the last deflation (recovery)
  RecentMeans monitor_;  // over every beat: the monitor's MAP and CPO
  // The extremes from the baseline window's start (before the first inflation: from the run's
  // start; the first inflation restarts them from the window's beats in the ring).
  struct Extremes {
    double map_min = ProcedureMetrics::nan, map_min_s = ProcedureMetrics::nan;
    double cpo_min = ProcedureMetrics::nan;
    double lvedp_max = ProcedureMetrics::nan, lvedp_max_s = ProcedureMetrics::nan;
    double ef_min = ProcedureMetrics::nan, ef_min_s = ProcedureMetrics::nan;
    double minutes_below_65 = 0;
    void add(const WindowBeat& b);
  };
  Extremes extremes_;
  // The collapse test on the samples: the window now open (its index, sum and count of aortic
  // root pressures), the start of the run of low windows (NaN: none) and the collapse's time.
  struct CollapseTest {
    long window = -1;
    double sum = 0;
    long n = 0;
    double low_since_s = ProcedureMetrics::nan, collapse_s = ProcedureMetrics::nan;
    void add(double t_s, double aortic_root_mmHg);
    void close();
  };
  CollapseTest collapse_;
  double last_beat_end_s_ = 0, last_beat_start_s_ = 0;
  // Adenosine infusions: the closed readings; the running one (its sums of Pd/Pa), the start of
  // its infusion, and whether the infusion has given a reading yet.
  std::vector<FfrReading> ffr_;
  bool adenosine_running_ = false, infusion_read_ = false;
  double infusion_start_s_ = 0;
  FfrReading running_ffr_;
  std::array<double, physio::territory_count> ffr_sums_{};
  // The running reading closed at `end_s`; kept if a beat made it, or if it ends the infusion
  // (`last`) without any reading.
  void close_ffr(double end_s, bool last, std::vector<FfrReading>& into) const;
  void open_ffr(double t_s, double from_s);
};

}  // namespace unload::sim
