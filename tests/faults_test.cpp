// Fault injection as timeline events (issue 10, "Fault injection"): each `fault = "NAME"` changes
// the plant as it should (preset hrpci with the Impella CP at P-8, bare pump: no console), each
// `fault_cleared` undoes it, sensor faults change readings only, the noisy current is a pure
// function of time and seed, summary.json reruns a run with faults, and every bad input is one
// clear error (file, line, key, what was expected).
#include "unload/io/faults.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenario_errors.hpp"
#include "session_support.hpp"
#include "test_files.hpp"
#include "unload/core/error.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/physio/circulation.hpp"
#include "unload/sim/session.hpp"

namespace unload::io {
namespace {

using testing::error_of;
using ::testing::HasSubstr;
using testing::read_text;
using testing::temp_dir;
using testing::write;

// Waveform samples of one run: time, aortic root pressure, blood lost, and the pump's readings.
struct Sample {
  double t = 0, aortic_root = 0, bled = 0;
  std::map<std::string, double, std::less<>> pump;
};
struct Sampler : sim::SimulationObserver {
  std::vector<std::string> names;
  std::size_t offset = 0;
  std::vector<Sample> samples;
  void on_sample(const physio::Observables& o) override {
    Sample s{o.t_s, o.aortic_root_mmHg, o.bled_mL, {}};
    for (std::size_t i = 0; i < names.size(); ++i) s.pump[names[i]] = o.device_readings[offset + i];
    samples.push_back(std::move(s));
  }
};

constexpr double kDuration_s = 140;

std::string scenario(const std::string& events, double duration = kDuration_s) {
  return "[scenario]\npatient = \"hrpci\"\nduration = " + std::to_string(duration) +
         "\nconsoles = false\n\n[[devices]]\nkind = \"impella-cp\"\nlevel = \"P8\"\n" + events;
}
std::string raise(double t, const std::string& name, const std::string& extra = "") {
  return "\n[[events]]\ntime = " + std::to_string(t) + "\nfault = \"" + name + "\"\n" + extra;
}
std::string clear(double t, const std::string& name) {
  return "\n[[events]]\ntime = " + std::to_string(t) + "\nfault_cleared = \"" + name + "\"\n";
}

// A scenario's run, sampled at 100 Hz (cached by its text: several tests read the same run).
const std::vector<Sample>& run(const std::string& text) {
  static std::map<std::string, std::vector<Sample>> cache;
  if (auto it = cache.find(text); it != cache.end()) return it->second;
  std::string name = "f";
  name += std::to_string(cache.size());
  name += ".toml";
  const Scenario s = load_scenario(write(name, text));
  const PreparedRun prepared = prepare_run(s);
  sim::Session session(prepared.model, prepared.start, prepared.bindings);
  std::vector<sim::Event> events;
  for (const auto& e : s.events) events.push_back(e.event);
  session.schedule(events);
  Sampler sampler;
  const auto& device = prepared.model->devices()[0];
  sampler.offset = device.reading_offset;
  for (const auto& spec : device.block->reading_specs()) sampler.names.emplace_back(spec.name);
  session.set_recorder(&sampler, 0.01);
  session.advance_to(s.duration_s);
  return cache[text] = std::move(sampler.samples);
}

const std::vector<Sample>& nominal() { return run(scenario("")); }

// Statistics of a reading over [t0, t1).
struct Stats {
  double min = 1e300, max = -1e300, mean = 0;
  double range() const { return max - min; }
};
template <class Get>
Stats over(const std::vector<Sample>& samples, double t0, double t1, Get get) {
  Stats s;
  int n = 0;
  for (const auto& x : samples) {
    if (x.t < t0 || x.t >= t1) continue;
    const double v = get(x);
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    s.mean += v;
    ++n;
  }
  s.mean /= n;
  return s;
}
Stats reading(const std::vector<Sample>& samples, double t0, double t1, const char* name) {
  return over(samples, t0, t1, [&](const Sample& x) { return x.pump.at(name); });
}
const Sample& at(const std::vector<Sample>& samples, double t) {
  return *std::find_if(samples.begin(), samples.end(),
                       [&](const Sample& x) { return x.t >= t - 1e-9; });
}

// --- the plant ---

TEST(Faults, MotorFailureStopsTheRotorAndThePumpLeaksBackwards) {
  const auto& r = run(scenario(raise(40, "motor_failure") + clear(90, "motor_failure")));
  // Within 2 s the rotor and its current are at about 0 ...
  EXPECT_LT(reading(r, 42, 90, "motor_speed_rpm").max, 10.0);
  EXPECT_LT(reading(r, 42, 90, "motor_current_mA").max, 1.0);
  // ... and the stopped pump across the valve lets blood back from the aorta.
  EXPECT_LT(reading(r, 50, 90, "pump_flow_mL_s").mean, -5.0);
  // The motor works again: speed and flow as before the fault.
  EXPECT_NEAR(reading(r, 100, 140, "motor_speed_rpm").mean, 43100, 100);
  EXPECT_NEAR(reading(r, 100, 140, "pump_flow_mL_s").mean,
              reading(nominal(), 100, 140, "pump_flow_mL_s").mean, 1.0);
}

TEST(Faults, MigrationIntoTheVentricleShowsAVentricularSignalAndAFlatCurrent) {
  const auto& r =
      run(scenario(raise(40, "migration_ventricle") + clear(90, "migration_ventricle")));
  const double pulsatility = reading(nominal(), 50, 90, "motor_current_mA").range();
  EXPECT_GT(pulsatility, 50.0);
  // Ventricular: diastolic pressure near 0; the current no longer follows the beat.
  EXPECT_LT(reading(r, 50, 90, "placement_signal_mmHg").min, 20.0);
  EXPECT_LT(reading(r, 50, 90, "motor_current_mA").range(), 0.2 * pulsatility);
  // Back in place: aortic again, pulsatile again.
  EXPECT_GT(reading(r, 100, 140, "placement_signal_mmHg").min, 60.0);
  EXPECT_GT(reading(r, 100, 140, "motor_current_mA").range(), 0.8 * pulsatility);
}

TEST(Faults, MigrationIntoTheAortaFlattensTheCurrentButTheSignalStaysAortic) {
  const auto& r = run(scenario(raise(40, "migration_aorta") + clear(90, "migration_aorta")));
  const double pulsatility = reading(nominal(), 50, 90, "motor_current_mA").range();
  EXPECT_LT(reading(r, 50, 90, "motor_current_mA").range(), 0.2 * pulsatility);
  EXPECT_GT(reading(r, 50, 90, "placement_signal_mmHg").min, 50.0);
  EXPECT_GT(reading(r, 100, 140, "motor_current_mA").range(), 0.8 * pulsatility);
}

TEST(Faults, HypovolaemiaEmptiesTheVentricleOntoTheInlet) {
  const auto& r = run(scenario(raise(30, "hypovolaemia")));
  EXPECT_EQ(reading(nominal(), 20, 140, "inlet_obstruction").max, 0.0);
  // The default bleed (data/faults.toml) is lost, and the pump sucks.
  EXPECT_NEAR(at(r, 139).bled, load_fault_defaults().hypovolaemia_volume_mL, 1.0);
  EXPECT_GT(reading(r, 100, 140, "inlet_obstruction").max, 0.5);
  EXPECT_GT(reading(r, 100, 140, "inlet_obstruction").mean, 0.1);
  EXPECT_LT(reading(r, 100, 140, "pump_flow_mL_s").mean,
            0.9 * reading(nominal(), 100, 140, "pump_flow_mL_s").mean);
  EXPECT_LT(reading(r, 100, 140, "pump_flow_mL_s").min, 35.0);
}

TEST(Faults, ClearingHypovolaemiaStopsTheBleedAndTheVolumeStaysLost) {
  const auto& r = run(scenario(raise(30, "hypovolaemia") + clear(50, "hypovolaemia")));
  const double rate =
      load_fault_defaults().hypovolaemia_volume_mL / load_fault_defaults().hypovolaemia_over_s;
  EXPECT_NEAR(at(r, 60).bled, 20 * rate, 1.0);
  EXPECT_NEAR(at(r, 139).bled, 20 * rate, 1.0);
  // Optional keys override the defaults.
  const auto& small = run(scenario(raise(30, "hypovolaemia", "volume_mL = 300\nover_s = 10\n")));
  EXPECT_NEAR(at(small, 50).bled, 300, 1.0);
  EXPECT_EQ(reading(small, 30, 140, "inlet_obstruction").max, 0.0);
}

TEST(Faults, APurgeKinkRaisesThePurgePressureAboveTheAlarmLevelWithin30s) {
  const auto& r = run(scenario(raise(30, "purge_kink") + clear(80, "purge_kink")));
  const double flow_before = at(r, 29.99).pump.at("purge_flow_mL_h");
  EXPECT_GT(flow_before, 8.0);
  EXPECT_GT(at(r, 60).pump.at("purge_pressure_mmHg"), 1100.0);
  EXPECT_LT(at(r, 60).pump.at("purge_flow_mL_h"), 0.25 * flow_before);
  // Unkinked: the pressure falls back towards its working range, the flow returns.
  EXPECT_LT(at(r, 139).pump.at("purge_pressure_mmHg"), 700.0);
  EXPECT_GT(at(r, 139).pump.at("purge_flow_mL_h"), 0.9 * flow_before);
}

TEST(Faults, AnEmptyPurgeBagLetsThePurgePressureAndFlowFall) {
  const auto& r = run(scenario(raise(30, "purge_bag_empty") + clear(90, "purge_bag_empty")));
  const double pressure_before = at(r, 29.99).pump.at("purge_pressure_mmHg");
  EXPECT_GT(pressure_before, 500.0);
  EXPECT_LT(at(r, 89).pump.at("purge_pressure_mmHg"), 200.0);
  EXPECT_LT(at(r, 89).pump.at("purge_flow_mL_h"), 2.0);
  // A new bag: the purge builds up again.
  EXPECT_GT(at(r, 139).pump.at("purge_pressure_mmHg"), 450.0);
  EXPECT_GT(at(r, 139).pump.at("purge_flow_mL_h"), 8.0);
}

TEST(Faults, ABlockedPlacementLumenShowsAFlatSignalWhileTheAortaStillPulses) {
  const auto& r =
      run(scenario(raise(40, "placement_sensor_failure") + clear(90, "placement_sensor_failure")));
  const Stats aorta = over(r, 50, 90, [](const Sample& x) { return x.aortic_root; });
  const Stats aorta_nominal =
      over(nominal(), 50, 90, [](const Sample& x) { return x.aortic_root; });
  const Stats signal = reading(r, 50, 90, "placement_signal_mmHg");
  EXPECT_GT(aorta.range(), 10.0);
  EXPECT_NEAR(aorta.range(), aorta_nominal.range(), 0.02 * aorta_nominal.range());
  // A thrombosed lumen: no pulse left (over any few beats), and a reading that only creeps
  // from where it was blocked towards the mean pressure (60-s lag).
  const Stats late = reading(r, 85, 90, "placement_signal_mmHg");
  EXPECT_LT(late.range(), 0.02 * aorta.range());
  EXPECT_LT(signal.range(), 0.25 * aorta.range());
  EXPECT_NEAR(late.mean, aorta.mean, 5.0);
  // Repaired: the signal is the aortic pressure again.
  for (const auto& x : r) {
    if (x.t > 90) {  // the sample at 90 s comes before the event there
      ASSERT_EQ(x.pump.at("placement_signal_mmHg"), x.aortic_root) << x.t;
    }
  }
}

TEST(Faults, ANoisyCurrentSensorChangesTheReadingOnlyAndIsReproducible) {
  const std::string text =
      scenario(raise(40, "current_sensor_noise") + clear(100, "current_sensor_noise"));
  const auto& r = run(text);
  const auto& n = nominal();
  // The physics is unchanged (to the integrator's tolerance: the event restarts it).
  EXPECT_NEAR(reading(r, 40, 100, "pump_flow_mL_s").mean,
              reading(n, 40, 100, "pump_flow_mL_s").mean, 0.01);
  // The reading departs from the noiseless one by the noise (+/-50 mA, data/devices) plus a drift
  // of 20 mA/min from the fault's start.
  double worst = 0, sum = 0;
  int count = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i].t < 40 || r[i].t >= 100) continue;
    const double drift = 20.0 * (r[i].t - 40) / 60.0;
    const double error = r[i].pump.at("motor_current_mA") - n[i].pump.at("motor_current_mA");
    worst = std::max(worst, std::abs(error - drift));
    sum += error - drift;
    ++count;
  }
  // (Plus the integrator's difference between the two runs, restarted at different instants: about
  // 1 mA on the beat's current wave in the release builds, 3.1 mA in the sanitizer build after the
  // RCA's compression changed on 2026-12-02, where 53 failed at 53.06. The exact amplitude is
  // checked on the block alone below.)
  EXPECT_LT(worst, 56.0);
  EXPECT_GT(worst, 45.0);
  EXPECT_NEAR(sum / count, 0.0, 2.0);
  // Cleared: the reading is the motor's current again.
  EXPECT_NEAR(reading(r, 105, 140, "motor_current_mA").mean,
              reading(n, 105, 140, "motor_current_mA").mean, 0.5);
  // The same run twice is the same, bit for bit (a second cache entry: a different file name).
  const auto again = run(text + "\n");
  ASSERT_EQ(again.size(), r.size());
  for (std::size_t i = 0; i < r.size(); ++i) {
    ASSERT_EQ(again[i].pump.at("motor_current_mA"), r[i].pump.at("motor_current_mA")) << r[i].t;
  }
}

