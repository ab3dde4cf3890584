// The intra-aortic balloon pump block on its own: a synthetic ECG (fixed heart period) drives the
// block, and a fixed-step Runge-Kutta loop integrates its balloon volume. Timing follows the
// textbook (e.g. Trost & Hillis, Am J Cardiol 2006;97:1391): inflate at the dicrotic notch,
// deflate before ejection, 1:1 to 1:3.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "unload/io/devices.hpp"
#include "unload/physio/device.hpp"

namespace unload {
namespace {

using physio::DeviceBlock;
using physio::DeviceContext;
using physio::DeviceReadings;
using physio::DeviceSettings;
using physio::Site;
using physio::SiteFlows;

constexpr double kPeriod_s = 0.8;  // 75/min
constexpr double kStep_s = 0.0005;
// The ECG estimate of aortic-valve closure, k*sqrt(RR) with k from data/devices/iabp.toml.
const double kEcgNotch_s = 0.40 * std::sqrt(kPeriod_s);
// Start of ejection: the model's aortic valve opens 0.09-0.12 s after the R wave (normal, hrpci
// and shock presets without a device).
constexpr double kEjectionStart_s = 0.08;

std::unique_ptr<DeviceBlock> balloon() { return io::load_device("iabp"); }

DeviceSettings settings(const DeviceBlock& d,
                        std::initializer_list<std::pair<std::string, std::string>> given) {
  DeviceSettings s = d.default_settings();
  for (const auto& [name, text] : given) {
    std::string error;
    const auto slot = physio::find_setting(d, name);
    const auto v = d.parse_setting(name, text, error);
    EXPECT_TRUE(slot && v) << name << " = " << text << ": " << error;
    if (slot && v) s.value[*slot] = *v;
  }
  return s;
}

struct Trace {
  std::vector<double> volume_mL;  // balloon volume every kStep_s from t = 0
  double at(double t_s) const {
    const auto i = static_cast<std::size_t>(std::lround(t_s / kStep_s));
    return volume_mL.at(i);
  }
};

DeviceContext context(double t_s, int beat, double previous_ejection_end_s) {
  DeviceContext c;
  c.t_s = t_s;
  c.beat_start_s = beat * kPeriod_s;
  c.period_s = kPeriod_s;
  c.beat_index = beat;
  c.previous_ejection_end_s = beat > 0 ? previous_ejection_end_s : 0.0;
  c.pressure_mmHg[static_cast<std::size_t>(Site::aortic_root)] = 80.0;
  c.pressure_mmHg[static_cast<std::size_t>(Site::descending_aorta)] = 78.0;
  return c;
}

// Classic fourth-order Runge-Kutta over whole beats; steps land on every R wave, and the stages
// of a step see the beat the step started in (as the simulation cuts time at R waves).
Trace run(const DeviceBlock& d, const DeviceSettings& s, int beats,
          double previous_ejection_end_s = 0.0) {
  const std::size_t steps_per_beat = static_cast<std::size_t>(std::lround(kPeriod_s / kStep_s));
  std::vector<double> x(d.state_size()), k1(x.size()), k2(x.size()), k3(x.size()), k4(x.size()),
      tmp(x.size());
  d.initial_state(x, s);
  SiteFlows flows;
  const auto rhs = [&](double t, const std::vector<double>& y, std::vector<double>& dy, int n) {
    flows.clear();
    d.evaluate(context(t, n, previous_ejection_end_s), y, dy, s, flows, nullptr);
  };
  Trace trace;
  trace.volume_mL.push_back(x[0]);
  for (int n = 0; n < beats; ++n) {
    for (std::size_t i = 0; i < steps_per_beat; ++i) {
      const double t = n * kPeriod_s + static_cast<double>(i) * kStep_s;
      rhs(t, x, k1, n);
      for (std::size_t j = 0; j < x.size(); ++j) tmp[j] = x[j] + 0.5 * kStep_s * k1[j];
      rhs(t + 0.5 * kStep_s, tmp, k2, n);
      for (std::size_t j = 0; j < x.size(); ++j) tmp[j] = x[j] + 0.5 * kStep_s * k2[j];
      rhs(t + 0.5 * kStep_s, tmp, k3, n);
      for (std::size_t j = 0; j < x.size(); ++j) tmp[j] = x[j] + kStep_s * k3[j];
      rhs(t + kStep_s, tmp, k4, n);
      for (std::size_t j = 0; j < x.size(); ++j) {
        x[j] += kStep_s / 6.0 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
      }
      trace.volume_mL.push_back(x[0]);
    }
  }
  return trace;
}

double full_mL(const DeviceBlock& d) { return d.default_settings().value[0]; }

TEST(BalloonPump, EcgTriggerInflatesInDiastoleAndIsDeflatedAtTheStartOfEjection) {
  const auto d = balloon();
  const double full = full_mL(*d);
  EXPECT_EQ(full, 40.0);  // balloons of 30-40 mL (data/devices/iabp.toml)
  const auto trace = run(*d, d->default_settings(), 5);
  for (int n = 1; n < 4; ++n) {
    const double r = n * kPeriod_s;
    // Systole (from the start of ejection to just before the notch): deflated.
    for (double t = r + kEjectionStart_s; t < r + kEcgNotch_s - 0.01; t += 0.01) {
      EXPECT_LT(trace.at(t), 0.05 * full) << "beat " << n << ", " << t - r << " s after R";
    }
    // Diastole (from the notch + 0.1 s to the next R wave): at least 80% inflated.
    for (double t = r + kEcgNotch_s + 0.1; t < r + kPeriod_s - 0.005; t += 0.01) {
      EXPECT_GE(trace.at(t), 0.8 * full) << "beat " << n << ", " << t - r << " s after R";
    }
    // It starts to fill at the notch, not before.
    EXPECT_LT(trace.at(r + kEcgNotch_s - 0.006), 0.02 * full);
    EXPECT_GT(trace.at(r + kEcgNotch_s + 0.03), 0.5 * full);
  }
}

TEST(BalloonPump, ReadingsShowInflationAndAugmentedPressureOnlyWhileInflated) {
  const auto d = balloon();
  const auto s = d->default_settings();
  const double full = full_mL(*d);
  DeviceReadings out;
  std::vector<double> dx(1);
  SiteFlows flows;
  auto c = context(kPeriod_s + 0.6, 1, 0.0);
  std::vector<double> x{full};
  d->evaluate(c, x, dx, s, flows, &out);
  EXPECT_EQ(out.value[0], full);
  EXPECT_EQ(out.value[1], 1.0);
  EXPECT_EQ(out.value[2], 80.0);  // the aortic root pressure of the context
  x[0] = 0.5 * full;
  d->evaluate(c, x, dx, s, flows, &out);
  EXPECT_EQ(out.value[1], 0.0);
  EXPECT_EQ(out.value[2], 0.0);
  // At 1:2, beat 1 augments nothing: a balloon still emptying just after its R wave is inflated
  // but does not count as augmenting beat 1.
  const auto one_to_two = settings(*d, {{"ratio", "1:2"}});
  x[0] = full;
  d->evaluate(context(kPeriod_s + 0.002, 1, 0.0), x, dx, one_to_two, flows, &out);
  EXPECT_EQ(out.value[1], 1.0);
  EXPECT_EQ(out.value[2], 0.0);
  d->evaluate(context(2 * kPeriod_s + 0.6, 2, 0.0), x, dx, one_to_two, flows, &out);
  EXPECT_EQ(out.value[2], 80.0);
  // A balloon moves no blood.
  for (std::size_t i = 0; i < physio::site_count; ++i) {
    EXPECT_EQ(flows.into(static_cast<Site>(i)), 0.0);
  }
  const auto specs = d->reading_specs();
  ASSERT_EQ(specs.size(), 7u);
  EXPECT_EQ(specs[0].name, "balloon_volume_mL");
  EXPECT_EQ(specs[2].summary_key, "augmented_dia_mmHg");
  EXPECT_EQ(specs[2].summary, physio::BeatSummary::max);
}

TEST(BalloonPump, SystoleAndEndDiastoleAreReadAsAssistedOrUnassisted) {
  const auto d = balloon();
  const auto one_to_two = settings(*d, {{"ratio", "1:2"}});
  const auto reading = [&](std::string_view key) {
    const auto specs = d->reading_specs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].summary_key == key) return i;
    }
    ADD_FAILURE() << "no reading " << key;
    return std::size_t{0};
  };
  const std::size_t sys_u = reading("aop_sys_unassisted_mmHg");
  const std::size_t sys_a = reading("aop_sys_assisted_mmHg");
  const std::size_t edp_a = reading("baedp_mmHg");
  const std::size_t edp_u = reading("aedp_unassisted_mmHg");
  DeviceReadings out;
  std::vector<double> x{0.0}, dx(1);
  SiteFlows flows;
  // Beat 1 follows the augmented beat 0 (1:2): its ejection is the assisted systole, the pressure
  // before its valve opens the balloon-assisted end-diastolic pressure.
  auto c = context(kPeriod_s + 0.03, 1, 0.0);
  c.aortic_valve_flow_mL_s = 0.0;  // isovolumic contraction
  d->evaluate(c, x, dx, one_to_two, flows, &out);
  EXPECT_EQ(out.value[edp_a], 80.0);
  EXPECT_EQ(out.value[edp_u], 0.0);
  EXPECT_EQ(out.value[sys_a], 0.0);
  c = context(kPeriod_s + 0.15, 1, 0.0);
  c.aortic_valve_flow_mL_s = 300.0;  // ejecting
  d->evaluate(c, x, dx, one_to_two, flows, &out);
  EXPECT_EQ(out.value[sys_a], 80.0);
  EXPECT_EQ(out.value[sys_u], 0.0);
  EXPECT_EQ(out.value[edp_a], 0.0);
  // Beat 2 follows the unassisted beat 1.
  c = context(2 * kPeriod_s + 0.15, 2, 0.0);
  c.aortic_valve_flow_mL_s = 300.0;
  d->evaluate(c, x, dx, one_to_two, flows, &out);
  EXPECT_EQ(out.value[sys_u], 80.0);
  EXPECT_EQ(out.value[sys_a], 0.0);
  // After the notch the balloon's diastole is no systole.
  c = context(2 * kPeriod_s + 0.6, 2, 0.0);
  c.aortic_valve_flow_mL_s = 300.0;
  d->evaluate(c, x, dx, one_to_two, flows, &out);
  EXPECT_EQ(out.value[sys_u], 0.0);
}

