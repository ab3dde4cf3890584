// The micro-axial pump's console (control/impella_console.hpp, control/alarms.hpp): alarm rules
// (latching, acknowledgement, mute by priority), its modes (AUTO ramp, BOOST limit, AUTO's 3-hour
// limit, weaning), the restart sequence after a pump stop, its alarms and their latency for
// faults of the plant, regular checks, and that its state resumes exactly from a saved State.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "test_files.hpp"
#include "unload/control/alarms.hpp"
#include "unload/control/impella_console.hpp"
#include "unload/core/error.hpp"
#include "unload/io/pump_console.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/session.hpp"

namespace unload {
namespace {

using control::AlarmBoard;
using control::ConsoleMessage;
using control::MessageKind;
using control::Priority;

struct Recorded {
  double t_s;
  MessageKind kind;
  std::string name, text;
  Priority priority;
};

class Recorder final : public control::ConsoleListener {
 public:
  void on_console_message(const ConsoleMessage& m) override {
    messages.push_back({m.t_s, m.kind, std::string(m.name), std::string(m.text), m.priority});
  }
  // When `name` was first raised at or after t0 (NaN: never).
  double raised(const std::string& name, double t0 = 0) const {
    for (const auto& m : messages) {
      if (m.kind == MessageKind::alarm_raised && m.name == name && m.t_s >= t0) return m.t_s;
    }
    return std::nan("");
  }
  int count(MessageKind kind, Priority at_least = Priority::advisory) const {
    return static_cast<int>(std::count_if(messages.begin(), messages.end(), [&](const auto& m) {
      return m.kind == kind && m.priority >= at_least;
    }));
  }
  bool said(const std::string& fragment, double t0 = 0) const {
    return std::any_of(messages.begin(), messages.end(), [&](const auto& m) {
      return m.t_s >= t0 && m.text.find(fragment) != std::string::npos;
    });
  }
  std::vector<Recorded> messages;
};

// ---- Alarm rules -------------------------------------------------------------------------------

AlarmBoard board() {
  return AlarmBoard({{"low", "Low", Priority::advisory, 1.0, 0.5},
                     {"mid", "Mid", Priority::serious, 0.0, 0.0},
                     {"high", "High", Priority::critical, 0.0, 0.0}},
                    10.0);
}

TEST(ConsoleAlarms, RaisedAfterTheirDelayAndLatchedUntilAcknowledged) {
  AlarmBoard b = board();
  Recorder r;
  b.set_listener(&r, 0);
  b.update(0, true, 0.0);
  b.update(0, true, 0.99);
  EXPECT_FALSE(b.active(0)) << "a condition shorter than the delay raises nothing";
  b.update(0, true, 1.0);
  EXPECT_TRUE(b.active(0));
  b.update(0, false, 1.2);
  b.update(0, false, 1.7);
  EXPECT_FALSE(b.active(0)) << "cleared once absent for clear_s";
  EXPECT_TRUE(b.displayed(0)) << "but it stays displayed (latched) until acknowledged";
  EXPECT_TRUE(b.sounding(0, 1.7));
  b.acknowledge(2.0);
  EXPECT_FALSE(b.displayed(0));
  EXPECT_EQ(r.count(MessageKind::alarm_raised), 1);
  EXPECT_EQ(r.count(MessageKind::alarm_cleared), 1);
  EXPECT_EQ(r.count(MessageKind::alarm_acknowledged), 1);
}

TEST(ConsoleAlarms, MuteSilencesTheSameOrLowerPriorityOnlyForItsTime) {
  AlarmBoard b = board();
  b.update(0, true, 0.0);
  b.update(0, true, 1.0);  // advisory raised
  b.update(1, true, 1.0);  // serious raised
  b.mute(2.0);
  EXPECT_FALSE(b.sounding(0, 2.5));
  EXPECT_FALSE(b.sounding(1, 2.5));
  b.update(2, true, 3.0);  // a critical alarm during the mute is heard
  EXPECT_TRUE(b.sounding(2, 3.0));
  EXPECT_TRUE(b.sounding(1, 12.5)) << "the mute lasts 10 s";
  EXPECT_EQ(b.raised_count(Priority::critical), 1);
}

TEST(ConsoleAlarms, StateRoundTrips) {
  AlarmBoard a = board();
  a.update(0, true, 0.0);
  a.update(0, true, 1.0);
  a.update(1, true, 1.0);
  a.mute(1.5);
  std::vector<double> saved;
  a.save_state(saved);
  AlarmBoard b = board();
  EXPECT_EQ(b.load_state(saved, 0), saved.size());
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.displayed(i), b.displayed(i));
    EXPECT_EQ(a.sounding(i, 2.0), b.sounding(i, 2.0));
  }
  EXPECT_THROW(b.load_state(std::span<const double>(saved).first(3), 0), InputError);
}

