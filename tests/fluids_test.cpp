// Fluids and bleeding (issue 9): a fluid event infuses into the vena cava, a bleeding event takes
// blood from the systemic arteries. A bolus raises the filling pressures; a bleed lowers them and
// the baroreflex raises the heart rate; the run made again from its summary.json is the same run;
// malformed events are one clear error each. Runs go through the same path as `unload run`
// (load_scenario, prepare_run, Session).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "scenario_errors.hpp"
#include "session_support.hpp"
#include "test_files.hpp"
#include "unload/core/error.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/sim/session.hpp"

namespace unload::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::error_of;
using testing::read_text;
using testing::temp_dir;
using testing::write;

struct BeatLog : sim::SimulationObserver {
  std::vector<sim::BeatMetrics> beats;
  void on_beat(const sim::BeatMetrics& b) override { beats.push_back(b); }
};

struct RunResult {
  std::vector<sim::BeatMetrics> beats;
  double start_volume_mL = 0;
  double lowest_arterial_volume_mL = 1e300;  // at whole seconds
};

// A scenario's run (cached by its text: several tests read the same run).
const RunResult& run(const std::string& text) {
  static std::map<std::string, RunResult> cache;
  if (auto it = cache.find(text); it != cache.end()) return it->second;
  std::string name = "s";
  name += std::to_string(cache.size());
  name += ".toml";
  const Scenario s = load_scenario(write(name, text));
  BeatLog log;
  RunResult r;
  testing::run_scenario(s, log, [&](sim::Session& session) {
    if (session.time() == 0.0) {
      r.start_volume_mL = physio::Circulation::blood_volume_mL(session.state());
      return;
    }
    r.lowest_arterial_volume_mL =
        std::min(r.lowest_arterial_volume_mL, session.state()[physio::kSystemicArteriesVolume]);
  });
  r.beats = std::move(log.beats);
  return cache[text] = std::move(r);
}

std::string scenario(const std::string& patient, double duration, const std::string& body) {
  return "[scenario]\npatient = \"" + patient + "\"\nduration = " + std::to_string(duration) +
         "\n" + body;
}
std::string fluid(double time, double mL, double over_s = 0) {
  return "[[events]]\ntime = " + std::to_string(time) + "\nfluid_mL = " + std::to_string(mL) +
         "\n" + (over_s > 0 ? "over_s = " + std::to_string(over_s) + "\n" : "");
}
std::string bleed(double time, double mL_min, double duration, const std::string& site = "") {
  return "[[events]]\ntime = " + std::to_string(time) +
         "\nbleeding_mL_min = " + std::to_string(mL_min) +
         "\nduration = " + std::to_string(duration) + "\n" +
         (site.empty() ? "" : "site = \"" + site + "\"\n");
}

struct Means {
  double rap = 0, pcwp = 0, hr = 0, map = 0;
};
// Means over the beats that start in [from, to).
Means mean(const std::vector<sim::BeatMetrics>& beats, double from, double to) {
  Means m;
  int n = 0;
  for (const auto& b : beats) {
    if (b.start_s < from || b.start_s >= to) continue;
    m.rap += b.rap_mmHg;
    m.pcwp += b.pcwp_mmHg;
    m.hr += b.hr_bpm;
    m.map += b.map_mmHg;
    ++n;
  }
  EXPECT_GT(n, 0) << "no beat in [" << from << ", " << to << ")";
  m.rap /= n;
  m.pcwp /= n;
  m.hr /= n;
  m.map /= n;
  return m;
}
void print(const char* what, const Means& m) {
  std::printf("  %-34s RAP %5.2f  PCWP %5.2f  HR %6.2f  MAP %6.2f\n", what, m.rap, m.pcwp, m.hr,
              m.map);
}

// A 500 mL bolus over 60 s at 30 s, read 60 to 90 s after it ends.
TEST(Fluids, A500MillilitreBolusRaisesRightAtrialAndWedgePressure) {
  for (const char* patient : {"normal", "hrpci"}) {
    const RunResult& r = run(scenario(patient, 180, fluid(30, 500)));
    const Means before = mean(r.beats, 10, 30), after = mean(r.beats, 150, 180);
    std::printf("%s, 500 mL bolus over 60 s:\n", patient);
    print("before", before);
    print("60-90 s after the bolus", after);
    EXPECT_GT(after.rap, before.rap + 0.5) << patient;
    EXPECT_GT(after.pcwp, before.pcwp + 0.5) << patient;
    EXPECT_NEAR(r.beats.back().infused_mL, 500.0, 1e-6) << patient;
    EXPECT_EQ(r.beats.back().bled_mL, 0.0) << patient;
  }
}

