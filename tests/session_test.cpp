// The Session and its State: a saved State continues bit for bit, how a run is cut into calls does
// not change it, an event applied now equals a timeline event at now, one Model serves several
// threads, consoles see signals and act through commands, and a run can start from a steady state.
#include "unload/sim/session.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "session_support.hpp"
#include "unload/control/operator_console.hpp"
#include "unload/core/error.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/state_file.hpp"
#include "unload/sim/state.hpp"

namespace unload {
namespace {

namespace fs = std::filesystem;

// Everything a run produces, kept as bits.
struct Tape final : sim::SimulationObserver {
  std::vector<double> numbers;
  double from_s = 0;  // record only what happens from here on
  void on_sample(const physio::Observables& o) override {
    if (o.t_s < from_s) return;
    for (const auto& c : physio::observable_columns()) numbers.push_back(c.get(o));
    numbers.insert(numbers.end(), o.device_readings.begin(), o.device_readings.end());
  }
  void on_beat(const sim::BeatMetrics& b) override {
    if (b.start_s < from_s) return;
    numbers.push_back(b.start_s);
    for (const auto& f : sim::metric_fields()) numbers.push_back(f.get(b));
    numbers.insert(numbers.end(), b.device.begin(), b.device.end());
  }
};

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

std::vector<double> copy(std::span<const double> s) { return {s.begin(), s.end()}; }

struct Case {
  std::string preset;
  std::vector<io::DeviceRequest> devices;
  bool console = false;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.preset;
  for (const auto& d : info.param.devices) name += "_" + d.kind;
  if (info.param.console) name += "_console";
  for (auto& ch : name) {
    if (ch == '-' || ch == '.') ch = '_';
  }
  return name;
}

// A run of a case: its model, consoles and the events of a short procedure.
struct Rig {
  std::shared_ptr<const sim::Model> model;
  io::DeviceSetup setup;
  std::vector<std::unique_ptr<control::OperatorConsole>> consoles;
  std::vector<sim::ConsoleBinding> bindings;
  std::vector<sim::Event> events;