TEST(Faults, TheNoiseIsAPureFunctionOfTimeWithTheDocumentedAmplitude) {
  // The block evaluated alone: with and without the fault at the same instant, state and context.
  const auto block = load_device("impella-cp");
  physio::DeviceSettings quiet = block->default_settings();
  block->derive_settings(quiet);
  physio::DeviceSettings noisy = quiet;
  noisy.value[*physio::find_setting(*block, "current_sensor_noise")] = 1;
  noisy.value[*physio::find_setting(*block, "current_sensor_fault_start_s")] = 10;
  std::vector<double> x(block->state_size()), dx(block->state_size());
  block->initial_state(x, quiet);
  physio::DeviceContext c;
  c.pressure_mmHg[static_cast<std::size_t>(physio::Site::left_ventricle)] = 10;
  c.pressure_mmHg[static_cast<std::size_t>(physio::Site::aortic_root)] = 80;
  c.left_ventricle_mL = 150;
  const auto current = [&](const physio::DeviceSettings& s, double t) {
    c.t_s = t;
    physio::SiteFlows flows;
    physio::DeviceReadings out;
    block->evaluate(c, x, dx, s, flows, &out);
    return out.value[1];  // motor_current_mA
  };
  double lo = 1e300, hi = -1e300, sum = 0, squares = 0;
  const int n = 20000;
  for (int k = 0; k < n; ++k) {
    const double t = 10 + 0.01 * k;
    const double e = current(noisy, t) - current(quiet, t) - 20.0 * (t - 10) / 60.0;
    lo = std::min(lo, e);
    hi = std::max(hi, e);
    sum += e;
    squares += e * e;
    // Within a 10 ms sample the value holds; the same time gives the same value.
    EXPECT_NEAR(current(noisy, t + 0.004), current(noisy, t) + 20.0 * 0.004 / 60.0, 1e-9);
  }
  EXPECT_GE(lo, -50.0);
  EXPECT_LE(hi, 50.0);
  EXPECT_LT(lo, -49.0);
  EXPECT_GT(hi, 49.0);
  EXPECT_NEAR(sum / n, 0.0, 1.0);
  EXPECT_NEAR(std::sqrt(squares / n), 50.0 / std::sqrt(3.0), 1.0);  // uniform in +/-50
}

