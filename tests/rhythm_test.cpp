// Rhythms, defibrillation, ischaemia's risk of VF and the synthetic ECG lead (issue 9). Each
// physiological test runs a scenario file through the same path as `unload run` (load_scenario,
// prepare_run, Session) and asserts on its beats and waveforms; the numbers it sees are printed so
// that docs/model.md 2.12 can quote them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "scenario_errors.hpp"
#include "test_files.hpp"
#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/state_file.hpp"
#include "unload/sim/session.hpp"
#include "unload/sim/state.hpp"

namespace unload::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using testing::error_of;
using testing::read_text;
using testing::temp_dir;
using testing::write;

// What a run produced: its beats, its waveform samples (1 ms apart) and the events applied
// (including VF that ischaemia started).
struct Recording : sim::SimulationObserver {
  std::vector<sim::BeatMetrics> beats;
  std::vector<physio::Observables> samples;
  std::vector<sim::Event> events;
  void on_sample(const physio::Observables& o) override { samples.push_back(o); }
  void on_beat(const sim::BeatMetrics& b) override { beats.push_back(b); }
  void on_event(const sim::Event& e) override { events.push_back(e); }
};

struct RunRecord {
  Recording rec;
  std::shared_ptr<const sim::Model> model;
  // A device reading of a sample, by the reading's name (first device).
  double reading(const physio::Observables& o, std::string_view name) const {
    const auto& d = model->devices()[0];
    const auto specs = d.block->reading_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].name == name) return o.device_readings[d.reading_offset + i];
    }
    ADD_FAILURE() << "no reading " << name;
    return 0.0;
  }
};

constexpr double kSampleInterval_s = 0.001;

// A scenario's run (cached by its text: several tests read the same run).
const RunRecord& run(const std::string& text, double sample_interval_s = kSampleInterval_s) {
  static std::map<std::pair<std::string, double>, RunRecord> cache;
  const auto key = std::make_pair(text, sample_interval_s);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const Scenario s = load_scenario(write("s" + std::to_string(cache.size()) + ".toml", text));
  const PreparedRun prepared = prepare_run(s);
  sim::Session session(prepared.model, prepared.start, prepared.bindings);
  std::vector<sim::Event> events;
  for (const auto& e : s.events) events.push_back(e.event);
  session.schedule(events);
  RunRecord& r = cache[key];
  r.model = prepared.model;
  session.set_recorder(&r.rec, sample_interval_s);
  session.advance_to(s.duration_s);
  return r;
}

std::string scenario(double duration, const std::string& body, const std::string& patient = "hrpci",
                     const std::string& head = "") {
  return "[scenario]\npatient = \"" + patient + "\"\nduration = " + std::to_string(duration) +
         "\n" + head + body;
}
std::string rhythm(double time, const std::string& name, double rate = 0) {
  std::string s = "[[events]]\ntime = " + std::to_string(time) + "\nrhythm = \"" + name + "\"\n";
  if (rate > 0) s += "rate = " + std::to_string(rate) + "\n";
  return s;
}
std::string shock(double time) {
  return "[[events]]\ntime = " + std::to_string(time) + "\ndefibrillate = true\n";
}
std::string balloon(double time, const std::string& territory, double duration) {
  return "[[events]]\ntime = " + std::to_string(time) + "\nballoon = \"" + territory +
         "\"\nduration = " + std::to_string(duration) + "\n";
}
const std::string kCp = "[[devices]]\nkind = \"impella-cp\"\nlevel = \"P8\"\n";

