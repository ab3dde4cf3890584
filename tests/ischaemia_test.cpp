// Balloon ischaemia by coronary territory (issue 9): a balloon event lowers a territory's inflow,
// the territory's oxygen debt grows with the flow deficit, and its wall's function follows the
// debt: diastolic stiffening first, then loss of contraction; recovery after deflation, the
// end-diastolic pressure last. Each test runs a scenario file through the same path as `unload
// run` (load_scenario, prepare_run, Session) and asserts on the beats.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "beat_series.hpp"
#include "scenario_errors.hpp"
#include "test_files.hpp"
#include "unload/core/error.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/session.hpp"

namespace unload::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::error_of;
using testing::temp_dir;
using testing::write;

struct BeatLog : sim::SimulationObserver {
  std::vector<sim::BeatMetrics> beats;
  void on_beat(const sim::BeatMetrics& b) override { beats.push_back(b); }
};

// The beats of a scenario run (cached by its text: several tests read the same run).
const std::vector<sim::BeatMetrics>& run(const std::string& text) {
  static std::map<std::string, std::vector<sim::BeatMetrics>> cache;
  if (auto it = cache.find(text); it != cache.end()) return it->second;
  const Scenario s = load_scenario(write("s" + std::to_string(cache.size()) + ".toml", text));
  const PreparedRun prepared = prepare_run(s);
  sim::Session session(prepared.model, prepared.start, prepared.bindings);
  std::vector<sim::Event> events;
  for (const auto& e : s.events) events.push_back(e.event);
  session.schedule(events);
  BeatLog log;
  session.set_recorder(&log, 0.0);
  session.advance_to(s.duration_s);
  return cache[text] = std::move(log.beats);
}

std::string scenario(double duration, const std::string& body, const std::string& devices = "") {
  return "[scenario]\npatient = \"hrpci\"\nduration = " + std::to_string(duration) + "\n" +
         devices + body;
}
std::string balloon(double time, const std::string& territory, double duration,
                    double residual = 0.0) {
  return "[[events]]\ntime = " + std::to_string(time) + "\nballoon = \"" + territory +
         "\"\nduration = " + std::to_string(duration) + "\nresidual = " + std::to_string(residual) +
         "\n";
}
const std::string kCp = "[[devices]]\nkind = \"impella-cp\"\nlevel = \"P8\"\n";

using testing::mean;
using testing::Metric;
const Metric kLvedp = [](const sim::BeatMetrics& b) { return b.lvedp_mmHg; };
const Metric kEf = [](const sim::BeatMetrics& b) { return b.ef_pct; };
const Metric kDpdt = [](const sim::BeatMetrics& b) { return b.dpdt_max_mmHg_s; };
const Metric kMap = [](const sim::BeatMetrics& b) { return b.map_mmHg; };
const Metric kPva = [](const sim::BeatMetrics& b) { return b.pva_mmHg_mL; };

double extreme(const std::vector<sim::BeatMetrics>& beats, const Metric& m, double from, double to,
               bool highest) {
  double v = highest ? -1e300 : 1e300;
  for (const auto& b : beats) {
    if (b.start_s >= from && b.start_s < to) v = highest ? std::max(v, m(b)) : std::min(v, m(b));
  }
  return v;
}
// First beat start from `from` on where the metric has moved by more than `fraction` of its
// baseline (up or down); infinity if never before `to`.
double first_change(const std::vector<sim::BeatMetrics>& beats, const Metric& m, double baseline,
                    double fraction, bool up, double from, double to) {
  for (const auto& b : beats) {
    if (b.start_s < from || b.start_s >= to) continue;
    const double change = (m(b) - baseline) / baseline;
    if (up ? change > fraction : change < -fraction) return b.start_s;
  }
  return INFINITY;
}
// Last beat start in [from, to) at which the metric was still off its baseline by more than
// `fraction`: after it, the metric stays within the band.
double recovered_by(const std::vector<sim::BeatMetrics>& beats, const Metric& m, double baseline,
                    double fraction, double from, double to) {
  double last = from;
  for (const auto& b : beats) {
    if (b.start_s < from || b.start_s >= to) continue;
    if (std::abs(m(b) - baseline) > fraction * std::abs(baseline)) last = b.start_s;
  }
  return last;
}

