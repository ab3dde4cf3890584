// The virtual patients: reflexes and valves behave as physiology says.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <vector>

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

// The presets' published ranges (normal adult, SHOCK-trial shock, PROTECT II) are validation
// cases (io/validation.cpp, `unload validate`, tests/validation_test.cpp). Here: what has no
// published number but must hold.

TEST(NormalPreset, TheLadPerfusesTheLargestTerritory) {
  const auto m = steady("normal");
  EXPECT_GT(m.coronary_territory_mL_min[0], m.coronary_territory_mL_min[1]);
  EXPECT_GT(m.coronary_territory_mL_min[0], m.coronary_territory_mL_min[2]);
}

// The RCA is squeezed mostly by RV pressure (its RV share outweighs its LV share): its systolic
// inflow is a larger part of its flow than the left coronary's (IDEAL study: mean diastolic-to-
// systolic velocity ratio 1.53 in the RCA against 1.85 in the left coronary; Seligman et al.,
// EuroIntervention 2022), and a higher RV afterload squeezes it more in systole (dogs: pulmonary
// artery constriction moved the RCA's autoregulation as extravascular compression does; Pflugers
// Arch 1990;416:442).
TEST(Coronary, TheRcaFlowsMoreInSystoleAndFollowsRvPressure) {
  const auto m = steady("normal");
  EXPECT_LT(m.dsvr[2], m.dsvr[0]);
  EXPECT_LT(m.dsvr[2], m.dsvr[1]);
  EXPECT_GT(m.dsvr[2], 1.0);  // still more in diastole

  auto banded = io::load_preset("normal");
  banded.pulmonary_circulation.vascular_resistance_mmHg_s_per_mL *= 6.0;
  auto s = testing::session_of(banded);
  const auto r = sim::run_to_steady_state(*s);
  ASSERT_TRUE(r.reached);
  EXPECT_GT(r.average.pap_sys_mmHg, m.pap_sys_mmHg + 10.0) << m.pap_sys_mmHg;
  EXPECT_GT(r.average.dsvr[2], 1.1 * m.dsvr[2])
      << "RCA: " << m.dsvr[2] << " -> " << r.average.dsvr[2];
  // The LCx, all LV wall, moves less (its change comes from the lower output and pressure).
  EXPECT_LT(std::abs(r.average.dsvr[1] / m.dsvr[1] - 1.0), r.average.dsvr[2] / m.dsvr[2] - 1.0)
      << "LCx: " << m.dsvr[1] << " -> " << r.average.dsvr[1];
}

// A patient at steady state with stenoses leaving `inflow` of each territory's resting inflow
// conductance (PlantInputs::coronary_inflow_fraction).
sim::BeatMetrics steady_with_stenoses(const physio::PatientParameters& patient,
                                      const std::array<double, physio::territory_count>& inflow) {
  auto model = testing::model_of(patient);
  sim::State start = sim::rest_state(*model);
  start.restart.inputs.coronary_inflow_fraction = inflow;
  sim::Session session(std::move(model), start);
  const auto r = sim::run_to_steady_state(session);
  EXPECT_TRUE(r.reached);
  return r.average;
}

// A stenosis is a resistance in series with the bed: autoregulation dilates the bed behind it and
// holds resting flow, but maximal vasodilation cannot undo it, so the stenosis takes the flow
// reserve first (dogs: a progressive stenosis limits the hyperaemic response first and lowers
// resting flow only once that response is almost gone; Lipscomb K, Gould KL, Am Heart J 1975).
TEST(Coronary, AStenosisTakesFlowReserveBeforeRestingFlow) {
  constexpr std::size_t lcx = 1;
  const physio::PatientParameters normal = io::load_preset("normal");
  physio::PatientParameters dilated = normal;
  dilated.coronary_autoregulation.hyperaemia = 1.0;
  const double rest = steady_with_stenoses(normal, {1, 1, 1}).coronary_territory_mL_min[lcx];
  const double rest_stenosed =
      steady_with_stenoses(normal, {1, 0.4, 1}).coronary_territory_mL_min[lcx];
  const double hyper = steady_with_stenoses(dilated, {1, 1, 1}).coronary_territory_mL_min[lcx];
  const double hyper_stenosed =
      steady_with_stenoses(dilated, {1, 0.4, 1}).coronary_territory_mL_min[lcx];
  std::cout << "LCx flow mL/min: rest " << rest << ", stenosed " << rest_stenosed << "; hyperaemia "
            << hyper << ", stenosed " << hyper_stenosed << "\n";
  // 40% of the resting inflow conductance: resting flow held within 5%, the reserve halved.
  EXPECT_NEAR(rest_stenosed, rest, 0.05 * rest);
  EXPECT_GT(hyper / rest, 2.5) << "the LCx's reserve without the stenosis";
  EXPECT_LT(hyper_stenosed / rest_stenosed, 0.5 * hyper / rest);
  // The other territories keep theirs.
  EXPECT_NEAR(steady_with_stenoses(dilated, {1, 0.4, 1}).coronary_territory_mL_min[0],
              steady_with_stenoses(dilated, {1, 1, 1}).coronary_territory_mL_min[0],
              0.05 * steady_with_stenoses(dilated, {1, 1, 1}).coronary_territory_mL_min[0]);
}