// ---- The console against the simulated patient ----------------------------------------------

// A scenario of `hrpci` with one pump, run with the console listening.
struct ConsoleRun {
  explicit ConsoleRun(const std::string& devices, const std::string& events, double duration_s,
                      const std::string& patient = "hrpci") {
    const auto file = testing::write("s.toml", "[scenario]\npatient = \"" + patient +
                                                   "\"\nduration = " + std::to_string(duration_s) +
                                                   "\n\n[[devices]]\n" + devices + "\n" + events);
    scenario = io::load_scenario(file);
    prepared = io::prepare_run(scenario);
    session = std::make_unique<sim::Session>(prepared.model, prepared.start, prepared.bindings);
    std::vector<sim::Event> timeline;
    for (const auto& e : scenario.events) timeline.push_back(e.event);
    session->schedule(timeline);
    console().set_listener(&recorder, 0);
  }
  control::ImpellaConsole& console() { return *prepared.consoles.at(0); }
  // Advances to t and returns the speed the console commands then.
  double speed_at(double t) {
    session->advance_to(t);
    return console().display().set_speed_rpm;
  }
  io::Scenario scenario;
  io::PreparedRun prepared;
  std::unique_ptr<sim::Session> session;
  Recorder recorder;
};

TEST(Console, StartsInAutoAndRampsOverThirtySeconds) {
  ConsoleRun run("kind = \"impella-cp\"\n", "", 40);
  const auto& pump = run.console().config().pump;
  EXPECT_EQ(run.console().mode_text(), "AUTO P-9");
  // The pump starts at the ramp's first speed (P-2), not at its default level until the
  // console's first command.
  const auto slot = physio::find_setting(*run.prepared.model->devices()[0].block, "speed_rpm");
  ASSERT_TRUE(slot);
  EXPECT_EQ(run.prepared.device_settings[0].value[*slot], pump.level_rpm[2]);
  EXPECT_EQ(run.prepared.start.restart.inputs.device_settings.at(0).value[*slot],
            pump.level_rpm[2]);  // the start state itself
  EXPECT_EQ(run.console().starting_rpm(), pump.level_rpm[2]);
  const double start = run.speed_at(0.5);
  const double mid = run.speed_at(15.0);
  const double end = run.speed_at(31.0);
  EXPECT_NEAR(start, pump.level_rpm[2], 0.1 * (pump.level_rpm[9] - pump.level_rpm[2]));
  EXPECT_GT(mid, start);
  EXPECT_LT(mid, end);
  EXPECT_EQ(end, pump.level_rpm[9]) << "AUTO's highest level on the CP is P-9";
  EXPECT_EQ(run.recorder.count(MessageKind::alarm_raised, Priority::serious), 0);
}

TEST(Console, OperatorLevelIsPLevelModeAndBoostEndsAfterFiveMinutes) {
  ConsoleRun run("kind = \"impella-2.5\"\nlevel = \"P6\"\n",
                 "[[events]]\ntime = 10\ndevice = \"impella-2.5\"\nlevel = \"BOOST\"\n", 330);
  EXPECT_EQ(run.console().mode_text(), "P-6");
  const auto& pump = run.console().config().pump;
  EXPECT_EQ(run.speed_at(5), pump.level_rpm[6]);
  EXPECT_EQ(run.speed_at(11), pump.boost_rpm);
  EXPECT_EQ(run.console().mode_text(), "BOOST");
  EXPECT_EQ(run.speed_at(309), pump.boost_rpm);
  EXPECT_EQ(run.speed_at(311), pump.level_rpm[8]) << "BOOST for at most 5 min, then P-8";
  EXPECT_TRUE(run.recorder.said("BOOST ended"));
}