// 100 mL/min for 5 min (500 mL) from 30 s, read in the last 30 s of the bleed.
TEST(Fluids, BleedingLowersFillingPressuresAndTheBaroreflexRaisesHeartRate) {
  for (const char* patient : {"normal", "hrpci"}) {
    const RunResult& r = run(scenario(patient, 340, bleed(30, 100, 300, "femoral")));
    const Means before = mean(r.beats, 10, 30), after = mean(r.beats, 300, 330);
    std::printf("%s, 500 mL bled over 5 min:\n", patient);
    print("before", before);
    print("last 30 s of the bleed", after);
    EXPECT_LT(after.rap, before.rap - 0.3) << patient;
    EXPECT_LT(after.pcwp, before.pcwp - 0.5) << patient;
    EXPECT_GT(after.hr, before.hr + 1.0) << patient;
    EXPECT_NEAR(r.beats.back().bled_mL, 500.0, 1e-6) << patient;
  }
}

TEST(Fluids, BloodVolumeIsStartPlusInfusedMinusBledAtEveryBeat) {
  const RunResult& r = run(scenario(
      "normal", 400,
      fluid(20, 300, 100) + bleed(50, 150, 200) + fluid(60, 200, 30) + bleed(100, 60, 100)));
  ASSERT_FALSE(r.beats.empty());
  for (const auto& b : r.beats) {
    const double expected = r.start_volume_mL + b.infused_mL - b.bled_mL;
    EXPECT_NEAR(b.blood_volume_mL, expected, 1e-9 * r.start_volume_mL) << "beat " << b.beat;
  }
  EXPECT_NEAR(r.beats.back().infused_mL, 500.0, 1e-6);
  EXPECT_NEAR(r.beats.back().bled_mL, 150.0 / 60.0 * 200.0 + 60.0 / 60.0 * 100.0, 1e-6);
}

// A bleed far beyond what the circulation holds (6 L/min for 2 min) slows to nothing as the
// arterial pressure falls to 0: the arteries keep their unstressed volume and the loss stays below
// the blood volume. (In such an exsanguination the empty heart may still suck its right atrium
// below 0 mL: a limit of the chamber model, docs/model.md 2.10, not of the bleed.)
TEST(Fluids, ABleedCannotEmptyTheArteriesBelowZero) {
  const RunResult& r = run(scenario("normal", 150, bleed(10, 6000, 120)));
  ASSERT_FALSE(r.beats.empty());
  EXPECT_GT(r.lowest_arterial_volume_mL, 0.0);
  EXPECT_LT(r.beats.back().bled_mL, r.start_volume_mL);
  for (const auto& b : r.beats) {
    EXPECT_NEAR(b.blood_volume_mL, r.start_volume_mL - b.bled_mL, 1e-9 * r.start_volume_mL);
  }
}

// --- the timeline: overlapping infusions and bleeds add up ---

TEST(FluidsScenario, OverlappingInfusionsAndBleedsAddUp) {
  const Scenario s = load_scenario(
      write("overlap.toml", scenario("normal", 400,
                                     fluid(10, 600, 100) + fluid(50, 120, 20) +
                                         bleed(60, 120, 60, "radial") + bleed(70, 60, 100))));
  std::vector<std::tuple<double, sim::EventKind, double>> got;
  for (const auto& e : s.events) got.emplace_back(e.event.time_s, e.event.kind, e.event.value);
  using K = sim::EventKind;
  EXPECT_EQ(got, (std::vector<std::tuple<double, K, double>>{{10, K::infusion_rate, 6.0},
                                                             {50, K::infusion_rate, 12.0},
                                                             {60, K::bleeding_rate, 2.0},
                                                             {70, K::infusion_rate, 6.0},
                                                             {70, K::bleeding_rate, 3.0},
                                                             {110, K::infusion_rate, 0.0},
                                                             {120, K::bleeding_rate, 1.0},
                                                             {170, K::bleeding_rate, 0.0}}));
  ASSERT_EQ(s.bleeds.size(), 2u);
  EXPECT_EQ(s.bleeds[0].site, "radial");
  EXPECT_EQ(s.bleeds[1].site, "");
  ASSERT_EQ(s.fluids.size(), 2u);
  EXPECT_EQ(s.fluids[0].over_s, 100.0);
  EXPECT_EQ(s.fluids[1].over_s, 20.0);
  // Without over_s: a bolus over the default 60 s.
  const Scenario d = load_scenario(write("default.toml", scenario("normal", 100, fluid(5, 250))));
  ASSERT_EQ(d.fluids.size(), 1u);
  EXPECT_EQ(d.fluids[0].over_s, kDefaultFluidOver_s);
  ASSERT_EQ(d.events.size(), 2u);
  EXPECT_EQ(d.events[1].event.time_s, 65.0);
}

// --- scenario errors: one InputError each, naming file, line and key ---

