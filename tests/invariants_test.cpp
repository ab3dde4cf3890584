// Invariants of the simulation: conserved blood volume, determinism, no allocation in the loop.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "session_support.hpp"
#include "unload/io/presets.hpp"
#include "unload/sim/session.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace unload {
namespace {

struct VolumeWatch : sim::SimulationObserver {
  double initial = 0;
  double worst = 0;
  int beats = 0;
  void on_beat(const sim::BeatMetrics& b) override {
    worst = std::max(worst, std::abs(b.blood_volume_mL - initial) / initial);
    ++beats;
  }
};

TEST(Invariants, BloodVolumeIsConservedOverOneSimulatedHour) {
  for (const char* preset : {"normal", "shock"}) {
    const auto p = io::load_preset(preset);
    auto s = testing::session_of(p);
    VolumeWatch w;
    w.initial = p.body.total_blood_volume_mL;
    EXPECT_DOUBLE_EQ(physio::Circulation::blood_volume_mL(s->state()), w.initial);
    s->set_recorder(&w);
    s->advance_to(3600.0);
    EXPECT_GT(w.beats, 3000);
    EXPECT_LT(w.worst, 1e-9) << preset;
    const double end = physio::Circulation::blood_volume_mL(s->state());
    EXPECT_LT(std::abs(end - w.initial) / w.initial, 1e-9) << preset;
  }
}

// With fluids and bleeding, overlapping and at once: the blood volume is the start volume plus what
// was infused minus what was bled, at every beat and at the end of an hour.
struct AccountingWatch : sim::SimulationObserver {
  double initial = 0;
  double worst = 0;
  double infused = 0, bled = 0;
  void on_beat(const sim::BeatMetrics& b) override {
    const double expected = initial + b.infused_mL - b.bled_mL;
    worst = std::max(worst, std::abs(b.blood_volume_mL - expected) / initial);
    infused = b.infused_mL;
    bled = b.bled_mL;
  }
};

TEST(Invariants, BloodVolumeIsStartPlusInfusedMinusBledOverOneSimulatedHour) {
  for (const char* preset : {"normal", "shock"}) {
    const auto p = io::load_preset(preset);
    auto s = testing::session_of(p);
    AccountingWatch w;
    w.initial = p.body.total_blood_volume_mL;
    s->set_recorder(&w);
    using K = sim::EventKind;
    // 1000 mL over 10 min, a 250 mL bolus over 60 s inside it, 100 mL/min bleeding for 15 min
    // overlapping both, then 40 mL/min for 20 min.
    const std::vector<sim::Event> events = {
        {300.0, K::infusion_rate, 0, 0, 1000.0 / 600.0},
        {500.0, K::bleeding_rate, 0, 0, 100.0 / 60.0},
        {600.0, K::infusion_rate, 0, 0, 1000.0 / 600.0 + 250.0 / 60.0},
        {660.0, K::infusion_rate, 0, 0, 1000.0 / 600.0},
        {900.0, K::infusion_rate, 0, 0, 0.0},
        {1400.0, K::bleeding_rate, 0, 0, 40.0 / 60.0},
        {2600.0, K::bleeding_rate, 0, 0, 0.0},
    };
    s->schedule(events);
    s->advance_to(3600.0);
    EXPECT_LT(w.worst, 1e-9) << preset;
    EXPECT_NEAR(w.infused, 1250.0, 1e-6) << preset;
    EXPECT_NEAR(w.bled, 1500.0 + 800.0, 1e-6) << preset;
    const auto y = s->state();
    const double end = physio::Circulation::blood_volume_mL(y);
    const double expected = w.initial + y[physio::kInfusedVolume] - y[physio::kBledVolume];
    EXPECT_LT(std::abs(end - expected) / w.initial, 1e-9) << preset;
  }
}

TEST(Invariants, SameInputsGiveBitIdenticalResults) {
  const auto p = io::load_preset("hrpci");
  auto run = [&p] {
    auto s = testing::session_of(p);
    s->advance_to(20.0);
    const auto y = s->state();
    return std::vector<double>(y.begin(), y.end());
  };
  const auto a = run();
  const auto b = run();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(std::memcmp(&a[i], &b[i], sizeof(double)), 0) << "state " << i;
  }
}

TEST(Invariants, OutputRateDoesNotChangeTheTrajectory) {
  const auto p = io::load_preset("normal");
  struct Sink : sim::SimulationObserver {
    void on_sample(const physio::Observables&) override {}
  } sink;
  auto quiet = testing::session_of(p), recorded = testing::session_of(p);
  quiet->advance_to(10.0);
  recorded->set_recorder(&sink, 0.001);
  recorded->advance_to(10.0);
  const auto a = quiet->state();
  const auto b = recorded->state();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "state " << i;
}

TEST(Invariants, TheStepLoopAllocatesNothing) {
  const auto p = io::load_preset("normal");
  auto s = testing::session_of(p);
  s->advance_to(3.0);  // warm-up: integrator buffers are sized on first use
  const long before = g_allocations.load();
  s->advance_to(60.0);
  EXPECT_EQ(g_allocations.load() - before, 0);
}

}  // namespace
}  // namespace unload