TEST(Console, AutoEndsAfterThreeHoursAndIsRefusedThen) {
  ConsoleRun run("kind = \"impella-cp\"\n", "[[events]]\ntime = 10810\nconsole = \"auto\"\n", 10820,
                 "normal");
  run.session->advance_to(10799);
  EXPECT_EQ(run.console().mode_text(), "AUTO P-9");
  run.session->advance_to(10805);
  EXPECT_EQ(run.console().mode_text(), "P-9");
  EXPECT_TRUE(run.recorder.said("no longer available after 3 hours"));
  run.session->advance_to(10815);
  EXPECT_EQ(run.console().mode_text(), "P-9");
  EXPECT_TRUE(run.recorder.said("AUTO refused"));
}

TEST(Console, PumpStopIsAlarmedWithinTwoSecondsAndTheRestartSequenceFollows) {
  ConsoleRun run("kind = \"impella-cp\"\nlevel = \"P8\"\n",
                 "[[events]]\ntime = 20\ndevice = \"impella-cp\"\nmotor_failure = 1\n"
                 "[[events]]\ntime = 100\ndevice = \"impella-cp\"\nmotor_failure = 0\n",
                 200);
  run.session->advance_to(200);
  const auto& r = run.recorder;
  const double latency = r.raised("pump_stopped") - 20;
  EXPECT_GE(latency, 0);
  EXPECT_LE(latency, 2.0) << "pump stop alarmed within 2 s";
  EXPECT_TRUE(r.said("restarting at P-8"));
  EXPECT_TRUE(r.said("trying P-2"));
  EXPECT_TRUE(r.said("pull the pump back out of the ventricle"));
  // Motor repaired at 100 s: the next cycle's attempt, a minute after the failed one, restarts
  // it at P-8, and the console weans it to P-2 (function unreliable).
  EXPECT_TRUE(r.said("restarted at P-8", 100));
  EXPECT_TRUE(run.console().display().weaning);
  EXPECT_FALSE(run.console().display().restarting);
  EXPECT_GT(run.console().display().estimates.flow_L_min, 2.0);
}

TEST(Console, PositionAlarmsWithinTenSeconds) {
  for (const auto& [position, alarm] :
       {std::pair{"ventricle", "position_in_ventricle"}, std::pair{"aorta", "position_wrong"}}) {
    ConsoleRun run("kind = \"impella-cp\"\nlevel = \"P8\"\n",
                   std::string("[[events]]\ntime = 30\ndevice = \"impella-cp\"\nposition = \"") +
                       position + "\"\n",
                   45);
    run.session->advance_to(45);
    const double latency = run.recorder.raised(alarm) - 30;
    EXPECT_GE(latency, 0) << position;
    EXPECT_LE(latency, 10.0) << position;
    EXPECT_TRUE(std::isnan(run.recorder.raised("pump_stopped"))) << position;
  }
}

// At P-0 the motor is stopped: its current has no pulse, so the signals read as a pump lying in
// the aorta (the estimator says so), but the console shows its position as unknown and raises no
// position alarm; once the motor turns again, the position is judged again.
TEST(Console, AStoppedMotorShowsNoPosition) {
  ConsoleRun run("kind = \"impella-cp\"\nlevel = \"P0\"\n",
                 "[[events]]\ntime = 60\ndevice = \"impella-cp\"\nlevel = \"P8\"\n", 130, "hfref");
  run.session->advance_to(55);
  EXPECT_EQ(run.console().display().set_speed_rpm, 0.0);
  EXPECT_EQ(run.console().display().estimates.placement, control::Placement::unknown);
  for (const char* alarm : {"position_wrong", "position_unknown", "position_in_ventricle"}) {
    EXPECT_TRUE(std::isnan(run.recorder.raised(alarm))) << alarm;
  }
  run.session->advance_to(130);
  EXPECT_EQ(run.console().display().estimates.placement, control::Placement::correct);
}

TEST(Console, BlockedPurgeLineIsAlarmedWithinThirtySeconds) {
  ConsoleRun run("kind = \"impella-cp\"\nlevel = \"P8\"\n",
                 "[[events]]\ntime = 10\ndevice = \"impella-cp\"\npurge_occlusion = 1\n", 50);
  run.session->advance_to(50);
  const double latency = run.recorder.raised("purge_pressure_high") - 10;
  EXPECT_GE(latency, 0);
  EXPECT_LE(latency, 30.0);
}