// --- the scenario ---

TEST(FaultScenario, FaultsBecomeDeviceSettingEventsNamedInTheTimeline) {
  const Scenario s = load_scenario(
      write("events.toml", scenario(raise(10, "current_sensor_noise") + raise(20, "purge_kink") +
                                    clear(30, "purge_kink") + raise(40, "migration_aorta"))));
  ASSERT_EQ(s.events.size(), 5u);
  const auto& block = *s.devices.blocks[0];
  const auto name = [&](std::size_t i) {
    return block.setting_specs()[s.events[i].event.setting].name;
  };
  for (const auto& e : s.events) {
    EXPECT_EQ(e.event.kind, sim::EventKind::device_setting);
    EXPECT_TRUE(e.from_fault);
  }
  EXPECT_EQ(name(0), "current_sensor_fault_start_s");
  EXPECT_EQ(s.events[0].event.value, 10.0);
  EXPECT_EQ(name(1), "current_sensor_noise");
  EXPECT_EQ(name(2), "purge_occlusion");
  EXPECT_EQ(s.events[2].event.value, load_fault_defaults().purge_kink_occlusion);
  EXPECT_EQ(name(3), "purge_occlusion");
  EXPECT_EQ(s.events[3].event.value, 0.0);
  EXPECT_EQ(name(4), "position");
  EXPECT_EQ(s.events[4].event.value, 2.0);
  ASSERT_EQ(s.faults.size(), 4u);
  EXPECT_EQ(s.faults[2].fault, "purge_kink");
  EXPECT_TRUE(s.faults[2].cleared);
  // None of the fault settings is a console's to command.
  for (const char* setting :
       {"purge_supply", "placement_sensor_blocked", "current_sensor_noise",
        "current_sensor_fault_start_s", "motor_failure", "position", "purge_occlusion"}) {
    EXPECT_EQ(block.setting_specs()[*physio::find_setting(block, setting)].command,
              CommandKind::none)
        << setting;
  }
}