// Mean of a beat metric over the beats that start within [from, to).
template <class F>
double mean_over(const std::vector<sim::BeatMetrics>& beats, double from, double to, F metric) {
  double sum = 0;
  int n = 0;
  for (const auto& b : beats) {
    if (b.start_s >= from && b.start_s < to) {
      sum += metric(b);
      ++n;
    }
  }
  EXPECT_GT(n, 0) << "no beat in [" << from << ", " << to << ")";
  return n > 0 ? sum / n : std::nan("");
}
double map_of(const sim::BeatMetrics& b) { return b.map_mmHg; }
double co_of(const sim::BeatMetrics& b) { return b.co_L_min; }
double sv_of(const sim::BeatMetrics& b) { return b.sv_mL; }

// Time mean of a sample quantity over [from, to).
template <class F>
double sample_mean(const std::vector<physio::Observables>& samples, double from, double to,
                   F value) {
  double sum = 0;
  int n = 0;
  for (const auto& o : samples) {
    if (o.t_s >= from && o.t_s < to) {
      sum += value(o);
      ++n;
    }
  }
  EXPECT_GT(n, 0);
  return n > 0 ? sum / n : std::nan("");
}

int beats_starting_in(const std::vector<sim::BeatMetrics>& beats, double from, double to) {
  return static_cast<int>(std::count_if(beats.begin(), beats.end(), [&](const auto& b) {
    return b.start_s >= from && b.start_s < to;
  }));
}

std::vector<double> durations(const std::vector<sim::BeatMetrics>& beats, double from) {
  std::vector<double> d;
  for (const auto& b : beats) {
    if (b.start_s >= from) d.push_back(b.duration_s);
  }
  return d;
}

double coefficient_of_variation(const std::vector<double>& x) {
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(x.size() - 1)) / mean;
}

// --- sinus: the default, unchanged ---

TEST(Rhythm, ASinusEventInSinusRhythmChangesNothing) {
  const RunRecord& plain = run(scenario(20, "", "normal"));
  const RunRecord& with = run(scenario(20, rhythm(7.3, "sinus"), "normal"));
  ASSERT_EQ(plain.rec.samples.size(), with.rec.samples.size());
  for (std::size_t i = 0; i < plain.rec.samples.size(); ++i) {
    ASSERT_EQ(std::memcmp(&plain.rec.samples[i], &with.rec.samples[i], sizeof(physio::Observables)),
              0)
        << "sample " << i;
  }
  for (const auto& o : plain.rec.samples) ASSERT_EQ(o.rhythm_code, 0.0);
}

// --- atrial fibrillation ---

TEST(AtrialFibrillation, RrIntervalsVaryAsPublishedWithoutAtrialContraction) {
  const RunRecord& r = run(scenario(150, rhythm(0, "af"), "normal"));
  const auto rr = durations(r.rec.beats, 10.0);
  ASSERT_GT(rr.size(), 100U);
  const double cv = coefficient_of_variation(rr);
  std::printf("AF: %zu beats, R-R coefficient of variation %.3f\n", rr.size(), cv);
  EXPECT_GT(cv, 0.15);
  EXPECT_LT(cv, 0.25);
  // The atrial contraction before the first beat has relaxed by 1 s; none follows.
  double atrial = 0;
  for (const auto& o : r.rec.samples) {
    if (o.t_s > 1.0) atrial = std::max(atrial, o.atrial_activation);
  }
  EXPECT_LT(atrial, 1e-6);
}

TEST(AtrialFibrillation, IsReproducibleWithItsSeedAndDiffersWithAnother) {
  const std::string body = rhythm(0, "af");
  const auto a = durations(run(scenario(30, body, "normal")).rec.beats, 0.0);
  const Scenario s = load_scenario(write("seed7.toml", scenario(30, body, "normal")));
  // A second, uncached run of the same scenario.
  const PreparedRun p = prepare_run(s);
  sim::Session session(p.model, p.start, p.bindings);
  std::vector<sim::Event> events;
  for (const auto& e : s.events) events.push_back(e.event);
  session.schedule(events);
  Recording again;
  session.set_recorder(&again, 0.0);
  session.advance_to(30);
  EXPECT_EQ(a, durations(again.beats, 0.0));
  const auto other =
      durations(run(scenario(30, body, "normal", "[overrides]\nrhythm.seed = 2\n")).rec.beats, 0.0);
  EXPECT_NE(a, other);
}

