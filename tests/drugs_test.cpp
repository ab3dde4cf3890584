// Vasoactive drugs and no-reflow (issue 9): a drug event sets an infusion rate, the drug's
// effect-site dose follows with its onset or offset time constant, and its Emax curves add to the
// baroreflex's changes of resistance, venous unstressed volume, contractility and heart rate.
// Norepinephrine raises resistance and pressure (and the reflex slows the heart), dobutamine
// raises contractility and output, nitroprusside lowers pressure and filling pressures; a
// no-reflow narrows a territory's inflow for a time. Runs go through the same path as `unload run`
// (load_scenario, prepare_run, Session) and assert on the beats and on samples.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "beat_series.hpp"
#include "scenario_errors.hpp"
#include "session_support.hpp"
#include "test_files.hpp"
#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/state_file.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/sim/session.hpp"

namespace unload::io {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

using testing::error_of;
using testing::read_text;
using testing::temp_dir;
using testing::write;

// Beats, and a sample of the observables every second.
struct Recorder : sim::SimulationObserver {
  std::vector<sim::BeatMetrics> beats;
  std::vector<physio::Observables> samples;
  void on_beat(const sim::BeatMetrics& b) override { beats.push_back(b); }
  void on_sample(const physio::Observables& o) override { samples.push_back(o); }
};

struct RunResult {
  std::vector<sim::BeatMetrics> beats;
  std::vector<physio::Observables> samples;  // at whole seconds
  double start_volume_mL = 0;
};

// A scenario's run (cached by its text: several tests read the same run).
const RunResult& run(const std::string& text) {
  static std::map<std::string, RunResult> cache;
  if (auto it = cache.find(text); it != cache.end()) return it->second;
  const Scenario s = load_scenario(write("s" + std::to_string(cache.size()) + ".toml", text));
  const PreparedRun prepared = prepare_run(s);
  sim::Session session(prepared.model, prepared.start, prepared.bindings);
  std::vector<sim::Event> events;
  for (const auto& e : s.events) events.push_back(e.event);
  session.schedule(events);
  Recorder log;
  session.set_recorder(&log, 1.0);
  RunResult r;
  r.start_volume_mL = physio::Circulation::blood_volume_mL(session.state());
  session.advance_to(s.duration_s);
  r.beats = std::move(log.beats);
  r.samples = std::move(log.samples);
  return cache[text] = std::move(r);
}

std::string scenario(const std::string& patient, double duration, const std::string& body,
                     const std::string& overrides = "") {
  return "[scenario]\npatient = \"" + patient + "\"\nduration = " + std::to_string(duration) +
         "\n" + overrides + body;
}
std::string drug(double time, const std::string& name, double dose) {
  return "[[events]]\ntime = " + std::to_string(time) + "\ndrug = \"" + name +
         "\"\ndose = " + std::to_string(dose) + "\n";
}
const std::string kReflexOff = "[overrides]\n\"baroreflex.enabled\" = false\n";

using testing::mean;
using testing::Metric;
const Metric kMap = [](const sim::BeatMetrics& b) { return b.map_mmHg; };
const Metric kSvr = [](const sim::BeatMetrics& b) { return b.svr_wood; };
const Metric kHr = [](const sim::BeatMetrics& b) { return b.hr_bpm; };
const Metric kCo = [](const sim::BeatMetrics& b) { return b.co_L_min; };
const Metric kDpdt = [](const sim::BeatMetrics& b) { return b.dpdt_max_mmHg_s; };
const Metric kPcwp = [](const sim::BeatMetrics& b) { return b.pcwp_mmHg; };
const Metric kRap = [](const sim::BeatMetrics& b) { return b.rap_mmHg; };

// Time after `from` at which the metric's 10-s running mean has covered `fraction` of the way
// from `start` to `end` (infinity if never).
double time_to_fraction(const std::vector<sim::BeatMetrics>& beats, const Metric& m, double from,
                        double start, double end, double fraction) {
  for (double t = from; t < beats.back().start_s - 10; t += 1.0) {
    const double v = mean(beats, m, t - 5, t + 5);
    if ((v - start) / (end - start) >= fraction) return t - from;
  }
  return INFINITY;
}

double sample_at(const std::vector<physio::Observables>& samples, double t,
                 const std::function<double(const physio::Observables&)>& get) {
  for (const auto& o : samples) {
    if (std::abs(o.t_s - t) < 1e-9) return get(o);
  }
  ADD_FAILURE() << "no sample at " << t << " s";
  return NAN;
}

// --- norepinephrine ---

// hrpci at steady state; norepinephrine 0.15 mcg/kg/min from 60 s to 1300 s (six onset time
// constants), then stopped; the run ends six offset time constants later.
constexpr double kNeStart = 60, kNeStop = 1300, kNeEnd = 2550, kNeDose = 0.15;
const std::string kNe =
    scenario("hrpci", kNeEnd,
             drug(kNeStart, "norepinephrine", kNeDose) + drug(kNeStop, "norepinephrine", 0.0));

TEST(Norepinephrine, RaisesResistanceAndArterialPressureWithinThePublishedRange) {
  const auto& r = run(kNe);
  const double map0 = mean(r.beats, kMap, 20, kNeStart), map1 = mean(r.beats, kMap, 1240, 1300);
  const double svr0 = mean(r.beats, kSvr, 20, kNeStart), svr1 = mean(r.beats, kSvr, 1240, 1300);
  std::printf("  norepinephrine %.2f: MAP %.1f -> %.1f mmHg, SVR %.1f -> %.1f WU (%+.0f%%)\n",
              kNeDose, map0, map1, svr0, svr1, 100 * (svr1 / svr0 - 1));
  // Published: 0.05-0.5 mcg/kg/min raises MAP by about 10-30 mmHg (data/drugs.toml).
  EXPECT_GT(map1 - map0, 8.0);
  EXPECT_LT(map1 - map0, 30.0);
  EXPECT_GT(svr1 / svr0, 1.15);
  EXPECT_LT(svr1 / svr0, 1.6);
}

// When a first-order lag of time constant tau from c0 to c1 brings the Emax curve
// C / (EC50 + C) (n = 1) a fraction f of the way from its value at c0 to its value at c1.
double emax_time(double tau, double ec50, double c0, double c1, double f) {
  const auto e = [ec50](double c) { return c / (ec50 + c); };
  const double target = e(c0) + f * (e(c1) - e(c0));
  const double c = ec50 * target / (1 - target);
  return -tau * std::log((c - c1) / (c0 - c1));
}

TEST(Norepinephrine, ThePressureRiseFollowsTheOnsetTimeConstant) {
  const auto& r = run(kNe);
  const physio::Drug ne = load_preset("hrpci").drugs[0];
  const double tau = ne.onset_time_constant_s;
  // The effect site: 1 - 1/e of the dose one time constant after the start.
  const auto effect = [](const physio::Observables& o) { return o.drug_effect_site[0]; };
  EXPECT_NEAR(sample_at(r.samples, kNeStart + std::round(tau), effect),
              kNeDose * (1 - std::exp(-std::round(tau) / tau)), 1e-4 * kNeDose);
  // The pressure: 63% of its final rise at about one time constant. The Emax curve bends the
  // response towards earlier times: the resistance effect reaches 63% of its final value at
  // 0.76 tau for this dose (emax_time); the pressure follows it within 0.1 tau (the reflex's time
  // constants are seconds).
  const double map0 = mean(r.beats, kMap, 20, kNeStart), map1 = mean(r.beats, kMap, 1240, 1300);
  const double t63 = time_to_fraction(r.beats, kMap, kNeStart, map0, map1, 1 - std::exp(-1.0));
  const double expected =
      emax_time(tau, ne.resistance.half_maximal_dose, 0, kNeDose, 1 - std::exp(-1.0));
  std::printf(
      "  MAP reaches 63%% of its rise %.0f s after the start (tau %.0f s, Emax-curve "
      "lag %.0f s)\n",
      t63, tau, expected);
  EXPECT_NEAR(t63, expected, 0.1 * tau);
  EXPECT_GT(t63, 0.5 * tau);
  EXPECT_LT(t63, tau);
}

TEST(Norepinephrine, StoppingItReturnsTowardBaselineWithTheOffsetTimeConstant) {
  const auto& r = run(kNe);
  const physio::Drug ne = load_preset("hrpci").drugs[0];
  const double tau = ne.offset_time_constant_s;
  const double map0 = mean(r.beats, kMap, 20, kNeStart), map1 = mean(r.beats, kMap, 1240, 1300);
  const double back = time_to_fraction(r.beats, kMap, kNeStop, map1, map0, 1 - std::exp(-1.0));
  // On the way down the Emax curve delays the return: 1.27 tau for this dose.
  const double expected =
      emax_time(tau, ne.resistance.half_maximal_dose, kNeDose, 0, 1 - std::exp(-1.0));
  std::printf(
      "  MAP falls 63%% of the way back %.0f s after stopping (tau %.0f s, Emax-curve "
      "lag %.0f s)\n",
      back, tau, expected);
  EXPECT_NEAR(back, expected, 0.1 * tau);
  // Six time constants later the pressure is back within 1 mmHg.
  EXPECT_NEAR(mean(r.beats, kMap, kNeEnd - 40, kNeEnd), map0, 1.0);
}

TEST(Norepinephrine, TheBaroreflexSlowsTheHeartAndBuffersThePressureRise) {
  // normal, 0.2 mcg/kg/min for 1200 s, with and without the reflex.
  const std::string body = drug(60, "norepinephrine", 0.2);
  const auto& on = run(scenario("normal", 1260, body));
  const auto& off = run(scenario("normal", 1260, body, kReflexOff));
  const double hr_on = mean(on.beats, kHr, 1200, 1260) - mean(on.beats, kHr, 20, 60);
  const double hr_off = mean(off.beats, kHr, 1200, 1260) - mean(off.beats, kHr, 20, 60);
  const double map_on = mean(on.beats, kMap, 1200, 1260) - mean(on.beats, kMap, 20, 60);
  const double map_off = mean(off.beats, kMap, 1200, 1260) - mean(off.beats, kMap, 20, 60);
  std::printf("  reflex on: HR %+.1f/min, MAP %+.1f mmHg; off: HR %+.1f/min, MAP %+.1f mmHg\n",
              hr_on, map_on, hr_off, map_off);
  EXPECT_LT(hr_on, -1.0);  // reflex bradycardia
  EXPECT_GT(hr_off, 0.0);  // the drug's own small beta-1 effect, unopposed
  EXPECT_GT(map_on, 5.0);
  EXPECT_GT(map_off, map_on + 5.0);
}

TEST(Norepinephrine, BloodVolumeIsConservedThroughTheInfusion) {
  const auto& r = run(kNe);
  for (const auto& b : r.beats) {
    ASSERT_NEAR(b.blood_volume_mL, r.start_volume_mL, 1e-9 * r.start_volume_mL)
        << "beat at " << b.start_s << " s";
  }
}

// --- dobutamine ---

TEST(Dobutamine, RaisesContractilityAndOutputAndHeartRateModestly) {
  // hfref (the heart failure of the published studies), 5 mcg/kg/min for 900 s.
  const auto& r = run(scenario("hfref", 960, drug(60, "dobutamine", 5.0)));
  const double co0 = mean(r.beats, kCo, 20, 60), co1 = mean(r.beats, kCo, 900, 960);
  const double hr0 = mean(r.beats, kHr, 20, 60), hr1 = mean(r.beats, kHr, 900, 960);
  const double dp0 = mean(r.beats, kDpdt, 20, 60), dp1 = mean(r.beats, kDpdt, 900, 960);
  const double pcwp0 = mean(r.beats, kPcwp, 20, 60), pcwp1 = mean(r.beats, kPcwp, 900, 960);
  const auto ees = [](const physio::Observables& o) { return o.lv_elastance_mmHg_per_mL; };
  // End-systolic elastance in force, at whole seconds at end-systole is not guaranteed: compare
  // the largest value over a window (the peak of each beat's activation).
  auto peak = [&](double from, double to) {
    double m = 0;
    for (const auto& o : r.samples) {
      if (o.t_s >= from && o.t_s < to) m = std::max(m, ees(o));
    }
    return m;
  };
  const double e0 = peak(20, 60), e1 = peak(900, 960);
  std::printf(
      "  dobutamine 5: CO %.2f -> %.2f L/min (%+.0f%%), HR %.1f -> %.1f, dP/dt %.0f -> "
      "%.0f, Ees %.2f -> %.2f, PCWP %.1f -> %.1f\n",
      co0, co1, 100 * (co1 / co0 - 1), hr0, hr1, dp0, dp1, e0, e1, pcwp0, pcwp1);
  // Published: CO +30-60% at 5-10 mcg/kg/min, HR up modestly (data/drugs.toml).
  EXPECT_GT(co1 / co0, 1.2);
  EXPECT_LT(co1 / co0, 1.7);
  EXPECT_GT(hr1 - hr0, 1.0);
  EXPECT_LT(hr1 / hr0, 1.2);
  EXPECT_GT(dp1 / dp0, 1.2);
  EXPECT_GT(e1 / e0, 1.2);
  EXPECT_LT(pcwp1, pcwp0);
}

// --- nitroprusside ---

TEST(Nitroprusside, LowersArterialAndFillingPressures) {
  const auto& r = run(scenario("hfref", 360, drug(60, "nitroprusside", 1.0)));
  const double map0 = mean(r.beats, kMap, 20, 60), map1 = mean(r.beats, kMap, 300, 360);
  const double pcwp0 = mean(r.beats, kPcwp, 20, 60), pcwp1 = mean(r.beats, kPcwp, 300, 360);
  const double rap0 = mean(r.beats, kRap, 20, 60), rap1 = mean(r.beats, kRap, 300, 360);
  const double svr0 = mean(r.beats, kSvr, 20, 60), svr1 = mean(r.beats, kSvr, 300, 360);
  const double hr0 = mean(r.beats, kHr, 20, 60), hr1 = mean(r.beats, kHr, 300, 360);
  std::printf(
      "  nitroprusside 1: MAP %.1f -> %.1f, SVR %.1f -> %.1f, PCWP %.1f -> %.1f, RAP %.1f "
      "-> %.1f, HR %.1f -> %.1f\n",
      map0, map1, svr0, svr1, pcwp0, pcwp1, rap0, rap1, hr0, hr1);
  EXPECT_LT(map1, map0 - 3.0);
  EXPECT_GT(map1, map0 - 25.0);
  EXPECT_LT(svr1, 0.9 * svr0);
  EXPECT_LT(pcwp1, pcwp0 - 2.0);
  EXPECT_LT(rap1, rap0);
  EXPECT_GT(hr1, hr0);  // reflex tachycardia
}

// --- adenosine: hyperaemia inside a procedure ---

// The normal patient with an intermediate LAD stenosis (0.75 of its inflow conductance) from t = 0;
// intravenous adenosine at the FFR dose, 140 mcg/kg/min, from 60 s to 240 s. The pressure wire's
// Pd/Pa after a minute of infusion is the fractional flow reserve: it must read what maximal
// vasodilation for the whole run (coronary_autoregulation.hyperaemia = 1, `--hyperaemia`) reads,
// and the systemic changes must be those of the label's patients (Verani MS et al., Circulation
// 1990;82:80: systolic -8.7 +/- 19.3, diastolic -6.7 +/- 9.4 mmHg, heart rate +14.5 +/- 11.0 /min).
// Its short half-life: Pd/Pa and the LAD's flow are back within two minutes of stopping.
constexpr double kAdoStart = 60, kAdoStop = 240, kAdoEnd = 420;
const std::string kStenosedLad = "[[events]]\ntime = 0\nstenosis = \"LAD\"\nresidual = 0.75\n";

TEST(Adenosine, AnInfusionGivesTheFfrOfMaximalVasodilationAndWearsOffWithinMinutes) {
  constexpr std::size_t lad = 0;
  const auto& r = run(
      scenario("normal", kAdoEnd,
               kStenosedLad + drug(kAdoStart, "adenosine", 140) + drug(kAdoStop, "adenosine", 0)));
  const auto& hyper = run(scenario("normal", 60, kStenosedLad,
                                   "[overrides]\n\"coronary_autoregulation.hyperaemia\" = 1.0\n"));
  const Metric pd_pa = [](const sim::BeatMetrics& b) { return b.pd_pa[lad]; };
  const Metric flow = [](const sim::BeatMetrics& b) { return b.coronary_territory_mL_min[lad]; };
  const Metric sbp = [](const sim::BeatMetrics& b) { return b.aop_sys_mmHg; };
  const Metric dbp = [](const sim::BeatMetrics& b) { return b.aop_dia_mmHg; };
  const double ffr = mean(hyper.beats, pd_pa, 30, 60);
  const double rest = mean(r.beats, pd_pa, 30, 60);
  const double at_one_minute = mean(r.beats, pd_pa, kAdoStart + 60, kAdoStart + 70);
  const double infused = mean(r.beats, pd_pa, kAdoStop - 30, kAdoStop);
  const double flow0 = mean(r.beats, flow, 30, 60),
               flow1 = mean(r.beats, flow, kAdoStop - 30, kAdoStop);
  const double d_sbp = mean(r.beats, sbp, kAdoStop - 30, kAdoStop) - mean(r.beats, sbp, 30, 60);
  const double d_dbp = mean(r.beats, dbp, kAdoStop - 30, kAdoStop) - mean(r.beats, dbp, 30, 60);
  const double d_map = mean(r.beats, kMap, kAdoStop - 30, kAdoStop) - mean(r.beats, kMap, 30, 60);
  const double d_hr = mean(r.beats, kHr, kAdoStop - 30, kAdoStop) - mean(r.beats, kHr, 30, 60);
  std::cout << "LAD 0.75: resting Pd/Pa " << rest << "; adenosine 140 at 1 min " << at_one_minute
            << ", at 3 min " << infused << "; FFR of maximal vasodilation " << ffr << "; LAD flow "
            << flow0 << " -> " << flow1 << " mL/min; SBP " << d_sbp << ", DBP " << d_dbp << ", MAP "
            << d_map << " mmHg, HR " << d_hr << " /min\n";
  EXPECT_GT(rest, ffr + 0.05) << "the stenosis reads as intermediate at rest";
  EXPECT_NEAR(at_one_minute, ffr, 0.02) << "one minute of infusion is enough to read the FFR";
  EXPECT_NEAR(infused, ffr, 0.015);
  EXPECT_GT(flow1, 1.6 * flow0) << "the LAD's flow rises towards its (stenosis-limited) reserve";
  // Within one standard deviation of Verani et al.'s means.
  EXPECT_TRUE(d_sbp < 0 && d_sbp > -8.7 - 19.3) << d_sbp;
  EXPECT_TRUE(d_dbp < 0 && d_dbp > -6.7 - 9.4) << d_dbp;
  EXPECT_TRUE(d_hr > 14.5 - 11.0 && d_hr < 14.5 + 11.0) << d_hr;
  EXPECT_TRUE(d_map < -2.0 && d_map > -15.0) << d_map;
  // Stopped: back to rest within two minutes. Autoregulation's tone drifts towards constriction
  // during the infusion at (1 - D) of its pace (4% at this dose), so the flow dips a little as the
  // drug wears off (measured: 93% of rest 30 s after the stop), never far.
  EXPECT_NEAR(mean(r.beats, pd_pa, kAdoStop + 120, kAdoEnd), rest, 0.005);
  EXPECT_NEAR(mean(r.beats, flow, kAdoStop + 120, kAdoEnd), flow0, 0.02 * flow0);
  for (double t = kAdoStop; t < kAdoEnd - 10; t += 5) {
    EXPECT_GT(mean(r.beats, flow, t, t + 5), 0.9 * flow0) << "at " << t << " s";
  }
  // The other territories' wires read no stenosis, with or without the drug.
  EXPECT_EQ(
      mean(
          r.beats, [](const sim::BeatMetrics& b) { return b.pd_pa[1]; }, kAdoStop - 30, kAdoStop),
      1.0);
}

// --- the largest doses ---

TEST(DrugLimits, EveryDrugAtItsMaximumDoseRunsInEveryPreset) {
  for (const auto& preset : preset_names()) {
    const physio::PatientParameters p = load_preset(preset);
    std::string all;
    for (std::size_t d = 0; d < physio::drug_count; ++d) {
      const std::string name(physio::drug_names[d]);
      all += drug(10, name, p.drugs[d].maximum_dose);
      const auto& r = run(scenario(preset, 300, drug(10, name, p.drugs[d].maximum_dose)));
      ASSERT_FALSE(r.beats.empty()) << preset << " " << name;
      const double map = mean(r.beats, kMap, 240, 300);
      EXPECT_TRUE(map > 20 && map < 250) << preset << " " << name << ": MAP " << map;
    }
    // All of them together.
    const auto& r = run(scenario(preset, 300, all));
    EXPECT_TRUE(std::isfinite(mean(r.beats, kMap, 240, 300))) << preset;
  }
}

// --- a saved State mid-infusion ---

struct Tape final : sim::SimulationObserver {
  std::vector<double> numbers;
  double from_s = 0;
  void on_sample(const physio::Observables& o) override {
    if (o.t_s < from_s) return;
    for (const auto& c : physio::observable_columns()) numbers.push_back(c.get(o));
  }
  void on_beat(const sim::BeatMetrics& b) override {
    if (b.start_s < from_s) return;
    for (const auto& f : sim::metric_fields()) numbers.push_back(f.get(b));
  }
};

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

TEST(DrugState, ASavedStateMidInfusionContinuesBitForBit) {
  const auto model = testing::model_of(load_preset("normal"));
  const std::vector<sim::Event> events = {
      {1.5, sim::EventKind::drug_dose, 0, 0, 0.2},
      {2.25, sim::EventKind::drug_dose, 1, 0, 7.5},
      {9.5, sim::EventKind::drug_dose, 2, 0, 2.0},
      {11.0, sim::EventKind::drug_dose, 0, 0, 0.0},
  };
  constexpr double kSave_s = 6.7891, kEnd_s = 14.0;
  sim::Session original(model, sim::rest_state(*model));
  original.schedule(events);
  Tape a;
  original.set_recorder(&a, 0.005);
  original.advance_to(kSave_s);
  const sim::State saved = original.save();
  a.numbers.clear();
  a.from_s = kSave_s;
  original.advance_to(kEnd_s);

  sim::Session restored(model, saved);
  Tape b;
  b.from_s = kSave_s;
  restored.set_recorder(&b, 0.005);
  restored.advance_to(kEnd_s);
  EXPECT_GT(a.numbers.size(), 1000U);
  EXPECT_TRUE(same_bits(a.numbers, b.numbers));
  EXPECT_TRUE(sim::identical(original.save(), restored.save()));
  // The drugs acted: effect sites are up.
  EXPECT_GT(original.observe().drug_effect_site[1], 0.1);
}

TEST(DrugState, AStateFileMidInfusionRunsOnExactly) {
  const auto model = testing::model_of(load_preset("hrpci"));
  sim::Session s(model, sim::rest_state(*model));
  const std::vector<sim::Event> events = {{1.0, sim::EventKind::drug_dose, 2, 0, 3.0},
                                          {2.0, sim::EventKind::coronary_microvascular, 0, 0, 0.3},
                                          {7.0, sim::EventKind::drug_dose, 2, 0, 0.0}};
  s.schedule(events);
  s.advance_to(5.5);
  const sim::State saved = s.save();
  const fs::path file = temp_dir() / "mid-infusion.state";
  write_state_file(file, saved, *model, "test");
  const StateFile loaded = read_state_file(file);
  EXPECT_TRUE(sim::identical(saved, loaded.state));
  sim::Session a(model, saved);
  sim::Session b(loaded.model, loaded.state);
  a.advance_to(9.0);
  b.advance_to(9.0);
  const auto x = a.state(), y = b.state();
  EXPECT_TRUE(same_bits({x.begin(), x.end()}, {y.begin(), y.end()}));
  EXPECT_GT(x[physio::kDrugEffectSite0 + 2], 0.0);
}

TEST(DrugState, AnEventAppliedNowEqualsATimelineEventAtNow) {
  const auto model = testing::model_of(load_preset("normal"));
  sim::Session timeline(model, sim::rest_state(*model));
  const std::vector<sim::Event> events = {{3.0, sim::EventKind::drug_dose, 0, 0, 0.3}};
  timeline.schedule(events);
  timeline.advance_to(8.0);
  sim::Session now(model, sim::rest_state(*model));
  now.advance_to(3.0);
  now.apply({0.0, sim::EventKind::drug_dose, 0, 0, 0.3});
  now.advance_to(8.0);
  const auto x = timeline.state(), y = now.state();
  EXPECT_TRUE(same_bits({x.begin(), x.end()}, {y.begin(), y.end()}));
  // And a dose past the drug's maximum is refused at the Session too.
  EXPECT_THROW(now.apply({0.0, sim::EventKind::drug_dose, 0, 0, 3.5}), InputError);
  EXPECT_THROW(now.apply({0.0, sim::EventKind::drug_dose, 7, 0, 0.1}), InputError);
}

// --- no-reflow ---

TEST(NoReflow, RaisesTheTerritorysOxygenDebtLessThanOcclusionAndMoreThanNone) {
  const auto lad_debt = [](const physio::Observables& o) { return o.oxygen_debt_s[0]; };
  auto peak_debt = [&](const std::string& event) {
    const auto& r = run(scenario("hrpci", 200, event));
    double m = 0;
    for (const auto& o : r.samples) {
      if (o.t_s >= 30) m = std::max(m, lad_debt(o));
    }
    return m;
  };
  const double none = peak_debt("");
  const double slow =
      peak_debt("[[events]]\ntime = 30\nno_reflow = \"LAD\"\nresidual = 0.3\nduration = 120\n");
  const double occluded = peak_debt("[[events]]\ntime = 30\nballoon = \"LAD\"\nduration = 120\n");
  std::printf("  LAD peak oxygen debt: none %.2f s, no-reflow (0.3) %.2f s, occlusion %.2f s\n",
              none, slow, occluded);
  EXPECT_GT(slow, none + 1.0);
  EXPECT_LT(slow, 0.8 * occluded);
}

// The hyperaemia after a no-reflow is the bed's maximal dilation, as after a balloon: a first
// version let autoregulation's state wind up without bound behind the cap, and the end of a 3-min
// no-reflow in `shock` sent 3 L/min (40 times rest) into the LAD.
TEST(NoReflow, ItsEndBringsNoMoreHyperaemiaThanAnOcclusionOfTheSameLength) {
  const auto lad_flow = [](const physio::Observables& o) { return o.coronary_inflow_mL_s[0]; };
  auto peak_after = [&](const std::string& event) {
    const auto& r = run(scenario("hrpci", 260, event));
    double rest = 0, m = 0;
    for (const auto& o : r.samples) {
      if (o.t_s < 30) rest = std::max(rest, lad_flow(o));
      if (o.t_s >= 209) m = std::max(m, lad_flow(o));
    }
    return m / rest;
  };
  const double slow =
      peak_after("[[events]]\ntime = 30\nno_reflow = \"LAD\"\nresidual = 0.3\nduration = 180\n");
  const double occluded = peak_after("[[events]]\ntime = 30\nballoon = \"LAD\"\nduration = 180\n");
  std::printf(
      "  LAD peak inflow after 180 s, over its resting peak: no-reflow %.2f, occlusion %.2f\n",
      slow, occluded);
  EXPECT_GT(slow, 1.2) << "a reactive hyperaemia";
  EXPECT_LT(slow, 1.05 * occluded) << "no larger than the bed's maximal dilation";
}

// --- scenario errors: one InputError each, naming file, line and key ---

TEST(DrugScenario, MalformedDrugEventsAreOneClearErrorEach) {
  const std::string head = "[[events]]\ntime = 10\n";
  EXPECT_THAT(error_of(scenario("normal", 100, head + "drug = \"adrenaline\"\ndose = 0.1\n")),
              HasSubstr("bad.toml:6: key 'events[0].drug': expected a drug: norepinephrine, "
                        "dobutamine, nitroprusside, adenosine, got"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "drug = 3\ndose = 0.1\n")),
              HasSubstr("key 'events[0].drug': expected a string"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "drug = \"norepinephrine\"\n")),
              HasSubstr("key 'events[0].dose': missing (expected the norepinephrine infusion "
                        "rate from 0 to 3 mcg/kg/min"));
  EXPECT_THAT(
      error_of(scenario("normal", 100, head + "drug = \"norepinephrine\"\ndose = 3.5\n")),
      HasSubstr("bad.toml:7: key 'events[0].dose': expected a norepinephrine dose from 0 (stops "
                "it) to 3 mcg/kg/min"));
  EXPECT_THAT(
      error_of(scenario("normal", 100, head + "drug = \"dobutamine\"\ndose = -1\n")),
      HasSubstr("key 'events[0].dose': expected a dobutamine dose from 0 (stops it) to 40"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "drug = \"nitroprusside\"\ndose = nan\n")),
              HasSubstr("key 'events[0].dose': expected a nitroprusside dose"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "drug = \"nitroprusside\"\ndose = \"1\"\n")),
              HasSubstr("key 'events[0].dose'"));
  EXPECT_THAT(
      error_of(scenario("normal", 100, head + "drug = \"dobutamine\"\ndose = 5\nduration = 60\n")),
      HasSubstr("bad.toml:8: key 'events[0].duration': not a key of a drug event (expected "
                "time, drug and dose)"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "dose = 0.1\n")),
              HasSubstr("bad.toml:6: key 'events[0].dose': belongs to a drug event"));
  // Two rates of one drug at one instant: only the later would act; refused, naming the first.
  // Two drugs at one instant are fine.
  EXPECT_THAT(error_of(scenario("normal", 100,
                                head + "drug = \"adenosine\"\ndose = 140\n" + head +
                                    "drug = \"adenosine\"\ndose = 0\n")),
              AllOf(HasSubstr("bad.toml:10: key 'events[1].drug': the adenosine rate is "
                              "already set at 10 s ("),
                    HasSubstr("bad.toml:4): two values at one instant")));
  EXPECT_NO_THROW(io::load_scenario(
      write("two.toml", scenario("normal", 100,
                                 head + "drug = \"adenosine\"\ndose = 140\n" + head +
                                     "drug = \"norepinephrine\"\ndose = 0.1\n"))));
  // The range comes from the data: an override of the maximum moves it.
  EXPECT_THAT(error_of(scenario("normal", 100, head + "drug = \"norepinephrine\"\ndose = 0.6\n",
                                "[overrides]\n\"drugs.norepinephrine.maximum_dose\" = 0.5\n")),
              HasSubstr("to 0.5 mcg/kg/min"));
}