// Two 60 s inflations of the left main in hrpci without support: at 30 s and, two minutes after
// the first deflation, at 210 s.
const std::string kTwoLm = scenario(330, balloon(30, "LM", 60) + balloon(210, "LM", 60));
// The first inflation alone (a run of the same file up to 210 s is the same run).
constexpr double kInflate = 30, kDeflate = 90, kSecond = 210;

TEST(Ischaemia, LeftMainInflationDepressesTheVentricleAndLowersPressure) {
  const auto& beats = run(kTwoLm);
  for (const auto& [name, m, up] :
       std::vector<std::tuple<std::string, Metric, bool>>{{"LVEDP", kLvedp, true},
                                                          {"EF", kEf, false},
                                                          {"dP/dt max", kDpdt, false},
                                                          {"MAP", kMap, false}}) {
    const double before = mean(beats, m, 10, kInflate);
    const double late = mean(beats, m, kDeflate - 15, kDeflate);
    if (up) {
      EXPECT_GT(late, 1.3 * before) << name << " rises during the inflation";
    } else {
      EXPECT_LT(late, 0.9 * before) << name << " falls during the inflation";
    }
  }
}

// Relaxation first (Serruys et al., Acta Med Scand Suppl 1984;694:197: peak negative dP/dt and the
// time constant of relaxation respond earliest, then peak pressure, LVEDP and +dP/dt): the slower
// relaxation shows in tau a beat before dP/dt max falls, and, with the stiffer wall, in the
// diastolic pressure-volume point
// (LVEDP/LVEDV) no later than dP/dt max falls.
TEST(Ischaemia, RelaxationAndTheDiastolicPointChangeBeforeContraction) {
  const auto& beats = run(kTwoLm);
  const Metric stiffness = [](const sim::BeatMetrics& b) { return b.lvedp_mmHg / b.lvedv_mL; };
  const Metric relaxation = [](const sim::BeatMetrics& b) { return b.tau_ms; };
  const double k0 = mean(beats, stiffness, 10, kInflate);
  const double dpdt0 = mean(beats, kDpdt, 10, kInflate);
  const double relax0 = mean(beats, relaxation, 10, kInflate);
  const double stiffer = first_change(beats, stiffness, k0, 0.05, true, kInflate, kDeflate);
  const double slower = first_change(beats, relaxation, relax0, 0.05, true, kInflate, kDeflate);
  const double weaker = first_change(beats, kDpdt, dpdt0, 0.05, false, kInflate, kDeflate);
  std::cout << "5% changes after the inflation: tau " << slower - kInflate << " s, LVEDP/LVEDV "
            << stiffer - kInflate << " s, +dP/dt " << weaker - kInflate << " s\n";
  EXPECT_LT(slower - kInflate, 5.0) << "relaxation slows within 5 s";
  EXPECT_LT(stiffer - kInflate, 5.0) << "diastolic change within 5 s";
  EXPECT_LT(slower, weaker) << "relaxation (tau) changes before contraction (+dP/dt)";
  EXPECT_GT(extreme(beats, relaxation, kInflate, kDeflate, true), 1.25 * relax0)
      << "tau lengthens by a quarter or more (+47% in pacing ischaemia, Takeuchi 1985)";
  // The diastolic point crosses 5% in the same beat as +dP/dt (known gap: not before it).
  EXPECT_LE(stiffer, weaker) << "the diastolic PV point moves no later than contraction";
  const double edp0 = mean(beats, kLvedp, 10, kInflate);
  EXPECT_LT(first_change(beats, kLvedp, edp0, 0.05, true, kInflate, kDeflate) - kInflate, 10.0)
      << "LVEDP up within 10 s";
}