TEST(Console, WeaningStepsTwoLevelsAtATimeThenOff) {
  ConsoleRun run("kind = \"impella-cp\"\nlevel = \"P8\"\n",
                 "[[events]]\ntime = 10\nconsole = \"wean\"\n", 1300, "normal");
  const auto& pump = run.console().config().pump;
  EXPECT_EQ(run.speed_at(11), pump.level_rpm[6]);
  EXPECT_EQ(run.speed_at(311), pump.level_rpm[4]);
  EXPECT_EQ(run.speed_at(611), pump.level_rpm[2]);
  EXPECT_EQ(run.speed_at(911), 0.0) << "down to P-2, then off";
  EXPECT_FALSE(run.console().display().weaning);
  EXPECT_TRUE(run.recorder.said("weaning complete"));
}

TEST(Console, OverdueChecksRaiseAdvisoriesAndConfirmationsClearThem) {
  ConsoleRun run("kind = \"impella-cp\"\nlevel = \"P8\"\n",
                 "[[events]]\ntime = 1800\ncheck = \"purge_system\"\nby = \"Nurse A\"\n", 3700);
  run.session->advance_to(3700);
  const auto& r = run.recorder;
  // Due at 3600 s; raised at the first rule tick after it (the rules run every 0.1 s).
  EXPECT_NEAR(r.raised("check_overdue_access_site"), 3600, 0.101);
  EXPECT_TRUE(std::isnan(r.raised("check_overdue_purge_system")))
      << "confirmed at 1800 s: due at 5400 s";
  EXPECT_TRUE(r.said("confirmed: purge system"));
  EXPECT_EQ(r.count(MessageKind::alarm_raised, Priority::serious), 0)
      << "an hour of nominal running raises nothing above advisory";
}

TEST(Console, ItsStateResumesExactlyFromASavedState) {
  const std::string events =
      "[[events]]\ntime = 5\nconsole = \"wean\"\n"
      "[[events]]\ntime = 8\ndevice = \"impella-cp\"\nposition = \"ventricle\"\n";
  ConsoleRun whole("kind = \"impella-cp\"\nlevel = \"P8\"\n", events, 20);
  whole.session->advance_to(20);
  ConsoleRun first("kind = \"impella-cp\"\nlevel = \"P8\"\n", events, 20);
  first.session->advance_to(9.37);
  const sim::State saved = first.session->save();
  ConsoleRun second("kind = \"impella-cp\"\nlevel = \"P8\"\n", events, 20);
  sim::Session resumed(second.prepared.model, saved, second.prepared.bindings);
  resumed.advance_to(20);
  std::vector<double> a, b;
  whole.console().save_state(a);
  second.console().save_state(b);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(std::bit_cast<std::uint64_t>(a[i]), std::bit_cast<std::uint64_t>(b[i]))
        << "console state number " << i << ": " << a[i] << " vs " << b[i];
  }
  const auto ya = whole.session->state();
  const auto yb = resumed.state();
  EXPECT_TRUE(std::equal(ya.begin(), ya.end(), yb.begin(), yb.end()));
}

TEST(Console, ItsRuleGridIsPartOfItsStateAndMisfitsAreRefused) {
  // The rules run every 0.1 s from the first tick: at 9.37 s the next rule tick is 9.4 s, and a
  // console loaded from the saved numbers keeps that grid (the alarm delays and the regular
  // checks' due times are counted on it).
  ConsoleRun a("kind = \"impella-cp\"\nlevel = \"P8\"\n", "", 20);
  a.session->advance_to(9.37);
  EXPECT_NEAR(a.console().next_rule_time_s(), 9.4, 1e-9);
  std::vector<double> saved;
  a.console().save_state(saved);
  ConsoleRun b("kind = \"impella-cp\"\nlevel = \"P8\"\n", "", 20);
  b.console().load_state(saved);
  EXPECT_EQ(std::bit_cast<std::uint64_t>(b.console().next_rule_time_s()),
            std::bit_cast<std::uint64_t>(a.console().next_rule_time_s()));
  // A started console whose next rule time is not after its start (here NaN) is refused.
  std::vector<double> broken = saved;
  // The data fingerprint's two halves, then fields(): started_s_, next_rule_s_, ...
  broken[3] = std::nan("");
  EXPECT_THROW(b.console().load_state(broken), InputError);
}

// The console's data files as they would be after an edit: the configuration loaded from a copy
// of the data directory with data/console/operation.toml replaced by `text`.
control::ConsoleConfig config_with_operation_file(const std::string& text) {
  control::ConsoleConfig c;
  testing::with_edited_data_file("console/operation.toml", text,
                                 [&] { c = io::load_console_config("impella-cp"); });
  return c;
}