TEST(DrugScenario, MalformedNoReflowEventsAreOneClearErrorEach) {
  const std::string head = "[[events]]\ntime = 10\n";
  EXPECT_THAT(error_of(scenario("normal", 100,
                                head + "no_reflow = \"LDA\"\nresidual = 0.3\n"
                                       "duration = 60\n")),
              HasSubstr("bad.toml:6: key 'events[0].no_reflow': expected a coronary territory"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "no_reflow = \"LAD\"\nduration = 60\n")),
              HasSubstr("key 'events[0].residual': missing"));
  EXPECT_THAT(
      error_of(scenario("normal", 100, head + "no_reflow = \"LAD\"\nresidual = 0.3\n")),
      HasSubstr("key 'events[0].duration': missing (expected how long the no-reflow lasts"));
  EXPECT_THAT(error_of(scenario("normal", 100,
                                head + "no_reflow = \"LAD\"\nresidual = 1.3\n"
                                       "duration = 60\n")),
              HasSubstr("bad.toml:7: key 'events[0].residual': expected a residual fraction "
                        "of the microvascular conductance"));
  EXPECT_THAT(error_of(scenario("normal", 100,
                                head + "no_reflow = \"RCA\"\nresidual = 0.3\n"
                                       "duration = 95\n")),
              HasSubstr("the no-reflow must end by the end of the run"));
  EXPECT_THAT(error_of(scenario("normal", 100,
                                head + "no_reflow = \"LAD\"\nresidual = 0.3\n"
                                       "duration = 60\ndose = 3\n")),
              HasSubstr("key 'events[0].dose': not a key of a no_reflow event"));
  EXPECT_THAT(error_of(scenario("normal", 100,
                                head + "no_reflow = \"LAD\"\nballoon = \"LAD\"\n"
                                       "residual = 0.3\nduration = 60\n")),
              HasSubstr("one of a balloon, a stent, a stenosis or a no-reflow"));
  // One at a time in a territory (a balloon may cross it).
  EXPECT_THAT(error_of(scenario("normal", 200,
                                head + "no_reflow = \"LM\"\nresidual = 0.5\nduration = 60\n"
                                       "[[events]]\ntime = 30\n"
                                       "no_reflow = \"LAD\"\nresidual = 0.3\nduration = 60\n")),
              HasSubstr("key 'events[1].no_reflow': overlaps the no-reflow of LAD"));
  EXPECT_NO_THROW(load_scenario(write(
      "ok.toml", scenario("normal", 200,
                          head + "no_reflow = \"LM\"\nresidual = 0.5\nduration = 60\n"
                                 "[[events]]\ntime = 30\nballoon = \"LAD\"\nduration = 20\n"))));
}