TEST(Ischaemia, RecoveryWithinTwoMinutesOfDeflationEndDiastolicPressureLast) {
  const auto& beats = run(kTwoLm);
  const auto baseline = [&](const Metric& m) { return mean(beats, m, 10, kInflate); };
  const double edp = recovered_by(beats, kLvedp, baseline(kLvedp), 0.05, kDeflate, kSecond);
  const double ef = recovered_by(beats, kEf, baseline(kEf), 0.05, kDeflate, kSecond);
  const double dpdt = recovered_by(beats, kDpdt, baseline(kDpdt), 0.05, kDeflate, kSecond);
  const double map = recovered_by(beats, kMap, baseline(kMap), 0.05, kDeflate, kSecond);
  EXPECT_LT(edp - kDeflate, 120.0) << "LVEDP back within 5% within two minutes";
  EXPECT_GT(edp - kDeflate, 30.0) << "recovery takes tens of seconds, not a few beats";
  EXPECT_GE(edp, ef) << "LVEDP recovers last";
  EXPECT_GE(edp, dpdt) << "LVEDP recovers last";
  EXPECT_GE(edp, map) << "LVEDP recovers last";
}

TEST(Ischaemia, ImpellaCpAtP8KeepsPressureUpAndUnloadsDuringTheInflation) {
  const auto& bare = run(kTwoLm);
  // The pump runs from t = 0; the balloon comes after it has settled (at 60 s).
  const auto& cp = run(scenario(160, balloon(60, "LM", 60), kCp));
  const double map_bare = extreme(bare, kMap, kInflate, kDeflate + 10, false);
  const double map_cp = extreme(cp, kMap, 60, 130, false);
  EXPECT_GT(map_cp, map_bare + 5.0) << "lowest MAP higher with the CP";
  EXPECT_LT(extreme(cp, kLvedp, 60, 130, true),
            extreme(bare, kLvedp, kInflate, kDeflate + 10, true))
      << "peak LVEDP lower with the CP";
  EXPECT_LT(extreme(cp, kPva, 60, 130, true), extreme(bare, kPva, kInflate, kDeflate + 10, true))
      << "peak PVA lower with the CP";
}

TEST(Ischaemia, PartialOcclusionHurtsLessThanTotal) {
  const auto& total = run(kTwoLm);
  const auto& partial = run(scenario(100, balloon(30, "LM", 60, 0.5)));
  const double edp0 = mean(total, kLvedp, 10, kInflate);
  const double rise_total = extreme(total, kLvedp, kInflate, kDeflate, true) - edp0;
  const double rise_partial = extreme(partial, kLvedp, kInflate, kDeflate, true) - edp0;
  EXPECT_LT(rise_partial, 0.7 * rise_total);
  EXPECT_GT(extreme(partial, kDpdt, kInflate, kDeflate, false),
            extreme(total, kDpdt, kInflate, kDeflate, false));
  EXPECT_GT(extreme(partial, kMap, kInflate, kDeflate, false),
            extreme(total, kMap, kInflate, kDeflate, false));
}

// Time (s after `from`) at which the metric first falls through `fraction` below its baseline,
// interpolated linearly between beat starts (a beat lasts about 0.75 s here: the crossing beat
// alone would round the time to whole beats).
double crossing(const std::vector<sim::BeatMetrics>& beats, const Metric& m, double baseline,
                double fraction, double from, double to) {
  const double line = baseline * (1.0 - fraction);
  double t_prev = from, v_prev = baseline;
  for (const auto& b : beats) {
    if (b.start_s < from || b.start_s >= to) continue;
    const double v = m(b);
    if (v < line) return t_prev + (v_prev - line) / (v_prev - v) * (b.start_s - t_prev) - from;
    t_prev = b.start_s, v_prev = v;
  }
  return INFINITY;
}

TEST(Ischaemia, SecondInflationWithinThreeMinutesHurtsFasterAndDeeper) {
  const auto& beats = run(kTwoLm);
  const double dpdt0 = mean(beats, kDpdt, 10, kInflate);
  const double first = crossing(beats, kDpdt, dpdt0, 0.15, kInflate, kDeflate);
  const double second = crossing(beats, kDpdt, dpdt0, 0.15, kSecond, kSecond + 60);
  std::cout << "dP/dt max 15% below baseline " << first << " s into the first inflation, " << second
            << " s into the second\n";
  EXPECT_LT(second, first - 0.5) << "dP/dt max falls by 15% sooner";
  EXPECT_LT(mean(beats, kDpdt, kSecond, kSecond + 15), mean(beats, kDpdt, kInflate, kInflate + 15))
      << "lower over the first 15 s";
  EXPECT_LT(extreme(beats, kDpdt, kSecond, kSecond + 60, false),
            extreme(beats, kDpdt, kInflate, kDeflate, false))
      << "and deeper";
}

