// The Session at its edges (found by review): saving and restoring, and cutting a run into
// advance_to calls, exactly at R waves, control ticks and events, with events at time 0 and at
// the current time, recorders set after a restore, consoles added to a State saved without one,
// the reference integrator, and a tampered timeline.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "session_support.hpp"
#include "unload/control/operator_console.hpp"
#include "unload/core/error.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/state_file.hpp"
#include "unload/sim/session.hpp"
#include "unload/sim/state.hpp"

namespace unload {
namespace {

struct Tape final : sim::SimulationObserver {
  std::vector<double> numbers;
  std::vector<double> times;
  std::vector<double> beat_starts;
  int events = 0;
  void on_sample(const physio::Observables& o) override {
    times.push_back(o.t_s);
    for (const auto& c : physio::observable_columns()) numbers.push_back(c.get(o));
  }
  void on_beat(const sim::BeatMetrics& b) override {
    beat_starts.push_back(b.start_s);
    numbers.push_back(b.start_s);
    for (const auto& f : sim::metric_fields()) numbers.push_back(f.get(b));
  }
  void on_event(const sim::Event&) override { ++events; }
};

bool same_bits(std::span<const double> a, std::span<const double> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}
std::vector<double> copy(std::span<const double> s) { return {s.begin(), s.end()}; }

struct Rig {
  io::DeviceSetup setup;
  std::shared_ptr<const sim::Model> model;
  std::vector<std::unique_ptr<control::OperatorConsole>> consoles;
  explicit Rig(sim::SimulationOptions o = {}) {
    setup = io::setup_devices({{"impella-cp", {{"level", "P8"}}, "test"}});
    model = testing::model_of(io::load_preset("hfref"), o, setup);
  }
  std::vector<sim::ConsoleBinding> console() {
    consoles.push_back(std::make_unique<control::OperatorConsole>());
    return {{0, consoles.back().get()}};
  }
  sim::State rest() { return sim::rest_state(*model, setup.settings); }
};

double r_wave(Rig& rig, int beats) {
  sim::Session probe(rig.model, rig.rest(), rig.console());
  probe.advance_beats(beats);
  return probe.time();
}

// 1. Save right at an R wave where a timeline operator_setting is applied; then apply() another.
TEST(SessionEdges, SaveAtAnRWaveThenApplyKeepsTheOrderOfEvents) {
  Rig rig;
  const double tR = r_wave(rig, 3);
  const sim::Event x{tR, sim::EventKind::operator_setting, 0, 0, 20000.0};
  const sim::Event y{0, sim::EventKind::operator_setting, 0, 0, 25000.0};
  sim::Session a(rig.model, rig.rest(), rig.console());
  a.schedule({&x, 1});
  a.advance_to(tR);
  const sim::State saved = a.save();
  a.apply(y);
  a.advance_to(tR + 1.0);

  sim::Session b(rig.model, saved, rig.console());
  b.apply(y);
  b.advance_to(tR + 1.0);
  EXPECT_EQ(a.plant_inputs().device_settings[0].value[0],
            b.plant_inputs().device_settings[0].value[0]);
  EXPECT_TRUE(same_bits(copy(a.state()), copy(b.state())));
}

// 1b. Recorder events after a restore at an R wave: the timeline event at tR reported twice.
TEST(SessionEdges, EventsAtTheSaveInstantAreNotReportedAgain) {
  Rig rig;
  const double tR = r_wave(rig, 3);
  const sim::Event x{tR, sim::EventKind::operator_setting, 0, 0, 20000.0};
  sim::Session a(rig.model, rig.rest(), rig.console());
  Tape ta;
  a.set_recorder(&ta, 0.0);
  a.schedule({&x, 1});
  a.advance_to(tR);
  const sim::State saved = a.save();
  EXPECT_EQ(ta.events, 1);
  sim::Session b(rig.model, saved, rig.console());
  Tape tb;
  b.set_recorder(&tb, 0.0);
  b.advance_to(tR + 0.5);
  EXPECT_EQ(tb.events, 0) << "the event applied before the save is reported again after restore";
}

// 2. Saved, loaded, saved again: identical?
TEST(SessionEdges, SaveLoadSaveIsIdentical) {
  for (double t : {0.0, 0.4, 3.333, 6.7891}) {
    Rig rig;
    sim::Session a(rig.model, rig.rest(), rig.console());
    Tape tape;
    a.set_recorder(&tape, 0.005);
    a.advance_to(t);
    const sim::State s1 = a.save();
    sim::Session b(rig.model, s1, rig.console());
    EXPECT_TRUE(sim::identical(s1, b.save())) << "at t = " << t;
  }
}

// 3. A State saved within the first beat with a recorder on: the restored run's outputs.
TEST(SessionEdges, RecorderOutputsAfterRestoreWithinTheFirstBeat) {
  Rig rig;
  const double kSave = 0.5, kEnd = 3.0;
  sim::Session a(rig.model, rig.rest(), rig.console());
  Tape ta;
  a.set_recorder(&ta, 0.005);
  a.advance_to(kSave);
  const sim::State saved = a.save();
  ta = Tape{};
  a.advance_to(kEnd);

  sim::Session b(rig.model, saved, rig.console());
  Tape tb;
  b.set_recorder(&tb, 0.005);
  b.advance_to(kEnd);
  ASSERT_FALSE(ta.times.empty());
  ASSERT_FALSE(tb.times.empty());
  EXPECT_EQ(ta.times.front(), tb.times.front()) << "first sample after restore";
  EXPECT_EQ(ta.times.size(), tb.times.size());
  EXPECT_TRUE(same_bits(ta.numbers, tb.numbers)) << "outputs differ";
  // The sample at 0.55 s restored equals the sample of a run straight from the start.
  const std::size_t ncol = physio::observable_columns().size();
  sim::Session c(rig.model, saved, rig.console());
  Tape tc;
  c.set_recorder(&tc, 0.005);
  c.advance_to(0.6);
  sim::Session d(rig.model, rig.rest(), rig.console());
  Tape td;
  d.set_recorder(&td, 0.005);
  d.advance_to(0.6);
  // compare the sample at 0.55 in both
  auto row = [&](const Tape& t, double when) {
    std::vector<double> r;
    for (std::size_t i = 0; i < t.times.size(); ++i)
      if (std::abs(t.times[i] - when) < 1e-12)
        r.assign(t.numbers.begin() + i * ncol, t.numbers.begin() + (i + 1) * ncol);
    return r;
  };
  const auto rc = row(tc, 0.55), rd = row(td, 0.55);
  ASSERT_EQ(rc.size(), ncol);
  int differ = 0;
  for (std::size_t i = 0; i < ncol; ++i) differ += std::memcmp(&rc[i], &rd[i], 8) != 0;
  EXPECT_EQ(differ, 0) << "columns of the 0.55 s row that differ in bits";
}

// 4. Restore, advance without a recorder, then set one with the saved interval.
TEST(SessionEdges, SetRecorderAfterAdvancingARestoredSession) {
  Rig rig;
  sim::Session a(rig.model, rig.rest(), rig.console());
  Tape ta;
  a.set_recorder(&ta, 0.005);
  a.advance_to(3.0);
  const sim::State saved = a.save();
  sim::Session b(rig.model, saved, rig.console());
  b.advance_to(4.0);
  Tape tb;
  b.set_recorder(&tb, 0.005);
  b.advance_to(4.1);
  ASSERT_FALSE(tb.times.empty());
  EXPECT_GE(tb.times.front(), 4.0)
      << "samples from the past: " << tb.times.front() << " .. n=" << tb.times.size();
}

// 5. A State saved without consoles, restored with one: the tick grid.
struct TickLog final : Controller {
  std::vector<double> t;
  void tick(double t_s, std::span<const SignalFrame>, std::vector<Command>&) override {
    t.push_back(t_s);
  }
  void operator_input(double, const Command&) override {}
  void save_state(std::vector<double>&) const override {}
  void load_state(std::span<const double>) override {}
};
TEST(SessionEdges, ConsoleAttachedToAStateSavedWithoutOne) {
  Rig rig;
  sim::Session a(rig.model, rig.rest());
  a.advance_to(3.0);
  TickLog log;
  sim::Session b(rig.model, a.save(), {{0, &log}});
  b.advance_to(3.05);
  ASSERT_FALSE(log.t.empty());
  EXPECT_GE(log.t.front(), 2.0) << "ticks in the past: first at " << log.t.front() << ", "
                                << log.t.size() << " ticks";
}

// 6. Cutting with the reference integrator.
TEST(SessionEdges, CuttingWithTheReferenceIntegrator) {
  sim::SimulationOptions o;
  o.integrator = sim::IntegratorKind::reference;
  Rig rig(o);
  const sim::Event e{1.2345, sim::EventKind::operator_setting, 0, 0, 20000.0};
  sim::Session whole(rig.model, rig.rest(), rig.console());
  whole.schedule({&e, 1});
  Tape tw;
  whole.set_recorder(&tw, 0.01);
  whole.advance_to(2.5);
  sim::Session pieces(rig.model, rig.rest(), rig.console());
  pieces.schedule({&e, 1});
  Tape tp;
  pieces.set_recorder(&tp, 0.01);
  for (double t = 0.0; t < 2.5; t += 0.0173) pieces.advance_to(t);
  pieces.advance_to(2.5);
  EXPECT_TRUE(same_bits(tw.numbers, tp.numbers));
  const sim::State mid = [&] {
    sim::Session s(rig.model, rig.rest(), rig.console());
    s.schedule({&e, 1});
    s.advance_to(1.7);
    return s.save();
  }();
  sim::Session r(rig.model, mid, rig.console());
  r.advance_to(2.5);
  EXPECT_TRUE(same_bits(copy(whole.state()), copy(r.state())));
}

// 7. advance_to(now) repeatedly; events at time 0; event at the current time.
TEST(SessionEdges, EdgeTimes) {
  Rig rig;
  sim::Session s(rig.model, rig.rest(), rig.console());
  const sim::Event e0{0.0, sim::EventKind::device_setting, 0, 1, 1.0};
  s.schedule({&e0, 1});
  s.advance_to(0.0);
  s.advance_to(0.0);
  EXPECT_EQ(s.plant_inputs().device_settings[0].value[1], 1.0);
  s.advance_beats(1);
  const double t = s.time();
  s.advance_to(t);
  const sim::Event now{t, sim::EventKind::device_setting, 0, 1, 2.0};
  s.schedule({&now, 1});
  EXPECT_EQ(s.plant_inputs().device_settings[0].value[1], 1.0) << "pending until next advance";
  s.advance_to(t);
  EXPECT_EQ(s.plant_inputs().device_settings[0].value[1], 2.0);
  EXPECT_THROW(s.advance_to(std::nan("")), InputError);
  s.advance_beats(2);
}

// 8. Tampered record: an event naming a device that is not there.
TEST(SessionEdges, TamperedTimelineIsRefused) {
  Rig rig;
  sim::Session a(rig.model, rig.rest());
  const sim::Event e{5.0, sim::EventKind::device_setting, 0, 1, 1.0};
  a.schedule({&e, 1});
  a.advance_to(1.0);
  sim::StateRecord rec = sim::to_record(a.save());
  for (auto& [name, v] : rec.fields) {
    if (name == "restart.timeline") v[2] = 3;  // device 3 (only one attached)
  }
  EXPECT_THROW(sim::from_record(rec, *rig.model), InputError);
  // A State built in memory the same way is refused by the Session.
  sim::State bad = a.save();
  bad.restart.timeline[0].device = 3;
  EXPECT_THROW(sim::Session(rig.model, bad), InputError);
  bad.restart.timeline[0].device = 0;
  bad.restart.timeline[0].setting = 99;
  EXPECT_THROW(sim::Session(rig.model, bad), InputError);
  // A delay line not on the model's grid (a tampered interval) is refused, not run forever.
  for (auto& [name, v] : rec.fields) {
    if (name == "restart.timeline") v[2] = 0;
    if (name == "restart.inputs.efferent_history.interval_s") v[0] = 0.0;
  }
  EXPECT_THROW(sim::from_record(rec, *rig.model), InputError);
}

}  // namespace
}  // namespace unload
namespace unload {
namespace {
TEST(SessionEdges, CutsAtRWavesTicksAndEventsWithEventsThere) {
  Rig rig;
  // R waves of the run.
  std::vector<double> rw;
  {
    sim::Session p(rig.model, rig.rest(), rig.console());
    for (int i = 0; i < 6; ++i) {
      p.advance_beats(1);
      rw.push_back(p.time());
    }
  }
  std::vector<sim::Event> ev = {
      {0.0, sim::EventKind::operator_setting, 0, 0, 30000.0},
      {0.0, sim::EventKind::device_setting, 0, 4, 0.3},
      {rw[1], sim::EventKind::operator_setting, 0, 0, 20000.0},
      {rw[1], sim::EventKind::device_setting, 0, 4, 0.5},
      {0.5, sim::EventKind::operator_setting, 0, 0, 25000.0},  // on a tick
      {rw[3], sim::EventKind::device_setting, 0, 1, 1.0},
      {rw[3], sim::EventKind::operator_setting, 0, 0, 35000.0},
  };
  std::sort(ev.begin(), ev.end(), [](auto& a, auto& b) { return a.time_s < b.time_s; });
  sim::Session whole(rig.model, rig.rest(), rig.console());
  whole.schedule(ev);
  Tape tw;
  whole.set_recorder(&tw, 0.01);
  whole.advance_to(6.0);
  sim::Session pieces(rig.model, rig.rest(), rig.console());
  pieces.schedule(ev);
  Tape tp;
  pieces.set_recorder(&tp, 0.01);
  std::vector<double> cuts = {0.0, 0.0, 0.5, 0.5};
  for (double r : rw) cuts.push_back(r), cuts.push_back(r);
  for (int k = 1; k < 600; k += 37) cuts.push_back(k * 0.01);
  std::sort(cuts.begin(), cuts.end());
  for (double c : cuts)
    if (c <= 6.0) pieces.advance_to(c);
  pieces.advance_to(6.0);
  EXPECT_TRUE(same_bits(tw.numbers, tp.numbers));
  EXPECT_TRUE(same_bits(copy(whole.state()), copy(pieces.state())));
  // And save/restore at each of those cut points.
  for (double c : cuts) {
    sim::Session a(rig.model, rig.rest(), rig.console());
    a.schedule(ev);
    a.advance_to(c);
    sim::Session b(rig.model, a.save(), rig.console());
    b.advance_to(6.0);
    EXPECT_TRUE(same_bits(copy(whole.state()), copy(b.state()))) << "restored at " << c;
  }
}
}  // namespace
}  // namespace unload
namespace unload {
namespace {
TEST(SessionEdges, CutAtZeroWithAnEventAtZero) {
  Rig rig;
  std::vector<sim::Event> ev = {{0.0, sim::EventKind::device_setting, 0, 4, 0.3}};
  sim::Session whole(rig.model, rig.rest());
  whole.schedule(ev);
  whole.advance_to(2.0);
  sim::Session a(rig.model, rig.rest());
  a.schedule(ev);
  a.advance_to(0.0);
  sim::State s0 = a.save();
  a.advance_to(2.0);
  sim::Session b(rig.model, s0);
  b.advance_to(2.0);
  EXPECT_TRUE(same_bits(copy(whole.state()), copy(a.state()))) << "whole vs cut at 0";
  EXPECT_TRUE(same_bits(copy(a.state()), copy(b.state()))) << "cut at 0 vs restored";
  EXPECT_EQ(whole.integrator_stats().steps, a.integrator_stats().steps);
  EXPECT_EQ(a.integrator_stats().steps, b.integrator_stats().steps);
  // Mid-run: an event at 1.0, cut exactly at 1.0.
  std::vector<sim::Event> e1 = {{1.0, sim::EventKind::device_setting, 0, 4, 0.3}};
  sim::Session w1(rig.model, rig.rest());
  w1.schedule(e1);
  w1.advance_to(2.0);
  sim::Session c1(rig.model, rig.rest());
  c1.schedule(e1);
  c1.advance_to(1.0);
  sim::State s1 = c1.save();
  c1.advance_to(2.0);
  sim::Session r1(rig.model, s1);
  r1.advance_to(2.0);
  EXPECT_TRUE(same_bits(copy(w1.state()), copy(c1.state()))) << "whole vs cut at 1";
  EXPECT_TRUE(same_bits(copy(c1.state()), copy(r1.state()))) << "cut at 1 vs restored";
}
}  // namespace
}  // namespace unload
namespace unload {
namespace {
TEST(SessionEdges, ScheduleAtNowVersusApplyNowAtAnRWave) {
  Rig rig;
  sim::Session a(rig.model, rig.rest());
  sim::Session b(rig.model, rig.rest());
  a.advance_beats(2);
  b.advance_beats(2);
  const double t = a.time();
  const sim::Event e{t, sim::EventKind::device_setting, 0, 4, 0.3};
  a.schedule({&e, 1});
  b.apply(e);
  a.advance_to(t + 2.0);
  b.advance_to(t + 2.0);
  EXPECT_TRUE(same_bits(copy(a.state()), copy(b.state())));
  EXPECT_EQ(a.integrator_stats().steps, b.integrator_stats().steps);
}
}  // namespace
}  // namespace unload
namespace unload {
namespace {
TEST(SessionEdges, TickExactlyAtAnRWave) {
  Rig probe_rig;
  const double tR = r_wave(probe_rig, 1);
  sim::SimulationOptions o;
  o.control_interval_s = tR;
  Rig rig(o);
  const sim::Event e{tR, sim::EventKind::operator_setting, 0, 0, 20000.0};
  sim::Session whole(rig.model, rig.rest(), rig.console());
  whole.schedule({&e, 1});
  whole.advance_to(3 * tR + 0.1);
  sim::Session cut(rig.model, rig.rest(), rig.console());
  cut.schedule({&e, 1});
  cut.advance_to(tR);
  cut.advance_to(tR);
  const sim::State s = cut.save();
  cut.advance_to(3 * tR + 0.1);
  sim::Session r(rig.model, s, rig.console());
  r.advance_to(3 * tR + 0.1);
  EXPECT_TRUE(same_bits(copy(whole.state()), copy(cut.state())));
  EXPECT_TRUE(same_bits(copy(whole.state()), copy(r.state())));
  EXPECT_EQ(whole.plant_inputs().device_settings[0].value[0], 20000.0);
}
}  // namespace
}  // namespace unload