TEST(FaultScenario, ClearingRestoresTheValueBeforeTheFault) {
  const Scenario s = load_scenario(
      write("restore.toml",
            scenario("\n[[events]]\ntime = 5\ndevice = \"impella-cp\"\n"
                     "purge_occlusion = 0.3\n" +
                     raise(10, "purge_kink", "occlusion = 0.99\n") + clear(20, "purge_kink"))));
  ASSERT_EQ(s.events.size(), 3u);
  EXPECT_EQ(s.events[1].event.value, 0.99);
  EXPECT_EQ(s.events[2].event.value, 0.3);
}

TEST(FaultScenario, BadFaultsAreOneClearErrorEach) {
  EXPECT_THAT(error_of(scenario(raise(10, "motor_fail"))),
              HasSubstr("bad.toml:12: key 'events[0].fault': expected a fault: motor_failure, "
                        "migration_ventricle, migration_aorta, hypovolaemia, purge_kink, "
                        "purge_bag_empty, placement_sensor_failure, current_sensor_noise, got the "
                        "string \"motor_fail\""));
  EXPECT_THAT(error_of(scenario(clear(10, "purge_kink"))),
              HasSubstr("bad.toml:12: key 'events[0].fault_cleared': no purge_kink is active at "
                        "10 s on impella-cp (raise it first with fault = \"purge_kink\")"));
  EXPECT_THAT(error_of(scenario(clear(10, "nothing"))),
              HasSubstr("key 'events[0].fault_cleared': expected a fault: motor_failure, "));
  EXPECT_THAT(error_of(scenario(raise(10, "motor_failure") + raise(20, "motor_failure"))),
              HasSubstr("key 'events[1].fault': motor_failure is already active since 10 s"));
  EXPECT_THAT(error_of(scenario(raise(10, "migration_aorta") + raise(20, "migration_ventricle"))),
              HasSubstr("key 'events[1].fault': the pump has already migrated (migration_aorta "
                        "since 10 s"));
  EXPECT_THAT(error_of(scenario(raise(10, "hypovolaemia") + clear(100, "hypovolaemia"))),
              HasSubstr("key 'events[1].fault_cleared': the hypovolaemia raised at 10 s"));
  EXPECT_THAT(error_of(scenario(raise(100, "hypovolaemia"))),
              HasSubstr("key 'events[0].fault': its bleed lasts 60 s by default and would end "
                        "after the run (140 s): give over_s of at most 40 s"));
  EXPECT_THAT(error_of(scenario(raise(10, "hypovolaemia", "device = \"impella-cp\"\n"))),
              HasSubstr("key 'events[0].device': not a key of a fault = \"hypovolaemia\" event "
                        "(expected time, fault and optionally volume_mL and over_s): "
                        "hypovolaemia is the patient's blood loss"));
  EXPECT_THAT(error_of(scenario(raise(10, "motor_failure", "occlusion = 0.5\n"))),
              HasSubstr("key 'events[0].occlusion': not a key of a fault = \"motor_failure\" "
                        "event (expected time, fault and optionally device)"));
  EXPECT_THAT(error_of(scenario(raise(10, "purge_kink", "occlusion = 1.5\n"))),
              HasSubstr("key 'events[0].occlusion': expected an occlusion of more than 0 and at "
                        "most 1"));
  EXPECT_THAT(error_of(scenario(raise(10, "hypovolaemia", "volume_mL = 5000\nover_s = 10\n"))),
              HasSubstr("key 'events[0].over_s': 5000 mL over 10 s is faster than 100 mL/s"));
  EXPECT_THAT(error_of(scenario("\n[[events]]\ntime = 10\nfault = \"purge_kink\"\n"
                                "fault_cleared = \"purge_kink\"\n")),
              HasSubstr("key 'events[0].fault_cleared': an event either raises or clears a "
                        "fault"));
  EXPECT_THAT(error_of(scenario("\n[[events]]\ntime = 10\ndevice = \"impella-cp\"\n"
                                "volume_mL = 100\n")),
              HasSubstr("key 'events[0].volume_mL': belongs to a fault event (fault = "
                        "\"hypovolaemia\")"));
  // A fault and a setting event that set one setting at one instant: only the later would act.
  EXPECT_THAT(error_of(scenario("\n[[events]]\ntime = 10\ndevice = \"impella-cp\"\n"
                                "position = \"correct\"\n" +
                                raise(10, "migration_ventricle"))),
              HasSubstr("key 'events[1].fault': impella-cp's position is already set at 10 s ("));
  EXPECT_THAT(error_of(scenario("\n[[events]]\ntime = 10\ndevice = \"impella-cp\"\n"
                                "level = \"P3\"\nrpm = 30000\n")),
              HasSubstr("key 'events[0].rpm': impella-cp's speed_rpm is already set at 10 s ("));
  // No pump attached; a device that is not a pump.
  const std::string no_pump = "[scenario]\npatient = \"hrpci\"\nduration = 100\n";
  EXPECT_THAT(error_of(no_pump + raise(10, "purge_bag_empty")),
              HasSubstr("bad.toml:7: key 'events[0].fault': the fault purge_bag_empty acts on a "
                        "micro-axial pump, and none is attached"));
  EXPECT_THAT(error_of(no_pump + "\n[[devices]]\nkind = \"iabp\"\n" +
                       raise(10, "motor_failure", "device = \"iabp\"\n")),
              HasSubstr("key 'events[0].device': 'iabp' is not a micro-axial pump"));
  // Hypovolaemia needs no pump.
  EXPECT_NO_THROW(load_scenario(write("hypovolaemia.toml", no_pump + raise(10, "hypovolaemia"))));
}