TEST(AtrialFibrillation, CardiacOutputFallsModestlyWithoutTheAtrialKick) {
  const RunRecord& r = run(scenario(240, rhythm(60, "af"), "normal"));
  const double sinus = mean_over(r.rec.beats, 20, 60, co_of);
  const double af = mean_over(r.rec.beats, 120, 240, co_of);
  const double change = af / sinus - 1.0;
  std::printf("AF: cardiac output %.2f -> %.2f L/min (%+.1f%%)\n", sinus, af, 100 * change);
  EXPECT_LT(change, -0.03);
  EXPECT_GT(change, -0.25);
}

// --- ventricular tachycardia and pacing ---

TEST(VentricularTachycardia, BeatsAtItsRateWithLessStrokeVolumeAndPressure) {
  const RunRecord& r = run(scenario(60, rhythm(30, "vt", 180)));
  EXPECT_NEAR(beats_starting_in(r.rec.beats, 40, 60), 60, 1);
  const double sv_sinus = mean_over(r.rec.beats, 10, 30, sv_of);
  const double sv_vt = mean_over(r.rec.beats, 40, 60, sv_of);
  const double map_sinus = mean_over(r.rec.beats, 10, 30, map_of);
  const double map_vt = mean_over(r.rec.beats, 40, 60, map_of);
  std::printf("VT 180: SV %.1f -> %.1f mL, MAP %.1f -> %.1f mmHg\n", sv_sinus, sv_vt, map_sinus,
              map_vt);
  // The reflex holds most of the pressure (resistance up) once it has acted.
  EXPECT_LT(sv_vt, 0.5 * sv_sinus);
  EXPECT_LT(map_vt, map_sinus - 2.0);
  EXPECT_LT(mean_over(r.rec.beats, 40, 60, co_of), mean_over(r.rec.beats, 10, 30, co_of));
}

TEST(VentricularPacing, BeatsAtTheSetRate) {
  const RunRecord& r = run(scenario(40, rhythm(10, "paced", 100), "normal"));
  EXPECT_NEAR(beats_starting_in(r.rec.beats, 20, 40), 33, 1);
  for (const auto& b : r.rec.beats) {
    if (b.start_s > 11) {
      EXPECT_NEAR(b.hr_bpm, 100.0, 1e-6);
    }
  }
}

// --- ventricular fibrillation and defibrillation ---

TEST(VentricularFibrillation, WithoutSupportArterialPressureCollapses) {
  const RunRecord& r = run(scenario(40, rhythm(10, "vf")));
  // VF acts from the next R wave; within 20 s of the event the mean pressure is below 25 mmHg.
  double onset = 0;
  for (const auto& o : r.rec.samples) {
    if (o.rhythm_code == 3.0) {
      onset = o.t_s;
      break;
    }
  }
  EXPECT_GT(onset, 10.0);
  EXPECT_LT(onset, 11.5);
  const double map = sample_mean(r.rec.samples, onset + 14, onset + 15,
                                 [](const auto& o) { return o.aortic_root_mmHg; });
  std::printf("VF unsupported: MAP %.1f mmHg 14-15 s after onset\n", map);
  EXPECT_LT(map, 25.0);
  // Beats go on, one a second, with their metrics defined.
  EXPECT_EQ(beats_starting_in(r.rec.beats, onset + 1, onset + 21), 20);
  for (const auto& b : r.rec.beats) {
    if (b.start_s > onset) {
      EXPECT_TRUE(std::isfinite(b.map_mmHg));
    }
  }
}