// Systolic bulging (dyskinesis): the territory's wall that has lost its contraction is a passive
// region in parallel with the contracting wall, stretched outward when LV pressure rises. The
// LAD's regional ejection (its wall's end-diastolic minus end-systolic volume) falls from its
// share of the stroke through 0 (akinesis) to below 0 (dyskinesis) as the debt grows: within
// 30-50 s of a PTCA occlusion (JACC 1988;12:341, marked anterior dyskinesia), not in the first
// seconds.
const Metric kLadEjection = [](const sim::BeatMetrics& b) { return b.regional_ejection_mL[0]; };
const Metric kLcxEjection = [](const sim::BeatMetrics& b) { return b.regional_ejection_mL[1]; };

// First beat start in [from, to) at which the metric is below `line`; infinity if none.
double first_below(const std::vector<sim::BeatMetrics>& beats, const Metric& m, double line,
                   double from, double to) {
  for (const auto& b : beats) {
    if (b.start_s >= from && b.start_s < to && m(b) < line) return b.start_s;
  }
  return INFINITY;
}

TEST(Ischaemia, TheIschaemicWallBulgesInSystoleWithinAMinute) {
  const auto& beats = run(kTwoLm);
  const double lad0 = mean(beats, kLadEjection, 10, kInflate);
  const double lcx0 = mean(beats, kLcxEjection, 10, kInflate);
  const double akinetic = first_below(beats, kLadEjection, 0.1 * lad0, kInflate, kDeflate);
  const double dyskinetic = first_below(beats, kLadEjection, 0.0, kInflate, kDeflate);
  const double deepest = extreme(beats, kLadEjection, kInflate, kDeflate, false);
  std::cout << "LAD regional ejection " << lad0 << " mL before; below 10% of it "
            << akinetic - kInflate << " s and below 0 " << dyskinetic - kInflate
            << " s into the inflation; lowest " << deepest << " mL (LCx: " << lcx0 << " -> "
            << extreme(beats, kLcxEjection, kInflate, kDeflate, false) << " mL)\n";
  EXPECT_GT(lad0, 5.0) << "at rest the LAD's wall ejects its share of the stroke";
  EXPECT_GT(extreme(beats, kLadEjection, kInflate, kInflate + 5, false), 0.5 * lad0)
      << "no bulging in the first seconds: the wall still contracts";
  EXPECT_GE(dyskinetic - kInflate, 15.0) << "akinesis, then dyskinesis: not at once";
  EXPECT_LE(dyskinetic - kInflate, 60.0) << "dyskinesis within the 60 s inflation";
  EXPECT_LT(akinetic, dyskinetic) << "akinesis comes before dyskinesis";
  EXPECT_LT(deepest, -1.0) << "the wall bulges by more than a millilitre";
  EXPECT_LT(extreme(beats, kLcxEjection, kInflate, kDeflate, false), 0.0)
      << "the LCx territory bulges too (left main)";
}