TEST(FluidsScenario, MalformedFluidEventsAreOneClearErrorEach) {
  const std::string head = "[[events]]\ntime = 10\n";
  EXPECT_THAT(error_of(scenario("normal", 100, head + "fluid_mL = -250\n")),
              HasSubstr("bad.toml:6: key 'events[0].fluid_mL': expected a volume of more than 0"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "fluid_mL = nan\n")),
              HasSubstr("key 'events[0].fluid_mL': expected a volume"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "fluid_mL = inf\n")),
              HasSubstr("key 'events[0].fluid_mL': expected a volume"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "fluid_mL = 250\nover_s = 0\n")),
              HasSubstr("bad.toml:7: key 'events[0].over_s': expected more than 0"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "fluid_mL = 250\nover_s = 95\n")),
              HasSubstr("key 'events[0].over_s': expected more than 0 and at most 90 s"));
  // The default 60 s would end past the run.
  EXPECT_THAT(error_of(scenario("normal", 50, head + "fluid_mL = 250\n")),
              HasSubstr("key 'events[0].fluid_mL': given over 60 s by default"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "fluid_mL = 1000\nover_s = 5\n")),
              HasSubstr("key 'events[0].over_s': 1000 mL over 5 s is faster than 100 mL/s"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "fluid_mL = 250\nduration = 5\n")),
              HasSubstr("key 'events[0].duration': not a key of a fluid event"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "fluid_mL = 250\nbleeding_mL_min = 5\n")),
              HasSubstr("either a fluid or a bleeding event"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "over_s = 5\n")),
              HasSubstr("key 'events[0].over_s': belongs to a fluid event"));
}

TEST(FluidsScenario, MalformedBleedingEventsAreOneClearErrorEach) {
  const std::string head = "[[events]]\ntime = 10\n";
  EXPECT_THAT(error_of(scenario("normal", 100, head + "bleeding_mL_min = -100\nduration = 5\n")),
              HasSubstr("bad.toml:6: key 'events[0].bleeding_mL_min': expected a rate of more"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "bleeding_mL_min = nan\nduration = 5\n")),
              HasSubstr("key 'events[0].bleeding_mL_min': expected a rate"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "bleeding_mL_min = 100\n")),
              HasSubstr("key 'events[0].duration': missing"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "bleeding_mL_min = 100\nduration = 0\n")),
              HasSubstr("bad.toml:7: key 'events[0].duration': expected a duration of more than"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "bleeding_mL_min = 100\nduration = 91\n")),
              HasSubstr("the bleed must end by the end of the run"));
  EXPECT_THAT(
      error_of(scenario("normal", 100, head + "bleeding_mL_min = 100\nduration = 5\nsite = 3\n")),
      HasSubstr("key 'events[0].site': expected a string"));
  EXPECT_THAT(
      error_of(scenario("normal", 100, head + "bleeding_mL_min = 100\nduration = 5\nover_s = 3\n")),
      HasSubstr("key 'events[0].over_s': not a key of a bleeding event"));
  EXPECT_THAT(error_of(scenario("normal", 100, head + "site = \"femoral\"\n")),
              HasSubstr("key 'events[0].site': belongs to a fluid event (fluid_mL = 250) or, "
                        "site, a bleeding event"));
  // Two bleeds that together exceed 100 mL/s.
  EXPECT_THAT(error_of(scenario("normal", 100, bleed(10, 4000, 20) + bleed(15, 3000, 20))),
              HasSubstr("bad.toml:10: key 'events[1].bleeding_mL_min': with the bleeds running "
                        "at 15 s the rate adds up to"));
}

// --- the run made again from its summary.json ---

int unload_command(const std::string& args) {
  const std::string command = "cd '" + temp_dir().string() + "' && '" UNLOAD_BINARY "' " + args +
                              " >/dev/null 2>'" + (temp_dir() / "stderr").string() + "'";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(FluidsRerun, ARunWithFluidsAndBleedingIsMadeAgainFromItsSummary) {
  write("fb.toml", "[scenario]\npatient = \"hrpci\"\nduration = 70\noutput_rate = 50\n" +
                       fluid(2.5, 100, 7) + fluid(4, 50) + bleed(5, 300, 10, "femoral"));
  ASSERT_EQ(unload_command("run fb.toml --out first --force"), 0)
      << read_text(temp_dir() / "stderr");
  const auto summary = nlohmann::json::parse(read_text(temp_dir() / "first" / "summary.json"));
  const auto& events = summary["rerun"]["events"];
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["fluid_mL"], 100.0);
  EXPECT_EQ(events[0]["over_s"], 7.0);
  EXPECT_EQ(events[1]["over_s"], kDefaultFluidOver_s);
  EXPECT_EQ(events[2]["bleeding_mL_min"], 300.0);
  EXPECT_EQ(events[2]["duration"], 10.0);
  EXPECT_EQ(events[2]["site"], "femoral");
  ASSERT_EQ(unload_command("run first/summary.json --out second --force"), 0)
      << read_text(temp_dir() / "stderr");
  for (const char* file : {"waveforms.csv", "beats.csv"}) {
    EXPECT_EQ(read_text(temp_dir() / "first" / file), read_text(temp_dir() / "second" / file))
        << file;
  }
  const auto second = nlohmann::json::parse(read_text(temp_dir() / "second" / "summary.json"));
  EXPECT_EQ(second["rerun"], summary["rerun"]);
  // The columns are there.
  const std::string beats = read_text(temp_dir() / "first" / "beats.csv");
  EXPECT_THAT(beats.substr(0, beats.find('\n')), HasSubstr("infused_mL"));
  EXPECT_THAT(beats.substr(0, beats.find('\n')), HasSubstr("bled_mL"));
}

}  // namespace
}  // namespace unload::io