TEST(VentricularFibrillation, ImpellaFlowFallsToWhatTheRightHeartDeliversAndRecoversAfterShock) {
  // hrpci with the CP at P-8; VF at 60 s, shock at 120 s.
  const RunRecord& r = run(scenario(240, rhythm(60, "vf") + shock(120), "hrpci", kCp));
  auto flow = [&r](const physio::Observables& o) { return r.reading(o, "pump_flow_mL_s"); };
  auto current = [&r](const physio::Observables& o) { return r.reading(o, "motor_current_mA"); };
  auto obstruction = [&r](const physio::Observables& o) {
    return r.reading(o, "inlet_obstruction");
  };
  auto pressure = [](const physio::Observables& o) { return o.aortic_root_mmHg; };
  auto right = [](const physio::Observables& o) { return o.pulmonary_venous_mL_s; };
  const auto& s = r.rec.samples;
  const double flow_sinus = sample_mean(s, 40, 60, flow);
  const double flow_vf = sample_mean(s, 100, 120, flow);
  const double return_vf = sample_mean(s, 100, 120, right);
  const double map_sinus = sample_mean(s, 40, 60, pressure);
  const double map_vf = sample_mean(s, 100, 120, pressure);
  const double obstruction_sinus = sample_mean(s, 40, 60, obstruction);
  const double obstruction_vf = sample_mean(s, 100, 120, obstruction);
  const double current_sinus = sample_mean(s, 40, 60, current);
  const double current_vf = sample_mean(s, 100, 120, current);
  std::printf(
      "VF with CP P8: pump flow %.2f -> %.2f L/min (pulmonary venous return in VF %.2f L/min), "
      "MAP %.1f -> %.1f mmHg, inlet obstruction %.3f -> %.3f, motor current %.0f -> %.0f mA\n",
      flow_sinus * 0.06, flow_vf * 0.06, return_vf * 0.06, map_sinus, map_vf, obstruction_sinus,
      obstruction_vf, current_sinus, current_vf);
  // Flow falls well below its sinus value, to about what reaches the left heart.
  EXPECT_LT(flow_vf, 0.8 * flow_sinus);
  EXPECT_NEAR(flow_vf, return_vf, 0.1 * return_vf);
  // The emptied ventricle closes on the inlet: the suction signature.
  EXPECT_GT(obstruction_vf, obstruction_sinus + 0.1);
  // The motor current falls and loses its pulsatility (a flat current trace).
  auto swing = [&](double from, double to) {
    double lo = 1e300, hi = -1e300;
    for (const auto& o : s) {
      if (o.t_s >= from && o.t_s < to) {
        lo = std::min(lo, current(o));
        hi = std::max(hi, current(o));
      }
    }
    return hi - lo;
  };
  const double swing_sinus = swing(40, 60), swing_vf = swing(100, 120);
  std::printf("VF with CP P8: motor current swing %.0f mA in sinus, %.1f mA in VF\n", swing_sinus,
              swing_vf);
  EXPECT_LT(current_vf, 0.8 * current_sinus);
  EXPECT_LT(swing_vf, 0.2 * swing_sinus);
  // After the shock (sinus from the next nominal beat) pressure and flow come back to within 10%
  // of before.
  double recovered = -1;
  for (double t = 121; t < 235; t += 1) {
    const double m = sample_mean(s, t, t + 5, pressure);
    const double f = sample_mean(s, t, t + 5, flow);
    if (std::abs(m / map_sinus - 1) < 0.1 && std::abs(f / flow_sinus - 1) < 0.1) {
      recovered = t - 120;
      break;
    }
  }
  std::printf("VF with CP P8: MAP and pump flow within 10%% of before %.0f s after the shock\n",
              recovered);
  EXPECT_GE(recovered, 0.0);
  EXPECT_LT(recovered, 60.0);
}

TEST(VentricularFibrillation, BloodVolumeIsConserved) {
  const RunRecord& r = run(scenario(40, rhythm(10, "vf")));
  const double start = r.rec.samples.front().blood_volume_mL;
  for (const auto& o : r.rec.samples) {
    ASSERT_NEAR(o.blood_volume_mL, start, 1e-9 * start) << "at " << o.t_s << " s";
  }
}