// A residual 15% of the territory's resting inflow conductance (collaterals, a subtotal lesion: a
// resistance in series, so that the bed fully dilated behind it gets about 17% of its resting flow)
// slows the debt: the wall still reaches dyskinesis, later and less deep; half the conductance
// leaves none.
// After deflation the wall contracts again.
TEST(Ischaemia, PartialOcclusionBulgesLaterAndLessAndDeflationRecovers) {
  const auto& total = run(kTwoLm);
  const auto& subtotal = run(scenario(100, balloon(30, "LM", 60, 0.15)));
  const auto& half = run(scenario(100, balloon(30, "LM", 60, 0.5)));
  const double lad0 = mean(total, kLadEjection, 10, kInflate);
  const double deepest_total = extreme(total, kLadEjection, kInflate, kDeflate, false);
  const double deepest_subtotal = extreme(subtotal, kLadEjection, kInflate, kDeflate, false);
  const double deepest_half = extreme(half, kLadEjection, kInflate, kDeflate, false);
  std::cout << "lowest LAD regional ejection: total " << deepest_total << " mL, residual 0.15 "
            << deepest_subtotal << " mL, residual 0.5 " << deepest_half << " mL\n";
  EXPECT_GT(deepest_subtotal, deepest_total + 1.0) << "a subtotal occlusion bulges less";
  EXPECT_GT(first_below(subtotal, kLadEjection, 0.0, kInflate, kDeflate),
            first_below(total, kLadEjection, 0.0, kInflate, kDeflate) + 5.0)
      << "and later";
  EXPECT_GT(deepest_half, 0.5 * lad0) << "half the conductance: the wall keeps contracting";
  // Back within 10% of its resting regional ejection within 90 s of deflation, and there well
  // before the second inflation.
  EXPECT_LT(recovered_by(total, kLadEjection, lad0, 0.1, kDeflate, kSecond) - kDeflate, 90.0);
  EXPECT_NEAR(mean(total, kLadEjection, kSecond - 20, kSecond), lad0, 0.1 * lad0);
}

TEST(Ischaemia, BloodVolumeIsConservedThroughInflationAndDeflation) {
  const auto& beats = run(kTwoLm);
  ASSERT_FALSE(beats.empty());
  const double v0 = beats.front().blood_volume_mL;
  for (const auto& b : beats) EXPECT_NEAR(b.blood_volume_mL, v0, 1e-9 * v0);
}

TEST(Ischaemia, RightCoronaryInflationSparesTheLeftMoreThanLeftMain) {
  const auto& lm = run(kTwoLm);
  const auto& rca = run(scenario(100, balloon(30, "RCA", 60)));
  EXPECT_GT(extreme(rca, kDpdt, kInflate, kDeflate, false),
            extreme(lm, kDpdt, kInflate, kDeflate, false));
}

TEST(Ischaemia, AStentEndsAnInflationEarly) {
  const auto& stented =
      run(scenario(100, balloon(30, "LAD", 60) + "[[events]]\ntime = 45\nstent = \"LAD\"\n"));
  const auto& full = run(scenario(100, balloon(30, "LAD", 60)));
  EXPECT_GT(extreme(stented, kDpdt, kInflate, kDeflate, false),
            extreme(full, kDpdt, kInflate, kDeflate, false));
}

// --- scenario errors: one InputError each, naming file, line and key ---

TEST(IschaemiaScenario, UnknownTerritoryIsAnError) {
  const std::string m = error_of(scenario(100, balloon(30, "LAX", 20)));
  EXPECT_THAT(m, HasSubstr("bad.toml:6: key 'events[0].balloon'"));
  EXPECT_THAT(m, HasSubstr("LAD, LCx, RCA or LM"));
}

TEST(IschaemiaScenario, DurationPastTheEndIsAnError) {
  const std::string m = error_of(scenario(100, balloon(80, "LAD", 30)));
  EXPECT_THAT(m, HasSubstr("bad.toml:7: key 'events[0].duration'"));
  EXPECT_THAT(m, HasSubstr("by the end of the run"));
}

TEST(IschaemiaScenario, OverlappingInflationsInOneTerritoryAreAnError) {
  // LM takes the LAD: an LAD inflation during it overlaps.
  const std::string m = error_of(scenario(200, balloon(30, "LM", 60) + balloon(60, "LAD", 30)));
  EXPECT_THAT(m, HasSubstr("bad.toml:11: key 'events[1].balloon'"));
  EXPECT_THAT(m, HasSubstr("overlaps the inflation of LAD from 30 to 90 s"));
  // The RCA during an LM inflation does not overlap it.
  EXPECT_NO_THROW(load_scenario(
      write("ok.toml", scenario(200, balloon(30, "LM", 60) + balloon(60, "RCA", 30)))));
}

TEST(IschaemiaScenario, ResidualOutsideZeroToOneIsAnError) {
  const std::string m = error_of(scenario(100, balloon(30, "RCA", 20, 1.5)));
  EXPECT_THAT(m, HasSubstr("bad.toml:8: key 'events[0].residual'"));
  EXPECT_THAT(m, HasSubstr("from 0 to 1"));
}