// What a pressure wire beyond the stenosis reads: the mean distal pressure Pd and its ratio to the
// mean aortic pressure Pa (beat metrics pd_pa_*). At rest autoregulation dilates the bed behind a
// stenosis, so little flow crosses it faster and Pd/Pa stays near 1; at maximal vasodilation the
// flow, and the pressure it loses across the stenosis, is larger: the fractional flow reserve (FFR,
// Pd/Pa in hyperaemia) is lower than the resting ratio. FFR estimates the hyperaemic flow with the
// stenosis as a fraction of that without it (Pijls et al., Circulation 1993;87:1354), an estimate
// that is high when the bed drains against a pressure above 0; with that pressure (the zero-flow
// pressure here, the wedge or venous pressure in Pijls's equations) subtracted from Pd and Pa it
// is the flow ratio of a bed whose resistance maximal vasodilation fixes.
TEST(Coronary, APressureWireReadsTheStenosisAndTheFfr) {
  constexpr std::size_t lcx = 1;
  constexpr double f = 0.8;  // an intermediate stenosis
  const physio::PatientParameters normal = io::load_preset("normal");
  physio::PatientParameters dilated = normal;
  dilated.coronary_autoregulation.hyperaemia = 1.0;
  const auto open = steady_with_stenoses(normal, {1, 1, 1});
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    EXPECT_EQ(open.pd_pa[k], 1.0) << physio::territory_names[k] << ": no stenosis";
    EXPECT_EQ(open.dpr[k], 1.0) << physio::territory_names[k] << ": no stenosis";
  }
  const auto rest = steady_with_stenoses(normal, {1, f, 1});
  const auto hyper_open = steady_with_stenoses(dilated, {1, 1, 1});
  const auto hyper = steady_with_stenoses(dilated, {1, f, 1});
  // The mean distal pressure is the mean root pressure less the mean flow times the stenosis's
  // resistance (both linear: exact up to rounding).
  const double r_in = normal.coronary[lcx].inflow_resistance_mmHg_s_per_mL;
  EXPECT_NEAR(rest.coronary_distal_mmHg[lcx],
              rest.map_mmHg -
                  rest.coronary_territory_mL_min[lcx] / 60.0 * physio::stenosis_resistance(r_in, f),
              1e-9 * rest.map_mmHg);
  const double flow_ratio =
      hyper.coronary_territory_mL_min[lcx] / hyper_open.coronary_territory_mL_min[lcx];
  const double p_zf = normal.coronary_autoregulation.zero_flow_pressure_mmHg;
  const double corrected = (hyper.coronary_distal_mmHg[lcx] - p_zf) / (hyper.map_mmHg - p_zf);
  std::cout << "LCx, " << f << " of its inflow conductance: resting Pd/Pa " << rest.pd_pa[lcx]
            << ", FFR " << hyper.pd_pa[lcx] << " (Pd " << hyper.coronary_distal_mmHg[lcx] << ", Pa "
            << hyper.map_mmHg << " mmHg), hyperaemic flow ratio " << flow_ratio
            << ", (Pd - Pzf)/(Pa - Pzf) " << corrected << "\n";
  EXPECT_GT(rest.pd_pa[lcx], 0.9);
  EXPECT_LT(rest.pd_pa[lcx], 0.95);
  EXPECT_LT(hyper.pd_pa[lcx], rest.pd_pa[lcx] - 0.05);
  // Most of the left coronary's flow comes in diastole, so that more pressure is lost across the
  // stenosis then: the diastolic ratio (dPR, iFR) reads lower than the whole beat's.
  EXPECT_LT(rest.dpr[lcx], rest.pd_pa[lcx] - 0.005);
  EXPECT_GT(rest.dpr[lcx], hyper.pd_pa[lcx]);
  EXPECT_GT(hyper.pd_pa[lcx], 0.75);
  EXPECT_GT(hyper.pd_pa[lcx], flow_ratio);
  EXPECT_NEAR(corrected, flow_ratio, 0.03);
  // The other territories' wires read no stenosis.
  EXPECT_EQ(hyper.pd_pa[0], 1.0);
  EXPECT_EQ(hyper.pd_pa[2], 1.0);
}