// --- through the program ---

int unload_command(const std::string& args) {
  const std::string command = "cd '" + temp_dir().string() + "' && '" UNLOAD_BINARY "' " + args +
                              " >/dev/null 2>'" + (temp_dir() / "stderr").string() + "'";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(FaultRun, ABadFaultExitsWith2AndAGoodRunIsMadeAgainFromItsSummary) {
  write("bad-fault.toml", scenario(raise(10, "pump_explodes"), 30));
  EXPECT_EQ(unload_command("run bad-fault.toml --out bad --force"), 2);
  EXPECT_THAT(read_text(temp_dir() / "stderr"),
              HasSubstr("bad-fault.toml:12: key 'events[0].fault': expected a fault: "));

  write("faults.toml", scenario(raise(2, "purge_kink") +
                                    raise(3, "hypovolaemia", "volume_mL = 400\nover_s = 5\n") +
                                    raise(4, "current_sensor_noise") + clear(6, "purge_kink") +
                                    clear(7, "hypovolaemia"),
                                12));
  ASSERT_EQ(unload_command("run faults.toml --out first --force"), 0)
      << read_text(temp_dir() / "stderr");
  const auto summary = nlohmann::json::parse(read_text(temp_dir() / "first" / "summary.json"));
  const auto& events = summary["events"];
  ASSERT_EQ(events.size(), 5u) << events.dump();
  EXPECT_EQ(events[0]["fault"], "purge_kink");
  EXPECT_EQ(events[0]["device"], "impella-cp");
  EXPECT_EQ(events[0]["occlusion"], load_fault_defaults().purge_kink_occlusion);
  EXPECT_EQ(events[1]["fault"], "hypovolaemia");
  EXPECT_EQ(events[1]["volume_mL"], 400.0);
  EXPECT_EQ(events[1]["over_s"], 5.0);
  EXPECT_EQ(events[3]["fault_cleared"], "purge_kink");
  ASSERT_EQ(unload_command("run first/summary.json --out second --force"), 0)
      << read_text(temp_dir() / "stderr");
  for (const char* file : {"waveforms.csv", "beats.csv"}) {
    EXPECT_EQ(read_text(temp_dir() / "first" / file), read_text(temp_dir() / "second" / file))
        << file;
  }
  const auto second = nlohmann::json::parse(read_text(temp_dir() / "second" / "summary.json"));
  EXPECT_EQ(second["rerun"], summary["rerun"]);
}

}  // namespace
}  // namespace unload::io