TEST(Console, ASavedStateIsRefusedByAConsoleOfOtherData) {
  // A state saved with one set of console data files resumes only on a console of the same
  // values: the physiology's fingerprint does not cover the console's files, so a state saved
  // before an edit of data/console/operation.toml would otherwise resume with other alarm rules.
  ConsoleRun a("kind = \"impella-cp\"\nlevel = \"P8\"\n", "", 20);
  a.session->advance_to(6.0);
  std::vector<double> saved;
  a.console().save_state(saved);
  const control::ConsoleConfig shipped = io::load_console_config("impella-cp");
  EXPECT_NE(shipped.data_fingerprint, 0u);

  const std::string original = testing::read_text(UNLOAD_TEST_DATA_DIR "/console/operation.toml");
  const std::string mute = "mute = { value = 2.0, unit = \"min\", source = \"";
  ASSERT_NE(original.find(mute), std::string::npos);
  // Comments, layout and the sources that document the values leave the fingerprint as it was.
  std::string documented = "# edited by hand\n\n" + original;
  documented.replace(documented.find(mute), mute.size(), mute + "reworded: ");
  EXPECT_EQ(config_with_operation_file(documented).data_fingerprint, shipped.data_fingerprint);
  // A value does not: the mute time 3 min instead of 2.
  std::string edited = original;
  edited.replace(edited.find(mute), mute.size(),
                 "mute = { value = 3.0, unit = \"min\", source = \"");
  const control::ConsoleConfig other = config_with_operation_file(edited);
  EXPECT_NE(other.data_fingerprint, shipped.data_fingerprint);
  EXPECT_EQ(other.mute_s, 180.0);

  control::ImpellaConsole same(shipped, 40000, true), changed(other, 40000, true);
  EXPECT_NO_THROW(same.load_state(saved));
  try {
    changed.load_state(saved);
    ADD_FAILURE() << "a console of other data loaded the state";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("other console data"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("operation.toml"));
  }
}

// In AUTO, suction makes the console lower the speed ("Impella Flow Reduced") instead of raising
// "Suction" at once; suction that persists at P-2 raises "Suction".
TEST(Console, AutoLowersTheSpeedOnSuction) {
  ConsoleRun run("kind = \"impella-cp\"\n", "[[events]]\ntime = 40\nfault = \"hypovolaemia\"\n",
                 160);
  const auto& pump = run.console().config().pump;
  EXPECT_EQ(run.speed_at(39), pump.level_rpm[9]);
  run.session->advance_to(160);
  const auto& r = run.recorder;
  const double reduced = r.raised("flow_reduced", 40);
  ASSERT_FALSE(std::isnan(reduced)) << "AUTO saw the suction";
  EXPECT_TRUE(r.said("suction, AUTO lowered the speed"));
  const double suction = r.raised("suction", 40);
  if (!std::isnan(suction)) {
    EXPECT_GT(suction, reduced) << "Suction only once AUTO is down at P-2";
  }
  EXPECT_LT(run.console().display().set_speed_rpm, pump.level_rpm[9]);
}

// Each fault of the plant raises its alarm within the latency the console must meet (the CP in
// hrpci at P-8; docs/console.md has all three pumps, measured by bench/console_report.cpp).
TEST(Console, EachFaultRaisesItsAlarmWithinItsLatency) {
  struct Case {
    const char* fault;
    const char* alarm;
    double limit_s;
  };
  const Case cases[] = {{"motor_failure", "pump_stopped", 2},
                        {"migration_ventricle", "position_in_ventricle", 10},
                        {"migration_aorta", "position_wrong", 10},
                        {"purge_kink", "purge_pressure_high", 30},
                        {"purge_bag_empty", "purge_pressure_low", 30},
                        {"placement_sensor_failure", "sensor_failure_placement", 5},
                        {"current_sensor_noise", "sensor_failure_current", 5}};
  for (const auto& c : cases) {
    ConsoleRun run("kind = \"impella-cp\"\nlevel = \"P8\"\n",
                   std::string("[[events]]\ntime = 40\nfault = \"") + c.fault + "\"\n", 80);
    run.session->advance_to(80);
    const double latency = run.recorder.raised(c.alarm) - 40;
    EXPECT_GE(latency, 0) << c.fault;
    EXPECT_LE(latency, c.limit_s) << c.fault;
    for (const auto& m : run.recorder.messages) {
      if (m.kind == MessageKind::alarm_raised && m.t_s < 40) {
        ADD_FAILURE() << c.fault << ": " << m.name << " raised before the fault at " << m.t_s;
      }
    }
  }
}