// The coronary veins drain through a waterfall, which is no source of blood: in a collapsed
// circulation (reflex off, systemic resistance halved: MAP falls below the zero-flow pressure)
// no territory draws blood from the right atrium back into the aorta. (Before the outflow was
// made one-way, about 90 mL/min did, for as long as the collapse lasted.)
TEST(Coronary, NoSustainedRetrogradeFlowWhenArterialPressureFallsBelowTheWaterfall) {
  physio::PatientParameters p = io::load_preset("normal");
  p.baroreflex.enabled = false;
  p.systemic.microvascular_resistance_mmHg_s_per_mL *= 0.55;
  auto s = testing::session_of(p);
  const auto r = sim::run_to_steady_state(*s);
  ASSERT_LT(r.average.map_mmHg, p.coronary_autoregulation.zero_flow_pressure_mmHg)
      << "the case needs a collapse below the zero-flow pressure";
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    EXPECT_GT(r.average.coronary_territory_mL_min[k], -1.0) << physio::territory_names[k];
  }
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

TEST(Baroreflex, AHighCutOfZeroIsUrsinosAfferentAndAShortOneApproachesIt) {
  // baroreflex.high_cut_time_constant = 0 reads the root pressure itself (Ursino 1998's afferent,
  // docs/model.md 2.7); a short one (5 ms: the pulse's harmonics up to 10 Hz pass at 95% or more)
  // must give nearly the same steady state, and the preset's 1.0 Hz cut a different one.
  auto steady_with = [](double high_cut_s) {
    auto p = io::load_preset("normal");
    p.baroreflex.high_cut_time_constant_s = high_cut_s;
    auto s = testing::session_of(p);
    const auto r = sim::run_to_steady_state(*s);
    EXPECT_TRUE(r.reached) << high_cut_s;
    return r.average;
  };
  const auto ursino = steady_with(0.0);
  const auto short_cut = steady_with(0.005);
  const auto preset = steady("normal");
  EXPECT_NEAR(short_cut.hr_bpm, ursino.hr_bpm, 0.1);
  EXPECT_NEAR(short_cut.map_mmHg, ursino.map_mmHg, 0.1);
  EXPECT_GT(std::abs(preset.hr_bpm - ursino.hr_bpm) + std::abs(preset.map_mmHg - ursino.map_mmHg),
            1.0);
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

// Records every sample of a run.
class Samples final : public sim::SimulationObserver {
 public:
  void on_sample(const physio::Observables& o) override { all.push_back(o); }
  std::vector<physio::Observables> all;
};

TEST(Valves, NoValveFlowsForwardAgainstAReversedGradientBeyondAFewMilliseconds) {
  // Issue 8: a closing valve must not keep filling against a reversed gradient. Blood decelerating
  // through an open valve meets an adverse gradient of a few mmHg (its inertia, as in the mitral
  // E wave's deceleration); beyond 5 mmHg forward flow must stop within 5 ms, for every valve in
  // every preset.
  struct Valve {
    const char* name;
    double (*flow)(const physio::Observables&);
    double (*gradient)(const physio::Observables&);  // upstream - downstream
  };
  const Valve valves[] = {
      {"mitral", [](const physio::Observables& o) { return o.mitral_mL_s; },
       [](const physio::Observables& o) { return o.left_atrium_mmHg - o.left_ventricle_mmHg; }},
      {"aortic", [](const physio::Observables& o) { return o.aortic_valve_mL_s; },
       [](const physio::Observables& o) { return o.left_ventricle_mmHg - o.aortic_root_mmHg; }},
      {"tricuspid", [](const physio::Observables& o) { return o.tricuspid_mL_s; },
       [](const physio::Observables& o) { return o.right_atrium_mmHg - o.right_ventricle_mmHg; }},
      {"pulmonary", [](const physio::Observables& o) { return o.pulmonary_valve_mL_s; },
       [](const physio::Observables& o) {
         return o.right_ventricle_mmHg - o.pulmonary_arteries_mmHg;
       }},
  };
  constexpr double kInterval = 0.0005;
  for (const char* preset : {"normal", "hfref", "shock", "dcm-shock", "hrpci"}) {
    auto s = testing::session_of(io::load_preset(preset));
    sim::run_to_steady_state(*s);
    Samples samples;
    s->set_recorder(&samples, kInterval);
    s->advance_beats(4);
    ASSERT_GT(samples.all.size(), 1000u) << preset;
    for (const auto& v : valves) {
      double longest = 0, run = 0;
      for (const auto& o : samples.all) {
        run = (v.flow(o) > 1.0 && v.gradient(o) < -5.0) ? run + kInterval : 0.0;
        longest = std::max(longest, run);
      }
      EXPECT_LE(longest, 0.005) << preset << ", " << v.name << " valve: forward flow against a "
                                << "reversed gradient above 5 mmHg for " << longest * 1000 << " ms";
    }
  }
}

}  // namespace
}  // namespace unload