// --- ischaemia's risk of VF ---

std::vector<double> vf_onsets(const RunRecord& r) {
  std::vector<double> t;
  for (const auto& e : r.rec.events) {
    if (e.kind == sim::EventKind::rhythm && e.setting == 1) t.push_back(e.time_s);
  }
  return t;
}

TEST(VfRisk, IschaemiaStartsVfReproduciblyWithTheSeed) {
  const std::string risk = "[overrides]\nrhythm.vf_risk = 20\n";
  const std::string seeded = "[overrides]\nrhythm.vf_risk = 20\nrhythm.seed = 7\n";
  const auto a = vf_onsets(run(scenario(120, balloon(20, "LAD", 90), "hrpci", risk)));
  const auto b = vf_onsets(run(scenario(120, balloon(20, "LAD", 90), "hrpci", seeded)));
  ASSERT_EQ(a.size(), 1U);
  ASSERT_EQ(b.size(), 1U);
  std::printf("VF risk 20/min, LAD occlusion at 20 s: VF at %.2f s (seed 1), %.2f s (seed 7)\n",
              a[0], b[0]);
  EXPECT_GT(a[0], 20.0);
  EXPECT_NE(a[0], b[0]);
  // The same seed again: the same onset (a fresh run, not the cache).
  const Scenario s =
      load_scenario(write("again.toml", scenario(120, balloon(20, "LAD", 90), "hrpci", risk)));
  const PreparedRun p = prepare_run(s);
  sim::Session session(p.model, p.start, p.bindings);
  std::vector<sim::Event> events;
  for (const auto& e : s.events) events.push_back(e.event);
  session.schedule(events);
  Recording again;
  session.set_recorder(&again, 0.0);
  session.advance_to(120);
  ASSERT_EQ(again.events.size(), 3U);  // inflation, deflation... and VF
  bool same = false;
  for (const auto& e : again.events) same = same || (e.setting == 1 && e.time_s == a[0]);
  EXPECT_TRUE(same);
}

TEST(VfRisk, NoIschaemiaNoVf) {
  // The highest risk the parameter's range allows, ten minutes without ischaemia.
  const RunRecord& r = run(scenario(600, "", "hrpci", "[overrides]\nrhythm.vf_risk = 60\n"), 0.1);
  EXPECT_TRUE(vf_onsets(r).empty());
  EXPECT_EQ(r.rec.samples.back().rhythm_code, 0.0);
}

// --- saved states ---

class RhythmState : public ::testing::TestWithParam<const char*> {};

TEST_P(RhythmState, ASavedStateContinuesBitForBit) {
  const auto model = std::make_shared<const sim::Model>(
      load_preset("normal"), std::vector<std::shared_ptr<const physio::DeviceBlock>>{},
      sim::SimulationOptions{});
  const auto r = physio::rhythm_from_name(GetParam());
  ASSERT_TRUE(r);
  const std::vector<sim::Event> events = {
      {3.0, sim::EventKind::rhythm, static_cast<std::uint32_t>(*r), 0, 0.0}};
  sim::Session original(model, sim::rest_state(*model));
  original.schedule(events);
  original.advance_to(9.4321);
  const sim::State saved = original.save();
  Recording tape_a, tape_b;
  original.set_recorder(&tape_a, 0.005);
  original.advance_to(16.0);
  sim::Session restored(model, saved);
  restored.set_recorder(&tape_b, 0.005);
  restored.advance_to(16.0);
  EXPECT_TRUE(sim::identical(original.save(), restored.save()));
  ASSERT_EQ(tape_a.samples.size(), tape_b.samples.size());
  for (std::size_t i = 0; i < tape_a.samples.size(); ++i) {
    ASSERT_EQ(std::memcmp(&tape_a.samples[i], &tape_b.samples[i], sizeof(physio::Observables)), 0);
  }
  // And through a state file.
  const fs::path file = temp_dir() / (std::string("state-") + GetParam() + ".json");
  write_state_file(file, saved, *model, "test");
  const StateFile loaded = read_state_file(file);
  EXPECT_TRUE(sim::identical(saved, loaded.state));
}