// --- the command line: exit code 2, nothing written; the rerun from summary.json ---

int unload_command(const std::string& args) {
  const std::string command = "cd '" + temp_dir().string() + "' && '" UNLOAD_BINARY "' " + args +
                              " >/dev/null 2>'" + (temp_dir() / "stderr").string() + "'";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(DrugCli, ADoseOutOfRangeExitsWithTwoAndWritesNothing) {
  write("over.toml", scenario("normal", 30, drug(5, "nitroprusside", 12)));
  EXPECT_EQ(unload_command("run over.toml --out over"), 2);
  EXPECT_THAT(read_text(temp_dir() / "stderr"),
              HasSubstr("over.toml:7: key 'events[0].dose': expected a nitroprusside dose"));
  EXPECT_FALSE(fs::exists(temp_dir() / "over"));
}

TEST(DrugCli, ARunWithDrugsAndNoReflowIsMadeAgainFromItsSummary) {
  write("dr.toml", "[scenario]\npatient = \"hrpci\"\nduration = 40\noutput_rate = 50\n" +
                       drug(2.5, "norepinephrine", 0.1) + drug(5, "dobutamine", 5) +
                       "[[events]]\ntime = 6\nno_reflow = \"RCA\"\nresidual = 0.4\n"
                       "duration = 20\n" +
                       drug(20, "norepinephrine", 0));
  ASSERT_EQ(unload_command("run dr.toml --out first --force"), 0)
      << read_text(temp_dir() / "stderr");
  const auto summary = nlohmann::json::parse(read_text(temp_dir() / "first" / "summary.json"));
  const auto& events = summary["rerun"]["events"];
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["drug"], "norepinephrine");
  EXPECT_EQ(events[0]["dose"], 0.1);
  EXPECT_EQ(events[2]["no_reflow"], "RCA");
  EXPECT_EQ(events[2]["residual"], 0.4);
  EXPECT_EQ(events[3]["dose"], 0.0);
  ASSERT_EQ(unload_command("run first/summary.json --out second --force"), 0)
      << read_text(temp_dir() / "stderr");
  for (const char* file : {"waveforms.csv", "beats.csv"}) {
    EXPECT_EQ(read_text(temp_dir() / "first" / file), read_text(temp_dir() / "second" / file))
        << file;
  }
  const std::string waves = read_text(temp_dir() / "first" / "waveforms.csv");
  EXPECT_THAT(waves.substr(0, waves.find('\n')), HasSubstr("norepinephrine_effect_mcg_kg_min"));
}

}  // namespace
}  // namespace unload::io
