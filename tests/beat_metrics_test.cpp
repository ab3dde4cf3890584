// Beat metrics on synthetic beats whose answers are known by hand.
#include "unload/sim/beat_metrics.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

namespace unload::sim {
namespace {

physio::Wall lv_wall() {
  physio::Wall w;
  w.dead_volume_mL = 0.0;
  w.passive_pressure_mmHg = 0.1;
  w.passive_stiffness_per_mL = 0.03;
  w.passive_zero_volume_mL = 0.0;
  return w;
}

// A 1 s beat with a rectangular pressure-volume loop: isovolumic contraction at 150 mL
// (10 -> 120 mmHg), ejection at 120 mmHg to 50 mL, isovolumic relaxation, filling at 10 mmHg.
// Aortic pressure 80 mmHg throughout; LA 8, RA 3, PA 20 mmHg; aortic valve flow 100 mL/s for
// the 1 s ejection window; coronary inflow 1, 1, 2 mL/s.
std::vector<physio::Observables> rectangular_loop(double dt) {
  std::vector<physio::Observables> beat;
  for (int i = 0; i * dt <= 1.0 + 1e-12; ++i) {
    const double t = i * dt;
    physio::Observables o;
    o.t_s = t;
    o.aortic_root_mmHg = 80.0;
    o.left_atrium_mmHg = 8.0;
    o.right_atrium_mmHg = 3.0;
    o.pulmonary_arteries_mmHg = 20.0;
    o.coronary_inflow_mL_s = {1.0, 1.0, 2.0};
    o.upper_body_mL_s = 0.0;
    o.lower_body_mL_s = 0.0;
    o.blood_volume_mL = 5000.0;
    if (t <= 0.1) {  // isovolumic contraction
      o.left_ventricle_mL = 150.0;
      o.left_ventricle_mmHg = 10.0 + 110.0 * t / 0.1;
      o.left_ventricle_dpdt_mmHg_s = 110.0 / 0.1;
    } else if (t <= 0.4) {  // ejection, 100 mL over 0.3 s
      o.left_ventricle_mL = 150.0 - 100.0 * (t - 0.1) / 0.3;
      o.left_ventricle_mmHg = 120.0;
      o.aortic_valve_mL_s = 100.0 / 0.3;
      o.upper_body_mL_s = 100.0 / 0.3;  // everything ejected leaves to the body in this beat
    } else if (t <= 0.5) {              // isovolumic relaxation
      o.left_ventricle_mL = 50.0;
      o.left_ventricle_mmHg = 120.0 - 110.0 * (t - 0.4) / 0.1;
      o.left_ventricle_dpdt_mmHg_s = -110.0 / 0.1;
    } else {  // filling
      o.left_ventricle_mL = 50.0 + 100.0 * (t - 0.5) / 0.5;
      o.left_ventricle_mmHg = 10.0;
    }
    beat.push_back(o);
  }
  return beat;
}

// The rectangular loop's metrics; with a passive (ischaemic) share of the free wall that bulges
// by `bulge_mL` over the contracting wall's volume (docs/model.md 2.9), when given.
BeatMetrics measure(double dt, double passive_share = 0.0, double bulge_mL = 0.0) {
  const BeatAccumulator acc(2.0, lv_wall());
  BeatProgress progress;
  acc.begin(progress, 0, 0.0);
  auto beat = rectangular_loop(dt);
  for (auto& o : beat) {
    o.lv_passive_share = passive_share;
    o.lv_passive_bulge_mL = bulge_mL;
  }
  for (std::size_t i = 0; i + 1 < beat.size(); ++i) acc.add(progress, beat[i]);
  return acc.finish(progress, beat.back());
}

TEST(BeatMetrics, RectangularLoopGivesItsAreaVolumesAndRate) {
  const BeatMetrics m = measure(0.001);
  EXPECT_NEAR(m.hr_bpm, 60.0, 1e-9);
  EXPECT_NEAR(m.lvedv_mL, 150.0, 1e-9);
  EXPECT_NEAR(m.lvesv_mL, 50.0, 1e-9);
  EXPECT_NEAR(m.ef_pct, 100.0 * 100.0 / 150.0, 1e-9);
  EXPECT_NEAR(m.lvedp_mmHg, 10.0, 1e-9);
  // Stroke work: the loop's area, (120 - 10) mmHg x 100 mL.
  EXPECT_NEAR(m.sw_mmHg_mL, 11000.0, 1.0);
  EXPECT_NEAR(m.lv_peak_mmHg, 120.0, 1e-9);
  // dP/dt max: the steepest rise, 110 mmHg in 0.1 s.
  EXPECT_NEAR(m.dpdt_max_mmHg_s, 1100.0, 1e-9);
}

TEST(BeatMetrics, MeansOutputsAndDerivedIndicesFollowTheirDefinitions) {
  const BeatMetrics m = measure(0.001);
  EXPECT_NEAR(m.map_mmHg, 80.0, 1e-9);
  EXPECT_NEAR(m.pcwp_mmHg, 8.0, 1e-9);
  EXPECT_NEAR(m.rap_mmHg, 3.0, 1e-9);
  EXPECT_NEAR(m.pap_mean_mmHg, 20.0, 1e-9);
  // 100 mL per 1 s beat = 6 L/min through the valve.
  EXPECT_NEAR(m.sv_mL, 100.0, 0.6);
  EXPECT_NEAR(m.co_native_L_min, 6.0, 0.04);
  // Total output counts what leaves to the body (100 mL) and the coronaries (4 mL/s).
  EXPECT_NEAR(m.co_L_min, 6.0 + 4.0 * 0.06, 0.04);
  EXPECT_NEAR(m.ci_L_min_m2, m.co_L_min / 2.0, 1e-12);
  EXPECT_NEAR(m.svr_wood, (80.0 - 3.0) / m.co_L_min, 1e-12);
  EXPECT_NEAR(m.cpo_W, 80.0 * m.co_L_min / 451.0, 1e-12);
  EXPECT_NEAR(m.coronary_flow_mL_min, 240.0, 1e-9);
  EXPECT_NEAR(m.coronary_territory_mL_min[2], 120.0, 1e-9);
  EXPECT_NEAR(m.cpp_mmHg, 80.0 - 10.0, 1e-9);
  // End-systole at maximal elastance P/(V - V0): 120 mmHg at 50 mL.
  EXPECT_NEAR(m.lvesp_mmHg, 120.0, 1e-9);
  // PVA = SW + Pes (Ves - V0)/2 - integral of the EDPVR from V0 to Ves.
  const double edpvr = 0.1 * ((std::exp(0.03 * 50.0) - 1.0) / 0.03 - 50.0);
  EXPECT_NEAR(m.pva_mmHg_mL, m.sw_mmHg_mL + 120.0 * 50.0 / 2.0 - edpvr, 1e-6);
}

TEST(BeatMetrics, PvaCountsNoPotentialEnergyInThePassiveIschaemicShareOfTheWall) {
  // The same loop with 60% of the free wall passive (docs/model.md 2.9), bulging by 30 mL over the
  // contracting wall's volume at end-systole: PE is the contracting share's, 0.4 x (the triangle
  // less the EDPVR's area) up to Ves - s d = 20 mL; the passive share's ESPVR is its EDPVR.
  const BeatMetrics m = measure(0.001, 0.6, 30.0);
  const BeatMetrics whole = measure(0.001);
  EXPECT_NEAR(m.sw_mmHg_mL, whole.sw_mmHg_mL, 1e-9);
  EXPECT_NEAR(m.lvesp_mmHg, 120.0, 1e-9);
  const double edpvr = 0.1 * ((std::exp(0.03 * 20.0) - 1.0) / 0.03 - 20.0);
  EXPECT_NEAR(m.pva_mmHg_mL, m.sw_mmHg_mL + 0.4 * (120.0 * 20.0 / 2.0 - edpvr), 1e-6);
  EXPECT_LT(m.pva_mmHg_mL, whole.pva_mmHg_mL);
}

TEST(BeatMetrics, PvaHasNoNegativePotentialEnergyWhenTheBulgeTakesTheContractingVolumeBelowV0) {
  // End-systole at 50 mL with V0 = 0 and a bulge of 60 mL: the contracting wall would hold less
  // than V0, where the ESPVR has no area. PE is 0 (not negative) and PVA is the stroke work.
  const BeatMetrics m = measure(0.001, 0.9, 60.0);
  EXPECT_NEAR(m.pva_mmHg_mL, m.sw_mmHg_mL, 1e-9);
}

TEST(BeatMetrics, DoNotDependOnTheSampleSpacing) {
  const BeatMetrics fine = measure(0.001);
  const BeatMetrics coarse = measure(0.005);
  EXPECT_NEAR(coarse.sw_mmHg_mL, fine.sw_mmHg_mL, 0.005 * fine.sw_mmHg_mL);
  EXPECT_NEAR(coarse.map_mmHg, fine.map_mmHg, 1e-9);
  EXPECT_NEAR(coarse.lvesv_mL, fine.lvesv_mL, 1e-9);
}

// The rectangular loop ejects from 0.1 to 0.4 s; each territory's inflow is set per sample.
BeatMetrics measure_inflow(double dt, const std::array<double, 3>& systolic,
                           const std::array<double, 3>& diastolic) {
  const BeatAccumulator acc(2.0, lv_wall());
  BeatProgress progress;
  acc.begin(progress, 0, 0.0);
  auto beat = rectangular_loop(dt);
  for (auto& o : beat) o.coronary_inflow_mL_s = o.t_s <= 0.4 + 1e-12 ? systolic : diastolic;
  for (std::size_t i = 0; i + 1 < beat.size(); ++i) acc.add(progress, beat[i]);
  return acc.finish(progress, beat.back());
}

// DSVR: mean inflow after the end of ejection over mean inflow up to it. LAD 1 then 3 mL/s gives
// 3, RCA constant gives 1; the LCx, whose systolic inflow (0.05 mL/s) is under a tenth of its mean
// over the beat, has no value rather than a ratio of 60.
TEST(BeatMetrics, DsvrIsTheDiastolicOverTheSystolicMeanInflow) {
  for (const double dt : {0.001, 0.005}) {
    const BeatMetrics m = measure_inflow(dt, {1.0, 0.05, 2.0}, {3.0, 3.0, 2.0});
    EXPECT_NEAR(m.ejection_end_s, 0.4, dt);  // 1% of the peak flow, between samples
    // The step at 0.4 s is smeared over one sample by the trapezoid rule.
    EXPECT_NEAR(m.dsvr[0], 3.0, 3.0 * 4.0 * dt) << dt;
    EXPECT_NEAR(m.dsvr[2], 1.0, 1e-9) << dt;
    EXPECT_TRUE(std::isnan(m.dsvr[1])) << m.dsvr[1];
  }
}

// The rectangular loop's valve is open from 0.1 to 0.4 s: an ejection time of 300 ms, to the
// sampling's resolution (flow steps from 0 to 333 mL/s and back between samples).
TEST(BeatMetrics, EjectionTimeRunsFromTheValvesOpeningToItsClosure) {
  for (const double dt : {0.001, 0.005}) {
    EXPECT_NEAR(measure(dt).lvet_ms, 300.0, 1000.0 * dt) << dt;
  }
  // A beat whose valve never opens has no ejection time.
  const BeatAccumulator acc(2.0, lv_wall());
  BeatProgress progress;
  acc.begin(progress, 0, 0.0);
  auto beat = rectangular_loop(0.001);
  for (auto& o : beat) o.aortic_valve_mL_s = 0.0;
  for (std::size_t i = 0; i + 1 < beat.size(); ++i) acc.add(progress, beat[i]);
  EXPECT_TRUE(std::isnan(acc.finish(progress, beat.back()).lvet_ms));
}

TEST(BeatMetrics, AveragesSkipBeatsWithoutAValue) {
  BeatMetrics a, b;
  a.dsvr = {2.0, std::nan(""), 1.5};
  b.dsvr = {2.5, std::nan(""), std::nan("")};  // e.g. a balloon-augmented beat
  const std::vector<BeatMetrics> beats = {a, b};
  const BeatMetrics mean = average(beats);
  EXPECT_DOUBLE_EQ(mean.dsvr[0], 2.25);
  EXPECT_TRUE(std::isnan(mean.dsvr[1]));
  EXPECT_DOUBLE_EQ(mean.dsvr[2], 1.5);
}

TEST(BeatMetrics, AveragesSkipBeatsWithoutADeviceValue) {
  BeatMetrics a, b, c;
  a.map_mmHg = 80;
  b.map_mmHg = 90;
  c.map_mmHg = 100;
  a.device[0] = 120.0;
  b.device[0] = std::nan("");  // a beat the balloon did not augment
  c.device[0] = 130.0;
  const std::vector<BeatMetrics> beats = {a, b, c};
  const BeatMetrics mean = average(beats);
  EXPECT_DOUBLE_EQ(mean.map_mmHg, 90.0);
  EXPECT_DOUBLE_EQ(mean.device[0], 125.0);
}

}  // namespace
}  // namespace unload::sim