INSTANTIATE_TEST_SUITE_P(Rhythms, RhythmState, ::testing::Values("af", "vf"));

// --- the ECG lead ---

// Local maxima of the ECG above half the R wave: the R peaks.
int r_peaks(const std::vector<physio::Observables>& s, double from, double to, double threshold) {
  int n = 0;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i].t_s < from || s[i].t_s >= to) continue;
    if (s[i].ecg_mV > threshold && s[i].ecg_mV >= s[i - 1].ecg_mV &&
        s[i].ecg_mV > s[i + 1].ecg_mV) {
      ++n;
    }
  }
  return n;
}

TEST(Ecg, OneQrsPerBeatInSinusRhythm) {
  const RunRecord& r = run(scenario(20, "", "normal"));
  const double r_wave = r.model->patient().ecg.r_wave_mV;
  // Up to the end of the last completed beat.
  const auto& last = r.rec.beats.back();
  const int beats = static_cast<int>(r.rec.beats.size());
  EXPECT_GT(beats, 15);
  EXPECT_EQ(r_peaks(r.rec.samples, 0, last.start_s + last.duration_s, 0.5 * r_wave), beats);
}

TEST(Ecg, FlatInAsystoleFibrillatoryInVf) {
  const RunRecord& asystole = run(scenario(20, rhythm(5, "asystole"), "normal"));
  double biggest = 0;
  for (const auto& o : asystole.rec.samples) {
    if (o.rhythm_code == 4.0) biggest = std::max(biggest, std::abs(o.ecg_mV));
  }
  EXPECT_EQ(biggest, 0.0);
  const RunRecord& vf = run(scenario(20, rhythm(5, "vf"), "normal"));
  double lo = 0, hi = 0;
  int crossings = 0;
  double previous = 0;
  for (const auto& o : vf.rec.samples) {
    if (o.t_s < 10 || o.t_s >= 20) continue;
    lo = std::min(lo, o.ecg_mV);
    hi = std::max(hi, o.ecg_mV);
    if ((previous < 0) != (o.ecg_mV < 0)) ++crossings;
    previous = o.ecg_mV;
  }
  // An irregular oscillation of some tenths of a millivolt at 4-8 Hz (two crossings a cycle).
  EXPECT_GT(hi - lo, 0.3);
  EXPECT_GT(crossings, 2 * 4 * 10);
  EXPECT_LT(crossings, 2 * 8 * 10);
}

// The ST level of each beat: the ECG 60 ms after the J point (beat start + QRS + 60 ms).
double st_level(const RunRecord& r, double from, double to) {
  const double offset = r.model->patient().ecg.qrs_duration_s + 0.06;
  double sum = 0;
  int n = 0;
  for (const auto& b : r.rec.beats) {
    if (b.start_s < from || b.start_s >= to) continue;
    const auto i = static_cast<std::size_t>(std::lround((b.start_s + offset) / kSampleInterval_s));
    if (i < r.rec.samples.size()) {
      sum += r.rec.samples[i].ecg_mV;
      ++n;
    }
  }
  EXPECT_GT(n, 0);
  return sum / n;
}

