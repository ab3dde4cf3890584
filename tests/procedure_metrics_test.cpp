// ProcedureRecorder (sim/procedure_metrics.hpp) on made-up beats and events, where every key
// number is known by hand: the baseline window, the lowest and highest beats, the time under
// 65 mmHg, the ischaemic beats and the recovery after the last deflation.
#include "unload/sim/procedure_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace unload::sim {
namespace {

// Beats of 1 s from `from` to `to` with the given MAP and CPO (EF 30, LVEDP 15, PVA 5000,
// coronary flows 100/60/80 mL/min).
void beats(ProcedureRecorder& r, int from, int to, double map, double cpo, double lvedp = 15,
           double ef = 30) {
  for (int t = from; t < to; ++t) {
    BeatMetrics b;
    b.start_s = t;
    b.duration_s = 1.0;
    b.map_mmHg = map;
    b.cpo_W = cpo;
    b.lvedp_mmHg = lvedp;
    b.ef_pct = ef;
    b.pva_mmHg_mL = 5000;
    b.coronary_territory_mL_min = {100, 60, 80};
    r.on_beat(b);
  }
}

Event inflow(double t, std::uint32_t territory, double value) {
  Event e;
  e.time_s = t;
  e.kind = EventKind::coronary_inflow;
  e.device = territory;
  e.value = value;
  return e;
}
// Beats of 1 s from `from` to `to` whose LAD pressure wire reads `lad` (the others 1).
void wire(ProcedureRecorder& r, int from, int to, double lad) {
  for (int t = from; t < to; ++t) {
    BeatMetrics b;
    b.start_s = t;
    b.duration_s = 1.0;
    b.pd_pa = {lad, 1.0, 1.0};
    r.on_beat(b);
  }
}

Event adenosine(double t, double dose) {
  Event e;
  e.time_s = t;
  e.kind = EventKind::drug_dose;
  e.device = physio::adenosine_index;
  e.value = dose;
  return e;
}

// A stenosis (or, at 1, a stent): the artery's lasting level.
Event lasting(double t, std::uint32_t territory, double value) {
  Event e = inflow(t, territory, value);
  e.setting = kCoronaryLasting;
  return e;
}

TEST(ProcedureMetrics, BaselineIsTheThirtySecondsBeforeTheFirstInflation) {
  ProcedureRecorder r;
  // The first 40 s (a device's start-up): neither the baseline nor the procedure's extremes.
  beats(r, 0, 40, 50, 0.3, 40, 5);
  beats(r, 40, 100, 90, 1.0);
  r.on_event(inflow(100, 0, 0.0));
  beats(r, 100, 160, 60, 0.5, 30, 10);
  r.on_event(inflow(160, 0, 1.0));
  beats(r, 160, 170, 80, 0.8);
  beats(r, 170, 200, 89, 0.99);
  const ProcedureMetrics m = r.result(200);
  EXPECT_EQ(m.baseline_beats, 30);
  EXPECT_DOUBLE_EQ(m.map_baseline_mmHg, 90);
  EXPECT_DOUBLE_EQ(m.cpo_baseline_W, 1.0);
  // The monitor's MAP (mean of the last 6 beats) reaches 60 with the sixth beat at 60 mmHg.
  EXPECT_DOUBLE_EQ(m.map_min_mmHg, 60);
  EXPECT_DOUBLE_EQ(m.map_min_time_s, 105);
  EXPECT_DOUBLE_EQ(m.lvedp_max_mmHg, 30);
  EXPECT_DOUBLE_EQ(m.lvedp_max_time_s, 100);
  EXPECT_DOUBLE_EQ(m.ef_min_pct, 10);
  EXPECT_DOUBLE_EQ(m.cpo_max_fall_W, 0.5);
  // The monitor's MAP is under 65 from the sixth beat at 60 (five give (5 x 60 + 90) / 6 = 65)
  // to the first beat at 80 ((5 x 60 + 80) / 6 = 63.3): 56 beats.
  EXPECT_NEAR(m.minutes_map_below_65, 56.0 / 60.0, 1e-12);
  EXPECT_EQ(m.inflations, 1);
  EXPECT_DOUBLE_EQ(m.ischaemia_s, 60);
  EXPECT_EQ(m.ischaemic_beats, 60);
  // While the LAD is occluded, the LCx and RCA receive 60 + 80 mL/min.
  EXPECT_DOUBLE_EQ(m.coronary_flow_nonoccluded_mL_min, 140);
  EXPECT_DOUBLE_EQ(m.pva_mean_ischaemia_mmHg_mL, 5000);
  // MAP 80 is more than 5% below 90; from 170 s on the beats' MAP (89) and CPO (0.99) are within
  // 5%, and the means of the last six beats from the beat at 174 s (MAP (80 + 5 x 89) / 6 = 87.5,
  // CPO (0.8 + 5 x 0.99) / 6 = 0.958; at 173 s the CPO's mean is 0.927).
  EXPECT_DOUBLE_EQ(m.last_deflation_s, 160);
  EXPECT_DOUBLE_EQ(m.recovery_s, 14);
}

// Without an inflation the procedure is the whole run, start-up included.
TEST(ProcedureMetrics, WithoutAnInflationTheExtremesAreTheWholeRuns) {
  ProcedureRecorder r;
  beats(r, 0, 10, 50, 0.3, 40, 5);
  beats(r, 10, 60, 90, 1.0);
  const ProcedureMetrics m = r.result(60);
  EXPECT_DOUBLE_EQ(m.map_min_mmHg, 50);
  EXPECT_DOUBLE_EQ(m.map_min_time_s, 5);  // the sixth beat: the monitor's first mean
  EXPECT_DOUBLE_EQ(m.cpo_min_W, 0.3);
  EXPECT_DOUBLE_EQ(m.lvedp_max_mmHg, 40);
  EXPECT_DOUBLE_EQ(m.ef_min_pct, 5);
}

// A balloon pump at 1:2 alternates an assisted beat and an unassisted one: the lowest MAP and CPO
// are those a monitor shows, whole cycles' means, not the unassisted beat's.
TEST(ProcedureMetrics, AlternatingBeatsAreReadAsTheirCyclesMean) {
  ProcedureRecorder r;
  for (int t = 0; t < 60; ++t) beats(r, t, t + 1, t % 2 == 0 ? 100 : 60, t % 2 == 0 ? 1.4 : 0.6);
  const ProcedureMetrics m = r.result(60);
  EXPECT_DOUBLE_EQ(m.map_min_mmHg, 80);
  EXPECT_DOUBLE_EQ(m.cpo_min_W, 1.0);
  EXPECT_EQ(m.minutes_map_below_65, 0.0);  // every unassisted beat is under 65 mmHg
  // The other phase: the run's first beat unassisted. The monitor reads from its sixth beat, so
  // the first beat is not read alone.
  ProcedureRecorder other;
  for (int t = 0; t < 60; ++t)
    beats(other, t, t + 1, t % 2 == 1 ? 100 : 60, t % 2 == 1 ? 1.4 : 0.6);
  const ProcedureMetrics o = other.result(60);
  EXPECT_DOUBLE_EQ(o.map_min_mmHg, 80);
  EXPECT_DOUBLE_EQ(o.cpo_min_W, 1.0);
  EXPECT_EQ(o.minutes_map_below_65, 0.0);
  // A run of fewer beats than the monitor's mean reads the mean of them all.
  ProcedureRecorder shorter;
  beats(shorter, 0, 3, 60, 0.6);
  beats(shorter, 3, 4, 100, 1.4);
  const ProcedureMetrics s = shorter.result(4);
  EXPECT_DOUBLE_EQ(s.map_min_mmHg, 70);
  EXPECT_DOUBLE_EQ(s.cpo_min_W, 0.8);
}

TEST(ProcedureMetrics, RecoveryMustLastTenSecondsAndIsNullWhenItDoesNotCome) {
  ProcedureRecorder r;
  beats(r, 0, 30, 90, 1.0);
  r.on_event(inflow(30, 2, 0.2));
  beats(r, 30, 60, 60, 0.5);
  r.on_event(inflow(60, 2, 1.0));
  beats(r, 60, 65, 90, 1.0);  // back for 5 s only
  beats(r, 65, 70, 60, 0.6);  // the six beats' mean falls out of the band at once
  beats(r, 70, 75, 90, 1.0);  // back again, but the run ends before the mean is
  const ProcedureMetrics m = r.result(75);
  EXPECT_TRUE(std::isnan(m.recovery_s));
  ProcedureRecorder longer = r;
  beats(longer, 75, 90, 90, 1.0);
  // From the beat at 75 s the last six beats are all back (at 74 s the mean MAP is 85 < 85.5).
  EXPECT_DOUBLE_EQ(longer.result(90).recovery_s, 15);
}

TEST(ProcedureMetrics, AboveBaselineAfterTheDeflationIsRecovered) {
  ProcedureRecorder r;
  beats(r, 0, 30, 80, 0.8);
  r.on_event(inflow(30, 0, 0.0));
  beats(r, 30, 60, 60, 0.5);
  r.on_event(inflow(60, 0, 1.0));
  beats(r, 60, 63, 70, 0.6);  // 12.5% below: not yet
  beats(r, 63, 80, 95, 1.1);  // more support than at baseline
  // The means of the beats since the deflation: at 63 s CPO (3 x 0.6 + 1.1) / 4 = 0.725 is still
  // below 0.76; at 64 s MAP 80 and CPO 0.8.
  EXPECT_DOUBLE_EQ(r.result(80).recovery_s, 4);
}

TEST(ProcedureMetrics, LeftMainIsOneInflationAndANewInflationRestartsTheRecovery) {
  ProcedureRecorder r;
  beats(r, 0, 30, 90, 1.0);
  r.on_event(inflow(30, 0, 0.0));  // LM: LAD and LCx at the same instant
  r.on_event(inflow(30, 1, 0.0));
  beats(r, 30, 60, 60, 0.5);
  r.on_event(inflow(60, 0, 1.0));
  EXPECT_TRUE(std::isnan(r.result(60).last_deflation_s)) << "the LCx is still occluded";
  r.on_event(inflow(60, 1, 1.0));
  beats(r, 60, 80, 90, 1.0);
  EXPECT_DOUBLE_EQ(r.result(80).recovery_s, 0);
  r.on_event(inflow(80, 2, 0.0));
  beats(r, 80, 100, 60, 0.5);
  const ProcedureMetrics during = r.result(100);
  EXPECT_EQ(during.inflations, 2);
  EXPECT_TRUE(std::isnan(during.recovery_s)) << "a new inflation: no recovery yet";
  EXPECT_DOUBLE_EQ(during.ischaemia_s, 50);  // 30 s, and 20 s still running at the end
  // While LAD and LCx are occluded only the RCA is open (80); then only the RCA is occluded.
  EXPECT_DOUBLE_EQ(during.coronary_flow_nonoccluded_mL_min, (30 * 80.0 + 20 * 160.0) / 50);
}

// A balloon pump at 1:2 alternates assisted and unassisted beats: neither kind alone is the
// circulation's pressure, and the unassisted beats alone would never be back within the band.
TEST(ProcedureMetrics, RecoveryReadsWholeCyclesOfAnAlternatingRhythm) {
  ProcedureRecorder r;
  for (int k = 0; k < 30; ++k) beats(r, k, k + 1, k % 2 ? 100 : 80, k % 2 ? 1.1 : 0.9);
  r.on_event(inflow(30, 0, 0.0));
  beats(r, 30, 60, 60, 0.5);
  r.on_event(inflow(60, 0, 1.0));
  for (int k = 60; k < 90; ++k) beats(r, k, k + 1, k % 2 ? 98 : 78, k % 2 ? 1.08 : 0.88);
  const ProcedureMetrics m = r.result(90);
  EXPECT_DOUBLE_EQ(m.map_baseline_mmHg, 90);
  // Every unassisted beat (78 mmHg) is 13% below the baseline; the six beats' mean (88) is 2%.
  // (While fewer than six beats have come since the deflation an odd count leans on the
  // unassisted beats: at 62 s the three beats' mean is 84.7; from 63 s on it stays in the band.)
  EXPECT_DOUBLE_EQ(m.recovery_s, 3);
}

TEST(ProcedureMetrics, WithoutInflationTheBaselineIsTheFirstThirtySeconds) {
  ProcedureRecorder r;
  beats(r, 0, 30, 80, 0.9);
  beats(r, 30, 3000, 70, 0.8);
  const ProcedureMetrics m = r.result(3000);
  EXPECT_EQ(m.baseline_beats, 30);
  EXPECT_DOUBLE_EQ(m.map_baseline_mmHg, 80);
  EXPECT_EQ(m.inflations, 0);
  EXPECT_TRUE(std::isnan(m.recovery_s));
  EXPECT_TRUE(std::isnan(m.pva_mean_ischaemia_mmHg_mL));
}

// A stenosis is the patient's, not an inflation: the baseline is taken before the first balloon,
// a balloon in the stenosed artery is ischaemia until it deflates back to the stenosis, and a
// stent (lasting level 1) treats it.
TEST(ProcedureMetrics, AStenosisIsNotAnInflationButABalloonInItIs) {
  ProcedureRecorder r;
  r.on_event(lasting(0, 0, 0.65));  // the patient's LAD lesion
  beats(r, 0, 60, 90, 1.0);
  EXPECT_EQ(r.result(60).inflations, 0);
  r.on_event(inflow(60, 0, 0.0));  // predilatation
  beats(r, 60, 80, 70, 0.7);
  r.on_event(inflow(80, 0, 0.65));  // deflated: back to the stenosis
  beats(r, 80, 100, 90, 1.0);
  ProcedureMetrics m = r.result(100);
  EXPECT_EQ(m.inflations, 1);
  EXPECT_DOUBLE_EQ(m.first_inflation_s, 60);
  EXPECT_EQ(m.baseline_beats, 30);
  EXPECT_DOUBLE_EQ(m.ischaemia_s, 20);
  EXPECT_EQ(m.ischaemic_beats, 20);
  EXPECT_DOUBLE_EQ(m.last_deflation_s, 80);
  EXPECT_DOUBLE_EQ(m.recovery_s, 0);
  // The stent deployment, then the stent: open for good; a later balloon is again an inflation.
  r.on_event(inflow(100, 0, 0.0));
  beats(r, 100, 130, 70, 0.7);
  r.on_event(inflow(130, 0, 1.0));
  r.on_event(lasting(130, 0, 1.0));
  beats(r, 130, 150, 90, 1.0);
  m = r.result(150);
  EXPECT_EQ(m.inflations, 2);
  EXPECT_DOUBLE_EQ(m.ischaemia_s, 50);
  EXPECT_DOUBLE_EQ(m.last_deflation_s, 130);
  r.on_event(inflow(150, 0, 0.65));  // a partial inflation in the stented artery
  beats(r, 150, 160, 80, 0.9);
  EXPECT_EQ(r.result(160).inflations, 3);
  // A stenosis placed during the run narrows without an inflation either.
  ProcedureRecorder later;
  beats(later, 0, 40, 90, 1.0);
  later.on_event(lasting(40, 2, 0.5));
  beats(later, 40, 80, 88, 1.0);
  EXPECT_EQ(later.result(80).inflations, 0);
  EXPECT_EQ(later.result(80).ischaemic_beats, 0);
}

// Each adenosine infusion is one FFR reading: the mean Pd/Pa of the beats that start 60 s or more
// into it and end by its stop; a shorter one has no reading; a change of rate starts a new one;
// one still running at the end is read to there; other drugs are not read.
TEST(ProcedureMetrics, EachAdenosineInfusionIsOneFfrReading) {
  ProcedureRecorder r;
  wire(r, 0, 10, 0.9);
  r.on_event(adenosine(10, 140));
  wire(r, 10, 70, 0.75);  // settling: not read
  wire(r, 70, 80, 0.70);
  wire(r, 80, 90, 0.72);
  r.on_event(adenosine(90, 0));
  Event ne = adenosine(95, 0.1);
  ne.device = 0;  // norepinephrine
  r.on_event(ne);
  wire(r, 90, 100, 0.9);
  r.on_event(adenosine(100, 140));
  wire(r, 100, 130, 0.8);
  r.on_event(adenosine(130, 0));  // 30 s: too short
  r.on_event(adenosine(200, 140));
  wire(r, 200, 265, 0.8);
  r.on_event(adenosine(265, 180));  // a higher rate: a new reading from here
  wire(r, 265, 330, 0.78);
  const auto readings = r.ffr_readings(330);
  ASSERT_EQ(readings.size(), 4u);
  EXPECT_DOUBLE_EQ(readings[0].start_s, 10);
  EXPECT_DOUBLE_EQ(readings[0].end_s, 90);
  EXPECT_DOUBLE_EQ(readings[0].dose_mcg_kg_min, 140);
  EXPECT_EQ(readings[0].beats, 20);
  EXPECT_NEAR(readings[0].pd_pa[0], 0.71, 1e-12);
  EXPECT_DOUBLE_EQ(readings[0].pd_pa[1], 1.0);
  EXPECT_EQ(readings[1].beats, 0);
  EXPECT_TRUE(std::isnan(readings[1].pd_pa[0]));
  EXPECT_EQ(readings[2].beats, 5);  // 260-264
  EXPECT_DOUBLE_EQ(readings[2].end_s, 265);
  EXPECT_DOUBLE_EQ(readings[3].dose_mcg_kg_min, 180);
  EXPECT_DOUBLE_EQ(readings[3].end_s, 330);  // still running
  EXPECT_EQ(readings[3].beats, 5);           // 325-329
  EXPECT_NEAR(readings[3].pd_pa[0], 0.78, 1e-12);
  // The same rate again is no new infusion.
  r.on_event(adenosine(330, 180));
  EXPECT_EQ(r.ffr_readings(340).size(), 4u);
}

// A balloon, a stent, a stenosis or a no-reflow during adenosine ends the reading there: one
// before the stent and one after it, the balloon's beats in none; each reading after a coronary
// change starts 10 s after it.
TEST(ProcedureMetrics, AnFfrReadingEndsAtACoronaryChange) {
  ProcedureRecorder r;
  r.on_event(lasting(0, 0, 0.7));
  r.on_event(adenosine(10, 140));
  wire(r, 0, 100, 0.75);
  r.on_event(inflow(100, 0, 0.0));  // the stent's balloon
  wire(r, 100, 130, 0.2);
  r.on_event(inflow(130, 0, 0.7));  // deflated onto the lesion
  wire(r, 130, 160, 0.76);
  r.on_event(lasting(160, 0, 1.0));  // the stent
  wire(r, 160, 200, 1.0);
  r.on_event(adenosine(200, 0));
  const auto readings = r.ffr_readings(200);
  ASSERT_EQ(readings.size(), 3u);
  EXPECT_DOUBLE_EQ(readings[0].end_s, 100);
  EXPECT_DOUBLE_EQ(readings[0].from_s, 70);
  EXPECT_EQ(readings[0].beats, 30);
  EXPECT_DOUBLE_EQ(readings[0].pd_pa[0], 0.75);
  EXPECT_DOUBLE_EQ(readings[1].start_s, 130);
  EXPECT_DOUBLE_EQ(readings[1].from_s, 140);
  EXPECT_EQ(readings[1].beats, 20);
  EXPECT_DOUBLE_EQ(readings[1].pd_pa[0], 0.76);
  EXPECT_DOUBLE_EQ(readings[2].from_s, 170);
  EXPECT_EQ(readings[2].beats, 30);
  EXPECT_DOUBLE_EQ(readings[2].pd_pa[0], 1.0);
  EXPECT_EQ(r.result(200).inflations, 1);
}

// A run from a saved state: its stenosis is the patient's and its adenosine infusion is read.
TEST(ProcedureMetrics, ASavedStatesStenosisAndAdenosineAreKnownFromTheStart) {
  ProcedureRecorder r;
  physio::PlantInputs inputs;
  inputs.coronary_inflow_fraction = {0.75, 1.0, 1.0};
  inputs.drug_dose[physio::adenosine_index] = 140;
  r.start_from(inputs, 0.0);
  beats(r, 0, 100, 85, 1.0);
  r.on_event(adenosine(100, 0));
  EXPECT_EQ(r.result(100).inflations, 0);
  const auto readings = r.ffr_readings(100);
  ASSERT_EQ(readings.size(), 1u);
  EXPECT_EQ(readings[0].beats, 40);
  // Two events at one instant, on and off, are no infusion.
  r.on_event(adenosine(150, 140));
  r.on_event(adenosine(150, 0));
  EXPECT_EQ(r.ffr_readings(200).size(), 1u);
}

// The collapse test reads the samples in 5-s windows from t = 0: the first window whose mean aortic
// pressure is under 40 mmHg starts a run of low windows, and more than 60 s of them is a collapse.
// A window at or above 40 ends the run; the window still open at the end counts.
void samples(ProcedureRecorder& r, double from, double to, double aortic_mmHg) {
  for (double t = from; t < to - 1e-9; t += 0.1) {
    physio::Observables o;
    o.t_s = t;
    o.aortic_root_mmHg = aortic_mmHg;
    r.on_sample(o);
  }
}

TEST(ProcedureMetrics, CollapseIsMeanAorticPressureUnderFortyForOverSixtySeconds) {
  {
    ProcedureRecorder r;
    samples(r, 0, 20, 80);
    samples(r, 20, 80, 30);  // 60 s low: not more than 60
    samples(r, 80, 90, 80);
    EXPECT_TRUE(std::isnan(r.result(90).collapse_time_s));
  }
  {
    ProcedureRecorder r;
    samples(r, 0, 20, 80);
    samples(r, 20, 85, 30);  // 65 s low, the last window still open when the run ends
    EXPECT_DOUBLE_EQ(r.result(85).collapse_time_s, 20.0);
  }
  {
    // A recovery in between starts the count again.
    ProcedureRecorder r;
    samples(r, 0, 50, 30);
    samples(r, 50, 55, 60);
    samples(r, 55, 100, 30);
    EXPECT_TRUE(std::isnan(r.result(100).collapse_time_s));
    samples(r, 100, 125, 30);
    EXPECT_DOUBLE_EQ(r.result(125).collapse_time_s, 55.0);
  }
}

}  // namespace
}  // namespace unload::sim