TEST(IschaemiaScenario, MissingDurationAndStrayKeysAreErrors) {
  EXPECT_THAT(error_of(scenario(100, "[[events]]\ntime = 3\nballoon = \"LAD\"\n")),
              HasSubstr("key 'events[0].duration': missing"));
  EXPECT_THAT(error_of(scenario(100,
                                "[[events]]\ntime = 3\nballoon = \"LAD\"\nduration = "
                                "5\nlevel = \"P2\"\n")),
              HasSubstr("bad.toml:8: key 'events[0].level': not a key of a balloon event"));
}

TEST(IschaemiaScenario, BalloonsAndStentsBecomeTimedInflowEvents) {
  const Scenario s = load_scenario(write(
      "lm.toml",
      scenario(200, balloon(30, "LM", 60, 0.2) + "[[events]]\ntime = 50\nstent = \"LAD\"\n")));
  ASSERT_EQ(s.events.size(), 5u);  // LAD and LCx inflated, LAD stented (ends its inflation), both
                                   // deflated (LAD at the stent)
  std::vector<std::tuple<double, std::uint32_t, double>> got;
  for (const auto& e : s.events) {
    EXPECT_EQ(e.event.kind, sim::EventKind::coronary_inflow);
    got.emplace_back(e.event.time_s, e.event.device, e.event.value);
  }
  EXPECT_EQ(got, (std::vector<std::tuple<double, std::uint32_t, double>>{
                     {30, 0, 0.2}, {30, 1, 0.2}, {50, 0, 1.0}, {50, 0, 1.0}, {90, 1, 1.0}}));
}

// A lasting stenosis: a balloon in its territory deflates back to it, and a stent treats it.
TEST(IschaemiaScenario, AStenosisLastsUntilAStentAndABalloonDeflatesBackToIt) {
  const Scenario s = load_scenario(write(
      "stenosis.toml", scenario(200, "[[events]]\ntime = 10\nstenosis = \"LAD\"\nresidual = 0.7\n" +
                                         balloon(30, "LAD", 20) + balloon(100, "LAD", 60) +
                                         "[[events]]\ntime = 120\nstent = \"LAD\"\n")));
  std::vector<std::tuple<double, std::uint32_t, double>> got;
  for (const auto& e : s.events) got.emplace_back(e.event.time_s, e.event.device, e.event.value);
  EXPECT_EQ(
      got,
      (std::vector<std::tuple<double, std::uint32_t, double>>{
          {10, 0, 0.7}, {30, 0, 0.0}, {50, 0, 0.7}, {100, 0, 0.0}, {120, 0, 1.0}, {120, 0, 1.0}}));
  // The stenosis and the stent are lasting (the procedure's metrics count no inflation for
  // them); the balloons' inflations and deflations are transient.
  std::vector<std::uint32_t> settings;
  for (const auto& e : s.events) settings.push_back(e.event.setting);
  EXPECT_EQ(settings, (std::vector<std::uint32_t>{sim::kCoronaryLasting, sim::kCoronaryTransient,
                                                  sim::kCoronaryTransient, sim::kCoronaryTransient,
                                                  sim::kCoronaryTransient, sim::kCoronaryLasting}));
}

TEST(IschaemiaScenario, AStenosisNeedsItsResidualAndNoInflationThere) {
  EXPECT_THAT(error_of(scenario(100, "[[events]]\ntime = 3\nstenosis = \"LAD\"\n")),
              HasSubstr("key 'events[0].residual': missing"));
  const std::string zero =
      error_of(scenario(100, "[[events]]\ntime = 3\nstenosis = \"RCA\"\nresidual = 0\n"));
  EXPECT_THAT(zero, HasSubstr("bad.toml:7: key 'events[0].residual'"));
  EXPECT_THAT(zero, HasSubstr("more than 0 and at most 1"));
  EXPECT_THAT(error_of(scenario(100,
                                "[[events]]\ntime = 3\nstenosis = \"LAD\"\nresidual = "
                                "0.5\nduration = 5\n")),
              HasSubstr("key 'events[0].duration': not a key of a stenosis event"));
  const std::string during = error_of(scenario(
      100, balloon(30, "LM", 20) + "[[events]]\ntime = 40\nstenosis = \"LCx\"\nresidual = 0.5\n"));
  EXPECT_THAT(during, HasSubstr("key 'events[1].stenosis'"));
  EXPECT_THAT(during, HasSubstr("a balloon is inflated in the LCx from 30 to 50 s"));
}

