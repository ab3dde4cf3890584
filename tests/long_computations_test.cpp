// Long computations end (issue 12, defects 5 and 6): a stop flag stops a run, a CVODE solve or a
// steady-state computation at its next step; a solve whose steps shrink without end fails with a
// message instead of running on; and a device whose pattern spans several beats (a balloon pump at
// 1:3) reaches a steady state, because the steady-state test compares whole patterns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>

#include "session_support.hpp"
#include "unload/core/error.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/presets.hpp"
#include "unload/sim/integrator.hpp"
#include "unload/sim/session.hpp"

namespace unload {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

// y' = 1e6 cos(1e6 t): to follow it at the tolerances, a step must be a fraction of a microsecond,
// so a second of it needs millions of steps, more than any beat of the model.
class FastOscillation final : public sim::OdeSystem {
 public:
  std::size_t size() const override { return 1; }
  void rhs(double t, const double* /*y*/, double* dydt) override {
    dydt[0] = 1e6 * std::cos(1e6 * t);
  }
};

class StalledSolve : public ::testing::TestWithParam<sim::IntegratorKind> {};

// Solves `system` from y = 0 over [0, 1] s with the integrator under test: the SimulationError's
// message, or "" if the solve reached its end.
std::string failure_of(sim::OdeSystem& system, sim::IntegratorKind kind) {
  auto integrator = sim::make_integrator(kind, system, sim::default_options(kind));
  const double y0[] = {0.0};
  integrator->restart(0.0, y0);
  try {
    while (integrator->time() < 1.0) integrator->step(1.0);
  } catch (const SimulationError& e) {
    return e.what();
  }
  return "";
}

TEST_P(StalledSolve, FailsWithAMessageInsteadOfRunningOn) {
  FastOscillation system;
  const std::string message = failure_of(system, GetParam());
  EXPECT_THAT(message, HasSubstr("stalled"));
  EXPECT_THAT(message, HasSubstr(std::to_string(sim::kMaxStepsPerSegment)));
}

// y' = 1 until t = 0.5, then not a number (a model whose right-hand side breaks down there): no
// step past 0.5 s can be taken, and the error says when and what to suspect. (The production
// integrator used to say only "could not take a step at t = ...".)
class BreaksDownAtHalfASecond final : public sim::OdeSystem {
 public:
  std::size_t size() const override { return 1; }
  void rhs(double t, const double* /*y*/, double* dydt) override {
    dydt[0] = t < 0.5 ? 1.0 : std::nan("");
  }
};

TEST_P(StalledSolve, AStepThatCannotBeTakenSaysWhenAndWhy) {
  BreaksDownAtHalfASecond system;
  const std::string message = failure_of(system, GetParam());
  // Where it broke down (the last time reached: just before 0.5 s, or at it, where CVODE's steps
  // shrink to nothing and it stalls) and what to suspect.
  EXPECT_THAT(message, ContainsRegex("(could not take a step|stalled) at t = 0\\.(4|5 )"));
  EXPECT_THAT(message, HasSubstr("outside what the model can integrate"));
}

INSTANTIATE_TEST_SUITE_P(Integrators, StalledSolve,
                         ::testing::Values(sim::IntegratorKind::production,
                                           sim::IntegratorKind::reference),
                         [](const auto& info) {
                           return info.param == sim::IntegratorKind::production
                                      ? std::string("Production")
                                      : std::string("Reference");
                         });

TEST(StopFlag, StopsALongReferenceRunSoonAfterItIsSet) {
  sim::SimulationOptions options;
  options.integrator = sim::IntegratorKind::reference;
  auto session = testing::session_of(io::load_preset("normal"), options);
  std::atomic<bool> stop{false};
  session->set_stop_flag(&stop);
  // An hour of simulated time takes the reference integrator about a minute; the flag is set
  // 100 ms in, and the run must stop at its next step.
  std::thread setter([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  EXPECT_THROW(session->advance_to(3600.0), Interrupted);
  setter.join();
  EXPECT_GT(session->time(), 0.0);
  EXPECT_LT(session->time(), 600.0);
}

TEST(StopFlag, StopsTheSteadyStateComputation) {
  auto session = testing::session_of(io::load_preset("hfref"));
  std::atomic<bool> stop{true};
  session->set_stop_flag(&stop);
  EXPECT_THROW(sim::run_to_steady_state(*session), Interrupted);
  EXPECT_EQ(session->completed_beats(), 0);
}

TEST(StopFlag, ARunThatWasNotStoppedIsUnchangedByTheFlag) {
  auto flagged = testing::session_of(io::load_preset("normal"));
  auto plain = testing::session_of(io::load_preset("normal"));
  std::atomic<bool> stop{false};
  flagged->set_stop_flag(&stop);
  flagged->advance_to(5.0);
  plain->advance_to(5.0);
  EXPECT_TRUE(sim::identical(flagged->save(), plain->save()));
}

io::DeviceSetup balloon(const char* ratio) {
  return io::setup_devices({{"iabp", {{"ratio", ratio}}, "test"}});
}

TEST(DevicePattern, ABalloonPumpSpansAsManyBeatsAsItsRatio) {
  for (const auto& [ratio, beats] :
       {std::pair{"1:1", 1}, std::pair{"1:2", 2}, std::pair{"1:3", 3}}) {
    const auto devices = balloon(ratio);
    EXPECT_EQ(devices.blocks[0]->beats_per_cycle(devices.settings[0]), beats) << ratio;
    auto session = testing::session_of(io::load_preset("normal"), {}, devices);
    EXPECT_EQ(session->beats_per_cycle(), beats) << ratio;
  }
  const auto pump = io::setup_devices({{"impella-cp", {{"level", "P8"}}, "test"}});
  EXPECT_EQ(pump.blocks[0]->beats_per_cycle(pump.settings[0]), 1);
}

class BalloonPumpAtOneToThree : public ::testing::TestWithParam<std::string> {};

TEST_P(BalloonPumpAtOneToThree, ReachesASteadyStateAveragedOverWholeCycles) {
  auto session = testing::session_of(io::load_preset(GetParam()), {}, balloon("1:3"));
  const sim::SteadyStateResult r = sim::run_to_steady_state(*session);
  EXPECT_TRUE(r.reached) << GetParam() << ": last change " << r.last_change;
  EXPECT_EQ(r.averaged_beats % 3, 0);
  EXPECT_GE(r.averaged_beats, sim::SteadyStateOptions{}.average_beats);
  EXPECT_GT(r.average.device[0], 0.0);  // the balloon's volume at full inflation
}

INSTANTIATE_TEST_SUITE_P(Presets, BalloonPumpAtOneToThree, ::testing::ValuesIn(io::preset_names()));

TEST(DevicePattern, DevicesThatActAlikeEveryBeatKeepTheTenBeatWindow) {
  auto session = testing::session_of(io::load_preset("normal"), {}, balloon("1:2"));
  const sim::SteadyStateResult r = sim::run_to_steady_state(*session);
  EXPECT_TRUE(r.reached);
  EXPECT_EQ(r.averaged_beats, 10);
}

}  // namespace
}  // namespace unload