TEST(BalloonPump, RatiosOneToTwoAndOneToThreeAugmentEverySecondAndThirdBeat) {
  const auto d = balloon();
  const double full = full_mL(*d);
  for (const int ratio : {1, 2, 3}) {
    const auto s = settings(*d, {{"ratio", "1:" + std::to_string(ratio)}});
    const auto trace = run(*d, s, 7);
    for (int n = 0; n < 7; ++n) {
      const double mid_diastole = n * kPeriod_s + 0.65;
      if (n % ratio == 0) {
        EXPECT_GE(trace.at(mid_diastole), 0.8 * full) << "1:" << ratio << ", beat " << n;
      } else {
        EXPECT_LT(trace.at(mid_diastole), 0.01 * full) << "1:" << ratio << ", beat " << n;
      }
    }
  }
}

TEST(BalloonPump, EarlyInflationStartsBeforeTheNotchAndLateDeflationOverlapsTheNextEjection) {
  const auto d = balloon();
  const double full = full_mL(*d);
  const auto timed = run(*d, d->default_settings(), 4);
  const auto early = run(*d, settings(*d, {{"inflation_offset_s", "-0.1"}}), 4);
  const auto late = run(*d, settings(*d, {{"deflation_offset_s", "0.08"}}), 4);
  for (int n = 1; n < 3; ++n) {
    const double r = n * kPeriod_s;
    // 30 ms before the notch: empty when timed, already filling when 0.1 s early.
    EXPECT_LT(timed.at(r + kEcgNotch_s - 0.03), 0.01 * full);
    EXPECT_GT(early.at(r + kEcgNotch_s - 0.03), 0.5 * full);
    // 50 ms after the next R wave: nearly empty when timed, still >= 50% when 80 ms late.
    EXPECT_LT(timed.at(r + kPeriod_s + 0.05), 0.2 * full);
    EXPECT_GE(late.at(r + kPeriod_s + 0.05), 0.5 * full);
    // The late balloon is still empty by the time the ejection is well under way.
    EXPECT_LT(late.at(r + kPeriod_s + 0.2), 0.05 * full);
  }
}

