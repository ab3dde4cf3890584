// The virtual patients land in the published ranges they were built to represent
// (shared/reference/physiology.md sections 4.1, 4.2 and 4.4).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "session_support.hpp"
#include "unload/io/presets.hpp"
#include "unload/sim/session.hpp"

namespace unload {
namespace {

sim::BeatMetrics steady(const std::string& preset) {
  static std::map<std::string, sim::BeatMetrics> cache;
  if (auto it = cache.find(preset); it != cache.end()) return it->second;
  auto s = testing::session_of(io::load_preset(preset));
  const auto r = sim::run_to_steady_state(*s);
  EXPECT_TRUE(r.reached) << preset << " did not reach a periodic steady state";
  return cache[preset] = r.average;
}

TEST(NormalPreset, LandsInNormalAdultRestingRanges) {
  const auto m = steady("normal");
  // physiology.md 4.1 (ERS right-heart catheterisation recommendations and others).
  EXPECT_GE(m.hr_bpm, 60);
  EXPECT_LE(m.hr_bpm, 100);
  EXPECT_GE(m.aop_sys_mmHg, 90);
  EXPECT_LE(m.aop_sys_mmHg, 140);
  EXPECT_GE(m.map_mmHg, 70);
  EXPECT_LE(m.map_mmHg, 100);
  EXPECT_GE(m.co_L_min, 4.0);
  EXPECT_LE(m.co_L_min, 6.0);
  EXPECT_GE(m.ci_L_min_m2, 2.4);
  EXPECT_LE(m.ci_L_min_m2, 4.0);
  EXPECT_GE(m.sv_mL, 50);
  EXPECT_LE(m.sv_mL, 100);
  EXPECT_GE(m.rap_mmHg, 1);
  EXPECT_LE(m.rap_mmHg, 6);
  EXPECT_GE(m.pap_sys_mmHg, 15);
  EXPECT_LE(m.pap_sys_mmHg, 25);
  EXPECT_GE(m.pap_dia_mmHg, 4);
  EXPECT_LE(m.pap_dia_mmHg, 12);
  EXPECT_LE(m.pap_mean_mmHg, 20);
  EXPECT_GE(m.pcwp_mmHg, 4);
  EXPECT_LE(m.pcwp_mmHg, 12);
  EXPECT_LE(m.lvedp_mmHg, 12);
  EXPECT_GE(m.svr_wood, 8.8);
  EXPECT_LE(m.svr_wood, 20);
  // CMR volumes (Kawel-Boehm 2015): EF 67 +/- 5 %, EDV 132-160 +/- SD, ESV 44-54 +/- SD.
  EXPECT_GE(m.ef_pct, 62);
  EXPECT_LE(m.ef_pct, 72);
  EXPECT_GE(m.lvedv_mL, 109);
  EXPECT_LE(m.lvedv_mL, 187);
  EXPECT_GE(m.lvesv_mL, 33);
  EXPECT_LE(m.lvesv_mL, 68);
  EXPECT_GE(m.cpo_W, 0.8);
  EXPECT_LE(m.cpo_W, 1.2);
}

TEST(NormalPreset, CoronaryFlowIsFourToFivePercentOfOutputAndMostlyDiastolic) {
  const auto m = steady("normal");
  // physiology.md 4.2: about 225-250 mL/min, 4-5% of CO; 70-80% of LV coronary flow in diastole.
  const double share = m.coronary_flow_mL_min / (m.co_L_min * 1000.0);
  EXPECT_GE(share, 0.035);
  EXPECT_LE(share, 0.05);
  EXPECT_GE(m.coronary_flow_mL_min, 200);
  EXPECT_LE(m.coronary_flow_mL_min, 260);
  EXPECT_GE(m.coronary_left_diastolic_pct, 70.0);
  EXPECT_LE(m.coronary_left_diastolic_pct, 85.0);
  // The LAD perfuses the largest territory.
  EXPECT_GT(m.coronary_territory_mL_min[0], m.coronary_territory_mL_min[1]);
  EXPECT_GT(m.coronary_territory_mL_min[0], m.coronary_territory_mL_min[2]);
}

TEST(ShockPreset, IsAcuteInfarctionShockOfTheShockTrialAndImpellaCohorts) {
  const auto m = steady("shock");
  // SHOCK trial and registry cohorts (Picard et al., Circulation 2003;107:279: mean LVEF 31%;
  // Impella shock cohort LVEF 25 [20;30]%, HR 100, MAP 63; physiology.md 4.4).
  EXPECT_GE(m.ef_pct, 25);
  EXPECT_LE(m.ef_pct, 31);
  EXPECT_GE(m.lvedv_mL, 130);  // a non-remodelled ventricle
  EXPECT_LE(m.lvedv_mL, 170);
  EXPECT_GE(m.hr_bpm, 95);
  EXPECT_LE(m.hr_bpm, 105);
  EXPECT_LT(m.aop_sys_mmHg, 90);
  EXPECT_GE(m.map_mmHg, 60);
  EXPECT_LE(m.map_mmHg, 70);
  EXPECT_GE(m.ci_L_min_m2, 1.8);
  EXPECT_LE(m.ci_L_min_m2, 2.0);
  EXPECT_GE(m.pcwp_mmHg, 23);
  EXPECT_LE(m.pcwp_mmHg, 25);
  EXPECT_GE(m.rap_mmHg, 10);
  EXPECT_LE(m.rap_mmHg, 14);
  EXPECT_LT(m.cpo_W, 0.6);
}

TEST(DcmShockPreset, MeetsTheCardiogenicShockDefinitionInADilatedVentricle) {
  const auto m = steady("dcm-shock");
  // physiology.md 4.4: SBP < 90 mmHg and CI < 2.2 L/min/m2, with PCWP > 18 mmHg; end-stage
  // dilated ventricle.
  EXPECT_LT(m.aop_sys_mmHg, 90);
  EXPECT_LT(m.ci_L_min_m2, 2.2);
  EXPECT_GT(m.pcwp_mmHg, 18);
  EXPECT_LT(m.cpo_W, 0.8);
  EXPECT_GT(m.hr_bpm, 100);  // reflex tachycardia
  EXPECT_LT(m.ef_pct, 20);
  EXPECT_GT(m.lvedv_mL, 200);
}

TEST(EveryPreset, HasItsEndDiastolicPressureWithinFiveOfTheWedgePressure) {
  // A closing valve must not keep filling against a reversed gradient (issue 8): LVEDP follows
  // mean LA pressure (PCWP) within 5 mmHg in every preset.
  for (const char* preset : {"normal", "hfref", "shock", "dcm-shock", "hrpci"}) {
    const auto m = steady(preset);
    EXPECT_LE(std::abs(m.lvedp_mmHg - m.pcwp_mmHg), 5.0) << preset;
  }
}

TEST(HfrefPreset, HasAnEjectionFractionNearTwentyFivePercentAndDilatedVentricle) {
  const auto m = steady("hfref");
  EXPECT_GE(m.ef_pct, 20);
  EXPECT_LE(m.ef_pct, 30);
  EXPECT_GT(m.lvedv_mL, 200);
  EXPECT_GT(m.pcwp_mmHg, 12);
}

TEST(HrpciPreset, HasEjectionFractionNearTwentyFivePercentAndIsCompensatedAtRest) {
  const auto m = steady("hrpci");
  // PROTECT II population: mean LVEF about 24% (O'Neill et al., Circulation 2012;126:1717).
  EXPECT_GE(m.ef_pct, 22);
  EXPECT_LE(m.ef_pct, 28);
  EXPECT_GE(m.ci_L_min_m2, 2.2);
  EXPECT_GE(m.aop_sys_mmHg, 90);
  EXPECT_LE(m.pcwp_mmHg, 18);
}

TEST(Baroreflex, DefendsArterialPressureAfterBloodLoss) {
  // Lose 10% of the blood volume: with the reflex on, pressure falls less and the heart speeds up.
  auto run = [](bool reflex, double volume) {
    auto p = io::load_preset("normal");
    p.baroreflex.enabled = reflex;
    p.body.total_blood_volume_mL = volume;
    auto s = testing::session_of(p);
    s->advance_to(400.0);  // past the reflex's slow (Mayer-wave-like) settling
    return sim::average(s->recent_beats());
  };
  const double full = io::load_preset("normal").body.total_blood_volume_mL;
  const auto on_full = run(true, full), on_bled = run(true, 0.9 * full);
  const auto off_full = run(false, full), off_bled = run(false, 0.9 * full);
  const double drop_on = on_full.map_mmHg - on_bled.map_mmHg;
  const double drop_off = off_full.map_mmHg - off_bled.map_mmHg;
  EXPECT_GT(drop_off, 0);
  EXPECT_LT(drop_on, 0.75 * drop_off);
  EXPECT_GT(on_bled.hr_bpm, on_full.hr_bpm + 0.3);
  EXPECT_NEAR(off_bled.hr_bpm, off_full.hr_bpm, 0.01);
}

TEST(Valves, ClosureLetsSomeBloodBackAndRegurgitationLowersForwardOutput) {
  auto p = io::load_preset("normal");
  p.baroreflex.enabled = false;
  const auto base = sim::run_to_steady_state(*testing::session_of(p)).average;
  p.aortic.regurgitant_area_cm2 = 0.3;  // moderate-to-severe aortic regurgitation
  const auto ar = sim::run_to_steady_state(*testing::session_of(p)).average;
  // Net forward volume falls, the ventricle dilates and diastolic pressure falls.
  EXPECT_LT(ar.co_native_L_min, base.co_native_L_min);
  EXPECT_GT(ar.lvedv_mL, base.lvedv_mL + 10);
  EXPECT_LT(ar.aop_dia_mmHg, base.aop_dia_mmHg - 5);
}

TEST(Valves, AorticStenosisRaisesLeftVentricularPeakPressure) {
  auto p = io::load_preset("normal");
  p.baroreflex.enabled = false;
  const auto base = sim::run_to_steady_state(*testing::session_of(p)).average;
  p.aortic.stenosis_fraction = 0.85;  // about 0.6 cm2: severe stenosis
  const auto as = sim::run_to_steady_state(*testing::session_of(p)).average;
  EXPECT_GT(as.lv_peak_mmHg - as.aop_sys_mmHg, 20);  // a transvalvular gradient appears
  EXPECT_LT(base.lv_peak_mmHg - base.aop_sys_mmHg, 10);
}

}  // namespace
}  // namespace unload