// What a pressure wire reads in a run: a stenosis lowers the territory's Pd/Pa (and its diastolic
// ratio further), and the stent brings it back to 1.
TEST(Ischaemia, APressureWireReadsAStenosisUntilItsStent) {
  const auto& beats = run(scenario(120,
                                   "[[events]]\ntime = 10\nstenosis = \"LAD\"\nresidual = 0.7\n"
                                   "[[events]]\ntime = 80\nstent = \"LAD\"\n"));
  const Metric pd_pa = [](const sim::BeatMetrics& b) { return b.pd_pa[0]; };
  const Metric dpr = [](const sim::BeatMetrics& b) { return b.dpr[0]; };
  EXPECT_EQ(extreme(beats, pd_pa, 0, 9, false), 1.0);
  const double narrowed = mean(beats, pd_pa, 50, 78);
  EXPECT_LT(narrowed, 0.95);
  EXPECT_GT(narrowed, 0.7);
  EXPECT_LT(mean(beats, dpr, 50, 78), narrowed);
  EXPECT_EQ(extreme(beats, pd_pa, 81, 120, true), 1.0);
  EXPECT_EQ(extreme(beats, pd_pa, 81, 120, false), 1.0);
}

// A stenosis and an infusion from t = 0 are the patient's: the steady start reaches its steady
// state with them, so the run begins level (the first beat as the last); the same two given a
// beat later start their transients there (autoregulation, the drug's effect site), as before.
TEST(Ischaemia, AStenosisAndAnInfusionFromTimeZeroAreInTheSteadyStart) {
  const std::string lasting =
      "[[events]]\ntime = {t}\nstenosis = \"LAD\"\nresidual = 0.6\n"
      "[[events]]\ntime = {t}\ndrug = \"norepinephrine\"\ndose = 0.1\n";
  const auto at = [&](const std::string& t) {
    std::string text = lasting;
    for (auto p = text.find("{t}"); p != std::string::npos; p = text.find("{t}")) {
      text.replace(p, 3, t);
    }
    return scenario(90, text);
  };
  const Scenario s = load_scenario(write("standing.toml", at("0")));
  EXPECT_EQ(s.standing.coronary_inflow_fraction[0], 0.6);
  EXPECT_EQ(s.standing.coronary_inflow_fraction[1], 1.0);
  EXPECT_EQ(s.standing.drug_dose[0], 0.1);
  EXPECT_THAT(prepare_run(s).report.text(),
              HasSubstr("with an LAD stenosis leaving 0.6 of its inflow conductance, "
                        "norepinephrine 0.1 mcg/kg/min"));

  const Metric lad = [](const sim::BeatMetrics& b) { return b.coronary_territory_mL_min[0]; };
  const Metric pd_pa = [](const sim::BeatMetrics& b) { return b.pd_pa[0]; };
  const auto& standing = run(at("0"));
  const auto& onset = run(at("0.5"));
  ASSERT_GT(standing.size(), 100u);
  const sim::BeatMetrics& first = standing.front();
  const double end_map = mean(standing, kMap, 80, 90), end_lad = mean(standing, lad, 80, 90);
  EXPECT_NEAR(first.map_mmHg, end_map, 0.005 * end_map);
  EXPECT_NEAR(first.coronary_territory_mL_min[0], end_lad, 0.01 * end_lad);
  EXPECT_NEAR(first.pd_pa[0], mean(standing, pd_pa, 80, 90), 0.002);
  EXPECT_LT(first.pd_pa[0], 0.9);
  // Given later, the drug raises MAP over minutes (tau 208 s) from the patient without it, and
  // the stenosis first takes the LAD's flow down until autoregulation dilates its bed.
  EXPECT_LT(mean(onset, kMap, 80, 90), end_map - 2.0);
  EXPECT_LT(extreme(onset, lad, 1, 10, false), 0.95 * end_lad);
}

}  // namespace
}  // namespace unload::io