TEST(BalloonPump, PressureTriggerInflatesAtThePreviousBeatsEndOfEjection) {
  const auto d = balloon();
  const double full = full_mL(*d);
  const double ejection_end_s = 0.30;  // earlier than the ECG estimate (0.358 s at RR 0.8 s)
  const auto pressure = settings(*d, {{"trigger", "pressure"}});
  const auto by_pressure = run(*d, pressure, 4, ejection_end_s);
  const auto by_ecg = run(*d, d->default_settings(), 4, ejection_end_s);
  for (int n = 1; n < 3; ++n) {
    const double r = n * kPeriod_s;
    EXPECT_GT(by_pressure.at(r + ejection_end_s + 0.04), 0.6 * full);
    EXPECT_LT(by_ecg.at(r + ejection_end_s + 0.04), 0.01 * full);
  }
  // Until an end of ejection is known (0), the pressure trigger falls back to the ECG estimate.
  const auto fallback = run(*d, pressure, 3, 0.0);
  EXPECT_LT(fallback.at(kPeriod_s + kEcgNotch_s - 0.006), 0.02 * full);
  EXPECT_GT(fallback.at(kPeriod_s + kEcgNotch_s + 0.03), 0.5 * full);
}

TEST(BalloonPump, RatioOtherThanOneToOneTwoOrThreeIsRejected) {
  const auto d = balloon();
  for (const char* bad : {"1:4", "2:1", "4", "1.5", "one"}) {
    std::string error;
    EXPECT_FALSE(d->parse_setting("ratio", bad, error).has_value()) << bad;
    EXPECT_NE(error.find("1:1"), std::string::npos) << error;
    EXPECT_NE(error.find("1:2"), std::string::npos) << error;
    EXPECT_NE(error.find("1:3"), std::string::npos) << error;
  }
  std::string error;
  EXPECT_EQ(d->parse_setting("ratio", "1:2", error), 2.0);
  EXPECT_EQ(d->parse_setting("ratio", "3", error), 3.0);
  EXPECT_EQ(d->parse_setting("trigger", "ECG", error), 0.0);
  EXPECT_FALSE(d->parse_setting("trigger", "pulse", error).has_value());
  EXPECT_NE(error.find("ecg or pressure"), std::string::npos) << error;
  EXPECT_FALSE(d->parse_setting("volume_mL", "45", error).has_value());  // above the balloon
  EXPECT_FALSE(d->parse_setting("inflation", "0", error).has_value());
}

TEST(BalloonPump, DisplacedVolumeIsTheBalloonVolumeInTheDescendingAortaOnly) {
  const auto d = balloon();
  for (const double set_mL : {40.0, 30.0}) {
    const auto s = settings(*d, {{"volume_mL", std::to_string(set_mL)}});
    const auto trace = run(*d, s, 3);
    double most = 0;
    for (const double v : trace.volume_mL) {
      EXPECT_LE(v, set_mL + 1e-9);
      EXPECT_GE(v, 0.0);
      most = std::max(most, v);
      const std::vector<double> x{v};
      EXPECT_EQ(d->displaced_volume_mL(x, Site::descending_aorta), v);
      EXPECT_EQ(d->displaced_volume_mL(x, Site::aortic_root), 0.0);
    }
    EXPECT_GT(most, 0.99 * set_mL);
  }
}

}  // namespace
}  // namespace unload