TEST(Ecg, StRisesDuringALadOcclusionAndReturnsAfterIt) {
  const RunRecord& r = run(scenario(300, balloon(30, "LAD", 60), "hrpci"));
  const double before = st_level(r, 10, 30);
  const double during = st_level(r, 80, 90);
  const double after = st_level(r, 270, 300);
  std::printf("ECG ST level: %.3f mV before, %.3f at the end of a 60 s LAD occlusion, %.3f later\n",
              before, during, after);
  EXPECT_GT(during, before + 0.2);
  EXPECT_NEAR(after, before, 0.05);
  // An RCA occlusion moves this anterior lead the other way, less.
  const RunRecord& rca = run(scenario(100, balloon(30, "RCA", 60), "hrpci"));
  EXPECT_LT(st_level(rca, 80, 90), st_level(rca, 10, 30));
}

// --- scenario errors: one InputError each, naming file, line and key ---

std::string bad(const std::string& event) {
  return "[scenario]\npatient = \"normal\"\nduration = 60\n[[events]]\ntime = 10\n" + event;
}

TEST(RhythmScenario, MalformedRhythmEventsAreOneClearErrorEach) {
  EXPECT_THAT(error_of(bad("rhythm = \"torsades\"\n")),
              HasSubstr("bad.toml:6: key 'events[0].rhythm': expected a rhythm: sinus, af, vt, "
                        "vf, asystole or paced, got the string \"torsades\""));
  EXPECT_THAT(error_of(bad("rhythm = 3\n")), HasSubstr("bad.toml:6: key 'events[0].rhythm'"));
  EXPECT_THAT(error_of(bad("rhythm = \"vt\"\n")),
              HasSubstr("bad.toml:4: key 'events[0].rate': missing (a vt rhythm needs its "
                        "ventricular rate, 100 to 220 /min)"));
  EXPECT_THAT(error_of(bad("rhythm = \"vt\"\nrate = 300\n")),
              HasSubstr("bad.toml:7: key 'events[0].rate': expected a vt rate of 100 to 220 /min, "
                        "got 300"));
  EXPECT_THAT(error_of(bad("rhythm = \"paced\"\nrate = 20\n")),
              HasSubstr("bad.toml:7: key 'events[0].rate': expected a paced rate of 30 to 180"));
  EXPECT_THAT(error_of(bad("rhythm = \"af\"\nrate = 120\n")),
              HasSubstr("bad.toml:7: key 'events[0].rate': an af rhythm takes no rate"));
  EXPECT_THAT(error_of(bad("rate = 120\n")),
              HasSubstr("bad.toml:6: key 'events[0].rate': belongs to a rhythm event"));
  EXPECT_THAT(error_of(bad("rhythm = \"vf\"\nduration = 5\n")),
              HasSubstr("bad.toml:7: key 'events[0].duration': not a key of a rhythm event"));
  EXPECT_THAT(error_of(bad("rhythm = \"vf\"\ndefibrillate = true\n")),
              HasSubstr("bad.toml:7: key 'events[0].defibrillate': an event either sets a rhythm "
                        "or defibrillates"));
}

TEST(RhythmScenario, ADefibrillationNeedsAShockableRhythm) {
  EXPECT_THAT(error_of(bad("defibrillate = true\n")),
              HasSubstr("bad.toml:6: key 'events[0].defibrillate': no shockable rhythm at 10 s: "
                        "the timeline leaves sinus there"));
  EXPECT_THAT(error_of(bad("defibrillate = false\n")),
              HasSubstr("bad.toml:6: key 'events[0].defibrillate': expected true, got false"));
  EXPECT_THAT(error_of(bad("rhythm = \"vf\"\n[[events]]\ntime = 20\ndefibrillate = true\n"
                           "[[events]]\ntime = 30\ndefibrillate = true\n")),
              HasSubstr("bad.toml:12: key 'events[2].defibrillate': no shockable rhythm at 30 s"));
  // Fine after VT, and when ischaemia may start VF.
  EXPECT_NO_THROW(load_scenario(
      write("ok.toml",
            bad("rhythm = \"vt\"\nrate = 180\n[[events]]\ntime = 20\ndefibrillate = true\n"))));
  EXPECT_NO_THROW(load_scenario(
      write("ok.toml", bad("defibrillate = true\n[overrides]\nrhythm.vf_risk = 1\n"))));
}