  explicit Rig(const Case& c) {
    setup = io::setup_devices(c.devices);
    model = testing::model_of(io::load_preset(c.preset), {}, setup);
    if (c.console) {
      consoles.push_back(std::make_unique<control::OperatorConsole>());
      bindings.push_back({0, consoles.back().get()});
    }
    // Change every device's first setting to its value at half range, at 4.321 s and 9.87 s.
    for (std::uint32_t k = 0; k < setup.blocks.size(); ++k) {
      const auto& spec = setup.blocks[k]->setting_specs()[0];
      const double mid = 0.5 * (spec.min + spec.max);
      const auto kind = spec.command != CommandKind::none ? sim::EventKind::operator_setting
                                                          : sim::EventKind::device_setting;
      events.push_back({4.321, kind, k, 0, mid});
      events.push_back({9.87, kind, k, 0, setup.settings[k].value[0]});
    }
  }
  // Fresh consoles for a second Session of the same rig.
  std::vector<sim::ConsoleBinding> fresh_consoles() {
    std::vector<sim::ConsoleBinding> out;
    for (const auto& b : bindings) {
      consoles.push_back(std::make_unique<control::OperatorConsole>());
      out.push_back({b.device, consoles.back().get()});
    }
    return out;
  }
};

class SavedState : public ::testing::TestWithParam<Case> {};

TEST_P(SavedState, ContinuesBitForBitLikeTheRunItWasSavedFrom) {
  Rig rig(GetParam());
  constexpr double kSave_s = 6.7891;  // mid-beat, mid-step, between the two events
  constexpr double kEnd_s = 14.0;
  sim::Session original(rig.model, sim::rest_state(*rig.model, rig.setup.settings), rig.bindings);
  original.schedule(rig.events);
  Tape tape_original;
  original.set_recorder(&tape_original, 0.005);
  original.advance_to(kSave_s);
  const sim::State saved = original.save();
  tape_original.numbers.clear();
  tape_original.from_s = kSave_s;
  original.advance_to(kEnd_s);

  sim::Session restored(rig.model, saved, rig.fresh_consoles());
  Tape tape_restored;
  tape_restored.from_s = kSave_s;
  restored.set_recorder(&tape_restored, 0.005);
  EXPECT_EQ(restored.time(), kSave_s);
  restored.advance_to(kEnd_s);

  EXPECT_GT(tape_original.numbers.size(), 1000U);
  EXPECT_TRUE(same_bits(tape_original.numbers, tape_restored.numbers))
      << "the outputs after the restore differ";
  EXPECT_TRUE(same_bits(copy(original.state()), copy(restored.state())));
  EXPECT_TRUE(sim::identical(original.save(), restored.save()));
  EXPECT_EQ(original.integrator_stats().steps, restored.integrator_stats().steps);
}

TEST_P(SavedState, SurvivesAStateFileExactly) {
  Rig rig(GetParam());
  sim::Session s(rig.model, sim::rest_state(*rig.model, rig.setup.settings), rig.bindings);
  s.schedule(rig.events);
  s.advance_to(5.5);
  const sim::State saved = s.save();
  const fs::path file =
      fs::temp_directory_path() / ("unload-state-" + std::to_string(std::random_device{}()));
  io::write_state_file(file, saved, *rig.model, "test");
  const io::StateFile loaded = io::read_state_file(file);
  fs::remove(file);
  EXPECT_EQ(loaded.model->fingerprint(), rig.model->fingerprint());
  EXPECT_TRUE(sim::identical(saved, loaded.state));
  // And it runs on exactly like the original.
  sim::Session a(rig.model, saved, rig.fresh_consoles());
  sim::Session b(loaded.model, loaded.state, rig.fresh_consoles());
  a.advance_to(8.0);
  b.advance_to(8.0);
  EXPECT_TRUE(same_bits(copy(a.state()), copy(b.state())));
}

INSTANTIATE_TEST_SUITE_P(
    PatientsAndDevices, SavedState,
    ::testing::Values(
        Case{"normal", {}, false}, Case{"hfref", {{"impella-cp", {{"level", "P8"}}, "test"}}, true},
        Case{"hfref", {{"impella-cp", {{"level", "P8"}}, "test"}}, false},
        Case{"shock", {{"iabp", {{"ratio", "1:2"}}, "test"}}, false},
        Case{"shock",
             {{"va-ecmo", {{"rpm", "3500"}}, "test"}, {"impella-cp", {{"level", "P4"}}, "test"}},
             false}),
    case_name);

TEST(Session, HowARunIsCutIntoCallsDoesNotChangeIt) {
  Rig rig({"hfref", {{"impella-cp", {{"level", "P8"}}, "test"}}, true});
  sim::Session whole(rig.model, sim::rest_state(*rig.model, rig.setup.settings), rig.bindings);
  whole.schedule(rig.events);
  Tape tape_whole;
  whole.set_recorder(&tape_whole, 0.01);
  whole.advance_to(12.0);

  sim::Session pieces(rig.model, sim::rest_state(*rig.model, rig.setup.settings),
                      rig.fresh_consoles());
  pieces.schedule(rig.events);
  Tape tape_pieces;
  pieces.set_recorder(&tape_pieces, 0.01);
  std::mt19937 random(7);
  std::uniform_real_distribution<double> chunk(0.0, 0.05);
  while (pieces.time() < 12.0) pieces.advance_to(std::min(12.0, pieces.time() + chunk(random)));
  pieces.advance_beats(0);

  EXPECT_TRUE(same_bits(tape_whole.numbers, tape_pieces.numbers));
  EXPECT_TRUE(same_bits(copy(whole.state()), copy(pieces.state())));
}

TEST(Session, AnEventAppliedNowEqualsATimelineEventAtNow) {
  Rig rig({"hrpci", {{"impella-cp", {{"level", "P4"}}, "test"}}, false});
  const auto slot =
      static_cast<std::uint32_t>(*physio::find_setting(*rig.setup.blocks[0], "speed_rpm"));
  const sim::Event e{7.3, sim::EventKind::device_setting, 0, slot, 40000.0};
  sim::Session timeline(rig.model, sim::rest_state(*rig.model, rig.setup.settings));
  timeline.schedule({&e, 1});
  timeline.advance_to(12.0);
  sim::Session live(rig.model, sim::rest_state(*rig.model, rig.setup.settings));
  live.advance_to(7.3);
  live.apply(e);
  live.advance_to(12.0);
  EXPECT_TRUE(same_bits(copy(timeline.state()), copy(live.state())));
}

TEST(Session, TwoThreadsOnOneModelGiveWhatSequentialRunsGive) {
  const auto setup = io::setup_devices({{"impella-cp", {{"level", "P8"}}, "test"}});
  const auto model = testing::model_of(io::load_preset("shock"), {}, setup);
  auto settings = [&](double rpm) {
    auto s = setup.settings;
    s[0].value[*physio::find_setting(*setup.blocks[0], "speed_rpm")] = rpm;
    return s;
  };
  auto run = [&](double rpm) {
    sim::Session s(model, sim::rest_state(*model, settings(rpm)));
    s.advance_to(20.0);
    return copy(s.state());
  };
  const auto a_sequential = run(30000.0);
  const auto b_sequential = run(20000.0);
  std::vector<double> a_thread, b_thread;
  std::thread ta([&] { a_thread = run(30000.0); });
  std::thread tb([&] { b_thread = run(20000.0); });
  ta.join();
  tb.join();
  EXPECT_TRUE(same_bits(a_sequential, a_thread));
  EXPECT_TRUE(same_bits(b_sequential, b_thread));
  EXPECT_FALSE(same_bits(a_sequential, b_sequential));
}

TEST(Session, AStateOfAnotherModelIsRefused) {
  const auto normal = testing::model_of(io::load_preset("normal"));
  const auto shock = testing::model_of(io::load_preset("shock"));
  EXPECT_THROW(sim::Session(shock, sim::rest_state(*normal)), InputError);
  // A record whose fields do not fit this model names the field.
  sim::StateRecord record = sim::to_record(sim::rest_state(*normal));
  for (auto& [name, values] : record.fields) {
    if (name == "restart.y") values.pop_back();
  }
  try {
    sim::from_record(record, *normal);
    ADD_FAILURE() << "a state vector of the wrong size was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("restart.y"), std::string::npos) << e.what();
  }
}

TEST(Session, AConsoleThatSendsNothingLeavesTheRunUnchanged) {
  Rig bare({"hfref", {{"impella-cp", {{"level", "P8"}}, "test"}}, false});
  Rig with({"hfref", {{"impella-cp", {{"level", "P8"}}, "test"}}, true});
  sim::Session a(bare.model, sim::rest_state(*bare.model, bare.setup.settings));
  sim::Session b(with.model, sim::rest_state(*with.model, with.setup.settings), with.bindings);
  a.advance_to(10.0);
  b.advance_to(10.0);
  EXPECT_TRUE(same_bits(copy(a.state()), copy(b.state())));
  // It saw a frame at every 10 ms tick, with the pump's sensors and nothing else.
  EXPECT_EQ(with.consoles[0]->ticks(), 1001);
  const SignalFrame& f = with.consoles[0]->last_frame();
  EXPECT_DOUBLE_EQ(f.t_s, 10.0);
  EXPECT_GT(f[Signal::motor_current_mA], 100.0);
  EXPECT_NEAR(f[Signal::motor_speed_rpm], b.signals(0)[Signal::motor_speed_rpm], 1e-9);
  EXPECT_TRUE(std::isnan(f[Signal::circuit_flow_mL_s]));
}

TEST(Session, TheOperatorsLevelReachesThePumpThroughItsConsoleAtTheNextTick) {
  Rig rig({"hfref", {{"impella-cp", {{"level", "P8"}}, "test"}}, true});
  const auto slot =
      static_cast<std::uint32_t>(*physio::find_setting(*rig.setup.blocks[0], "speed_rpm"));
  sim::Session s(rig.model, sim::rest_state(*rig.model, rig.setup.settings), rig.bindings);
  const double before = s.plant_inputs().device_settings[0].value[slot];
  s.advance_to(5.0);
  s.apply({0, sim::EventKind::operator_setting, 0, slot, 20000.0});
  EXPECT_EQ(s.plant_inputs().device_settings[0].value[slot], before);  // not yet: at the tick
  s.advance_to(5.01);
  EXPECT_EQ(s.plant_inputs().device_settings[0].value[slot], 20000.0);
}

// When the 10-beat means do not settle within max_beats, the search goes on for as many beats
// with the longer windows (a reflex that oscillates over a few beats); every caller (the steady
// start of a run, `unload steady`, the validation cases) gets the same rule. From rest the
// transient takes about 100 beats, so 40 are not enough for either window.
TEST(SteadyState, ASecondSearchWithLongerWindowsFollowsAFailedOne) {
  const auto model = testing::model_of(io::load_preset("normal"));
  sim::SteadyStateOptions short_search;
  short_search.max_beats = 40;
  sim::Session with(model, sim::rest_state(*model));
  const auto r = sim::run_to_steady_state(with, short_search);
  EXPECT_FALSE(r.reached);
  EXPECT_FALSE(r.oscillating);
  EXPECT_EQ(r.beats_to_steady, 80);
  EXPECT_EQ(r.averaged_beats, short_search.oscillation_average_beats);
  sim::SteadyStateOptions no_second = short_search;
  no_second.oscillation_average_beats = no_second.oscillation_lag_beats = 0;
  sim::Session without(model, sim::rest_state(*model));
  const auto once = sim::run_to_steady_state(without, no_second);
  EXPECT_FALSE(once.reached);
  EXPECT_EQ(once.beats_to_steady, 40);
  EXPECT_EQ(once.averaged_beats, short_search.average_beats);
  // A steady patient is found by the first search, as before.
  sim::Session normal(model, sim::rest_state(*model));
  const auto found = sim::run_to_steady_state(normal);
  EXPECT_TRUE(found.reached);
  EXPECT_FALSE(found.oscillating);
  EXPECT_LT(found.beats_to_steady, sim::SteadyStateOptions{}.max_beats);
  // Windows that do not fit the beats kept are refused, the longer pair too (unless both are 0).
  sim::SteadyStateOptions bad;
  bad.oscillation_average_beats = static_cast<int>(sim::kRecentBeats);
  EXPECT_THROW(sim::run_to_steady_state(normal, bad), InputError);
  bad.oscillation_average_beats = 0;  // and the lag still 12
  EXPECT_THROW(sim::run_to_steady_state(normal, bad), InputError);
}

TEST(Session, ARunStartsFromTheUnsupportedSteadyStateWithItsDevicesAttached) {
  const auto patient = io::load_preset("hfref");
  const auto unsupported = testing::model_of(patient);
  sim::Session warmup(unsupported, sim::rest_state(*unsupported));
  const auto steady = sim::run_to_steady_state(warmup);
  ASSERT_TRUE(steady.reached);

  // Without devices the run goes on as the steady state it starts from (beat 0 at t = 0).
  sim::Session same(unsupported, sim::start_from(*unsupported, warmup.save(), *unsupported));
  EXPECT_EQ(same.time(), 0.0);
  EXPECT_EQ(same.completed_beats(), 0);
  same.advance_beats(1);
  const auto first = same.recent_beats().back();
  EXPECT_EQ(first.beat, 0);
  EXPECT_EQ(first.start_s, 0.0);
  EXPECT_NEAR(first.map_mmHg, steady.average.map_mmHg, 0.005 * steady.average.map_mmHg);
  EXPECT_NEAR(first.lvedv_mL, steady.average.lvedv_mL, 0.005 * steady.average.lvedv_mL);

  // With a pump attached at t = 0: the first R wave is the steady patient's, then the pump acts.
  const auto setup = io::setup_devices({{"impella-cp", {{"level", "P8"}}, "test"}});
  const auto supported = testing::model_of(patient, {}, setup);
  sim::Session run(supported,
                   sim::start_from(*supported, warmup.save(), *unsupported, setup.settings));
  run.advance_beats(1);
  const auto supported_first = run.recent_beats().back();
  EXPECT_NEAR(supported_first.lvedv_mL, steady.average.lvedv_mL, 0.005 * steady.average.lvedv_mL);
  EXPECT_GT(supported_first.map_mmHg, steady.average.map_mmHg);
  // A rest state's first beat is far from the steady state.
  sim::Session from_rest(supported, sim::rest_state(*supported, setup.settings));
  from_rest.advance_beats(1);
  EXPECT_LT(from_rest.recent_beats().back().map_mmHg, 0.8 * steady.average.map_mmHg);
  // Another patient's state is refused.
  const auto other = testing::model_of(io::load_preset("normal"), {}, setup);
  EXPECT_THROW(sim::start_from(*other, warmup.save(), *unsupported, setup.settings), InputError);
}

}  // namespace
}  // namespace unload