// Hypovolaemia empties the ventricle: the console sees suction (from the pump's signals alone)
// within 5 s of its onset in the plant (the pump's true inlet obstruction above 0.5), for each
// family member. 1,800 mL lost empties the hrpci ventricle under the CP and the 5.5 at P-8; the
// 2.5 draws too little to close the inlet on it, and then no suction may be alarmed either.
TEST(Console, SuctionFromHypovolaemiaIsAlarmedWithinFiveSeconds) {
  for (const std::string kind : {"impella-2.5", "impella-cp", "impella-5.5"}) {
    ConsoleRun run("kind = \"" + kind + "\"\nlevel = \"P8\"\n",
                   "[[events]]\ntime = 20\nfault = \"hypovolaemia\"\n", 140);
    const auto& d = run.prepared.model->devices()[0];
    const std::size_t obstruction =
        d.reading_offset + physio::find_reading(*d.block, "inlet_obstruction").value();
    double onset = -1;
    while (run.session->time() < 140 && onset < 0) {
      run.session->advance_to(run.session->time() + 0.01);
      if (run.session->observe().device_readings[obstruction] > 0.5) onset = run.session->time();
    }
    if (kind == "impella-2.5") {
      EXPECT_LT(onset, 0) << "the 2.5 now sucks in this patient: give it the checks below";
      EXPECT_TRUE(std::isnan(run.recorder.raised("suction"))) << kind;
      continue;
    }
    ASSERT_GT(onset, 20) << kind;
    run.session->advance_to(std::min(140.0, onset + 10));
    const double latency = run.recorder.raised("suction") - onset;
    EXPECT_GE(latency, 0) << kind;
    EXPECT_LE(latency, 5.0) << kind;
  }
}

// Nominal running raises nothing above advisory: every preset at P-2, P-5 and P-8 for 10
// minutes (the hour at every level of every pump is in docs/console.md).
TEST(Console, NoAlarmAboveAdvisoryInNominalRunning) {
  for (const char* patient : {"normal", "hfref", "hrpci", "shock", "dcm-shock"}) {
    for (const char* level : {"P2", "P5", "P8"}) {
      ConsoleRun run(std::string("kind = \"impella-cp\"\nlevel = \"") + level + "\"\n", "", 600,
                     patient);
      run.session->advance_to(600);
      for (const auto& m : run.recorder.messages) {
        if (m.kind == MessageKind::alarm_raised && m.priority != Priority::advisory) {
          ADD_FAILURE() << patient << " " << level << ": " << m.name << " at " << m.t_s << " s";
        }
      }
    }
  }
}

TEST(Console, ScenarioInputsAreCheckedWithFileLineAndKey) {
  const auto load = [&](const std::string& text) {
    const auto file = testing::write("bad.toml", text);
    try {
      io::load_scenario(file);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string head = "[scenario]\npatient = \"hrpci\"\nduration = 60\n";
  const std::string pump = "[[devices]]\nkind = \"impella-cp\"\n";
  std::string e = load(head + pump + "[[events]]\ntime = 5\ncheck = \"coffee\"\n");
  EXPECT_NE(e.find("bad.toml:"), std::string::npos) << e;
  EXPECT_NE(e.find("events[0].check"), std::string::npos) << e;
  EXPECT_NE(e.find("purge_system"), std::string::npos) << e;
  e = load(head + pump + "[[events]]\ntime = 5\nconsole = \"reboot\"\n");
  EXPECT_NE(e.find("acknowledge"), std::string::npos) << e;
  e = load(head + "[[devices]]\nkind = \"iabp\"\n[[events]]\ntime = 5\nconsole = \"mute\"\n");
  EXPECT_NE(e.find("no micro-axial pump"), std::string::npos) << e;
  e = load(head + pump + "[[events]]\ntime = 5\nby = \"Dr B\"\n");
  EXPECT_NE(e.find("belongs to a check event"), std::string::npos) << e;
}

}  // namespace
}  // namespace unload