TEST(RhythmScenario, EventsBecomeTypedEvents) {
  const Scenario s = load_scenario(
      write("ok.toml", bad("rhythm = \"vt\"\nrate = 180\n[[events]]\ntime = 20\ndefibrillate = "
                           "true\n[[events]]\ntime = 30\nrhythm = \"paced\"\nrate = 70\n")));
  ASSERT_EQ(s.events.size(), 3U);
  EXPECT_EQ(s.events[0].event, (sim::Event{10, sim::EventKind::rhythm, 2, 0, 180}));
  EXPECT_EQ(s.events[1].event, (sim::Event{20, sim::EventKind::defibrillation, 0, 0, 0}));
  EXPECT_EQ(s.events[2].event, (sim::Event{30, sim::EventKind::rhythm, 5, 0, 70}));
}

// --- the command line: exit code 2 and no output for a bad event; a run made again from its
// summary.json ---

int unload_command(const std::string& args) {
  const std::string command = "cd '" + temp_dir().string() + "' && '" UNLOAD_BINARY "' " + args +
                              " >/dev/null 2>'" + (temp_dir() / "stderr").string() + "'";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(RhythmCommandLine, ABadRhythmEventExitsWithTwoAndWritesNothing) {
  write("badcli.toml", bad("rhythm = \"vt\"\nrate = 260\n"));
  EXPECT_EQ(unload_command("run badcli.toml --out badout"), 2);
  EXPECT_THAT(read_text(temp_dir() / "stderr"),
              HasSubstr("badcli.toml:7: key 'events[0].rate': expected a vt rate of 100 to 220"));
  EXPECT_FALSE(fs::exists(temp_dir() / "badout"));
}

TEST(RhythmCommandLine, ARunWithRhythmsIsMadeAgainFromItsSummary) {
  write("rh.toml", "[scenario]\npatient = \"normal\"\nduration = 40\noutput_rate = 50\n" +
                       rhythm(5, "af") + rhythm(12, "vt", 170) + shock(20) +
                       rhythm(25, "paced", 80) + rhythm(30, "vf") + shock(35));
  ASSERT_EQ(unload_command("run rh.toml --out first --force"), 0)
      << read_text(temp_dir() / "stderr");
  const auto summary = nlohmann::json::parse(read_text(temp_dir() / "first" / "summary.json"));
  const auto& events = summary["rerun"]["events"];
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0]["rhythm"], "af");
  EXPECT_FALSE(events[0].contains("rate"));
  EXPECT_EQ(events[1]["rhythm"], "vt");
  EXPECT_EQ(events[1]["rate"], 170.0);
  EXPECT_EQ(events[2]["defibrillate"], true);
  // The rhythm at the end, and when VF began: at the paced rhythm's next R wave after 30 s.
  EXPECT_EQ(summary["rhythm"]["at_end"], "sinus");
  const double onset = summary["rhythm"]["last_vf_onset_s"];
  EXPECT_GE(onset, 30.0);
  EXPECT_LE(onset, 30.0 + 60.0 / 80.0);
  ASSERT_EQ(unload_command("run first/summary.json --out second --force"), 0)
      << read_text(temp_dir() / "stderr");
  for (const char* file : {"waveforms.csv", "beats.csv"}) {
    EXPECT_EQ(read_text(temp_dir() / "first" / file), read_text(temp_dir() / "second" / file))
        << file;
  }
  const std::string waves = read_text(temp_dir() / "first" / "waveforms.csv");
  EXPECT_THAT(waves.substr(0, waves.find('\n')), HasSubstr("ecg_mV"));
  EXPECT_THAT(waves.substr(0, waves.find('\n')), HasSubstr("rhythm"));
}

}  // namespace
}  // namespace unload::io
