// The micro-axial pump block (Impella 2.5, CP, 5.5) on its own: built from its data file and
// driven with a synthetic DeviceContext (fixed or prescribed pressures), its own states integrated
// by a small fixed-step RK4 loop in the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "unload/devices/registry.hpp"
#include "unload/io/devices.hpp"
#include "unload/physio/device.hpp"

namespace {

using unload::physio::DeviceBlock;
using unload::physio::DeviceContext;
using unload::physio::DeviceReadings;
using unload::physio::DeviceSettings;
using unload::physio::find_setting;
using unload::physio::Site;
using unload::physio::SiteFlows;

constexpr double kLminPerMls = 0.06;

std::size_t setting(const DeviceBlock& d, std::string_view name) {
  const auto i = find_setting(d, name);
  EXPECT_TRUE(i.has_value()) << name;
  return i.value_or(0);
}

std::size_t reading(const DeviceBlock& d, std::string_view name) {
  const auto specs = d.reading_specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return i;
  }
  ADD_FAILURE() << "no reading " << name;
  return 0;
}

std::size_t state(const DeviceBlock& d, std::string_view name) {
  for (std::size_t i = 0; i < d.state_size(); ++i) {
    if (d.state_name(i) == name) return i;
  }
  ADD_FAILURE() << "no state " << name;
  return 0;
}

double level_rpm(const DeviceBlock& d, std::string_view level) {
  std::string error;
  const auto v = d.parse_setting("speed_rpm", level, error);
  EXPECT_TRUE(v.has_value()) << error;
  return v.value_or(0.0);
}

// A pump with its settings and states, driven at pressures set by `drive(t, context)`.
struct Rig {
  explicit Rig(std::string_view kind)
      : pump(unload::io::load_device(kind)), settings(pump->default_settings()) {
    pump->derive_settings(settings);
    context.left_ventricle_mL = 120.0;
    context.left_ventricle_unstressed_mL = 10.0;
    set_pressures(20.0, 80.0);
    reset();
  }

  void set(std::string_view name, double value) {
    settings.value[setting(*pump, name)] = value;
    pump->derive_settings(settings);  // as the simulation does after every change
  }
  void set_pressures(double lv_mmHg, double aorta_mmHg) {
    context.pressure_mmHg[static_cast<std::size_t>(Site::left_ventricle)] = lv_mmHg;
    context.pressure_mmHg[static_cast<std::size_t>(Site::aortic_root)] = aorta_mmHg;
  }
  void reset() {
    t = 0.0;
    x.assign(pump->state_size(), 0.0);
    pump->initial_state(x, settings);
  }

  void derivatives(double t, const std::vector<double>& xs, std::vector<double>& dx) {
    if (drive) drive(t, context);
    context.t_s = t;
    SiteFlows flows;
    pump->evaluate(context, xs, dx, settings, flows, nullptr);
  }

  // Classical RK4 over `seconds`; calls `sample` after every step.
  void run(double seconds, double dt = 1e-4,
           const std::function<void(double, const DeviceReadings&)>& sample = {}) {
    const std::size_t n = x.size();
    std::vector<double> k1(n), k2(n), k3(n), k4(n), tmp(n);
    const auto steps = static_cast<long>(std::lround(seconds / dt));
    for (long i = 0; i < steps; ++i) {
      derivatives(t, x, k1);
      for (std::size_t j = 0; j < n; ++j) tmp[j] = x[j] + 0.5 * dt * k1[j];
      derivatives(t + 0.5 * dt, tmp, k2);
      for (std::size_t j = 0; j < n; ++j) tmp[j] = x[j] + 0.5 * dt * k2[j];
      derivatives(t + 0.5 * dt, tmp, k3);
      for (std::size_t j = 0; j < n; ++j) tmp[j] = x[j] + dt * k3[j];
      derivatives(t + dt, tmp, k4);
      for (std::size_t j = 0; j < n; ++j) {
        x[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
      }
      t += dt;
      if (sample) sample(t, readings());
    }
  }

  DeviceReadings readings(SiteFlows* flows_out = nullptr) {
    if (drive) drive(t, context);
    std::vector<double> dx(x.size());
    SiteFlows flows;
    DeviceReadings r;
    pump->evaluate(context, x, dx, settings, flows, &r);
    if (flows_out) *flows_out = flows;
    return r;
  }
  double read(std::string_view name) { return readings().value[reading(*pump, name)]; }
  double flow_L_min() { return read("pump_flow_mL_s") * kLminPerMls; }

  // Runs to steady state at fixed pressures from the initial state; returns the flow in L/min.
  double steady_flow_L_min(double lv_mmHg, double aorta_mmHg, double seconds = 0.5) {
    set_pressures(lv_mmHg, aorta_mmHg);
    reset();
    run(seconds);
    return flow_L_min();
  }

  std::unique_ptr<DeviceBlock> pump;
  DeviceSettings settings;
  DeviceContext context;
  std::vector<double> x;
  double t = 0;
  std::function<void(double, DeviceContext&)> drive;
};

const char* const kMembers[] = {"impella-2.5", "impella-cp", "impella-5.5"};

// Performance levels of a member, "P1".. its highest, then "BOOST".
std::vector<std::string> levels_of(const DeviceBlock& d) {
  std::vector<std::string> out;
  std::string error;
  for (int i = 1; i <= 9; ++i) {
    std::string level = "P";
    level += std::to_string(i);
    if (d.parse_setting("speed_rpm", level, error)) out.push_back(level);
  }
  out.emplace_back("BOOST");
  return out;
}

TEST(MicroAxialPump, EveryMemberLoadsWithItsKindAndDefaults) {
  for (const char* kind : kMembers) {
    Rig rig(kind);
    EXPECT_EQ(rig.pump->kind(), kind);
    EXPECT_EQ(unload::devices::find_device_type(kind)->family, "micro-axial pump");
    const auto s = rig.pump->default_settings();
    EXPECT_DOUBLE_EQ(s.value[setting(*rig.pump, "speed_rpm")], level_rpm(*rig.pump, "P8"));
    EXPECT_DOUBLE_EQ(s.value[setting(*rig.pump, "position")], 0.0);
    EXPECT_DOUBLE_EQ(s.value[setting(*rig.pump, "dextrose_pct")], 20.0);
    EXPECT_DOUBLE_EQ(s.value[setting(*rig.pump, "motor_failure")], 0.0);
    for (const auto& [key, source] : unload::io::device_sources(kind)) {
      EXPECT_FALSE(source.empty()) << kind << " " << key;
    }
    // The console's sensors.
    for (const char* name : {"placement_signal_mmHg", "motor_current_mA", "motor_speed_rpm",
                             "purge_pressure_mmHg", "purge_flow_mL_h"}) {
      EXPECT_NE(rig.pump->reading_specs()[reading(*rig.pump, name)].signal, unload::Signal::none)
          << name;
    }
    EXPECT_EQ(rig.pump->reading_specs()[reading(*rig.pump, "pump_flow_mL_s")].signal,
              unload::Signal::none);
  }
}

TEST(MicroAxialPump, Impella25FlowAtEachLevelWithinIfuRange) {
  // Impella 2.5 IFU P-level table (manualslib 264960 p11): flow (L/min) at each P-level; the rig
  // holds LV 20 and aorta 80 mmHg (difference 60).
  struct Row {
    const char* level;
    double rpm, lo, hi;
  };
  const Row table[] = {
      {"P1", 25000, 0.0, 1.1}, {"P2", 35000, 0.8, 1.5}, {"P3", 38000, 1.1, 1.7},
      {"P4", 40000, 1.3, 1.8}, {"P5", 43000, 1.5, 1.9}, {"P6", 45000, 1.7, 2.1},
      {"P7", 47000, 1.8, 2.2}, {"P8", 50000, 2.1, 2.4}, {"BOOST", 51000, 2.1, 2.5}};
  Rig rig("impella-2.5");
  for (const auto& row : table) {
    EXPECT_DOUBLE_EQ(level_rpm(*rig.pump, row.level), row.rpm) << row.level;
    rig.set("speed_rpm", row.rpm);
    const double q = rig.steady_flow_L_min(20.0, 80.0);
    EXPECT_GE(q, row.lo) << row.level;
    EXPECT_LE(q, row.hi) << row.level;
    EXPECT_NEAR(rig.read("motor_speed_rpm"), row.rpm, 20.0) << row.level;
  }
}

// CP and 5.5: published end points; levels in between rise in order.
void expect_end_points(const char* kind, double q_low, double q_high, double tolerance) {
  Rig rig(kind);
  double previous = 0.0;
  for (int i = 1; i <= 9; ++i) {
    std::string level = "P";
    level += std::to_string(i);
    rig.set("speed_rpm", level_rpm(*rig.pump, level));
    const double q = rig.steady_flow_L_min(20.0, 80.0);
    if (i == 1) {
      EXPECT_NEAR(q, q_low, tolerance) << kind << " " << level;
    }
    if (i == 9) {
      EXPECT_NEAR(q, q_high, tolerance) << kind << " " << level;
    }
    EXPECT_GT(q, previous) << kind << " " << level;
    previous = q;
  }
}

TEST(MicroAxialPump, ImpellaCpFlowAtEndLevelsMatchesPublishedPoints) {
  // JSCAI 2022;1(6):100449 Table 3 (Impella CP): 0.9 L/min at 23,000 rpm, 3.7 L/min at 46,000 rpm.
  Rig rig("impella-cp");
  EXPECT_DOUBLE_EQ(level_rpm(*rig.pump, "P1"), 23000.0);
  EXPECT_DOUBLE_EQ(level_rpm(*rig.pump, "P9"), 46000.0);
  expect_end_points("impella-cp", 0.9, 3.7, 0.15);
}

TEST(MicroAxialPump, Impella55FlowAtEndLevelsMatchesPublishedPoints) {
  // JSCAI 2022;1(6):100449 Table 3 (Impella 5.5): 1.9 L/min at 17,000 rpm, 5.5 L/min at 33,000 rpm.
  Rig rig("impella-5.5");
  EXPECT_DOUBLE_EQ(level_rpm(*rig.pump, "P1"), 17000.0);
  EXPECT_DOUBLE_EQ(level_rpm(*rig.pump, "P9"), 33000.0);
  expect_end_points("impella-5.5", 1.9, 5.5, 0.2);
}

TEST(MicroAxialPump, FlowFallsAsPressureDifferenceRisesAtEveryLevel) {
  for (const char* kind : kMembers) {
    Rig rig(kind);
    for (const auto& level : levels_of(*rig.pump)) {
      rig.set("speed_rpm", level_rpm(*rig.pump, level));
      double previous = 1e9;
      for (double dp = 0.0; dp <= 120.0; dp += 20.0) {
        const double q = rig.steady_flow_L_min(10.0, 10.0 + dp);
        EXPECT_LT(q, previous) << kind << " " << level << " dP " << dp;
        previous = q;
      }
    }
  }
}

TEST(MicroAxialPump, PlausibleAgainstPrototypeCurve) {
  // ASAIO J 2023;69:519 (PMC10238625), a 16 Fr micro-axial prototype: 3 L/min against 110 mmHg, 4
  // L/min against 80 mmHg. The 14 Fr CP at its top level should be of the same order (sanity check
  // only).
  Rig rig("impella-cp");
  rig.set("speed_rpm", level_rpm(*rig.pump, "P9"));
  const double q80 = rig.steady_flow_L_min(0.0, 80.0);
  const double q110 = rig.steady_flow_L_min(0.0, 110.0);
  EXPECT_GT(q80, 2.5);
  EXPECT_LT(q80, 5.0);
  EXPECT_GT(q110, 2.0);
  EXPECT_LT(q110, 4.5);
}

TEST(MicroAxialPump, MotorCurrentRisesWithFlowAtFixedSpeed) {
  for (const char* kind : kMembers) {
    Rig rig(kind);
    double previous_flow = -1e9, previous_current = -1e9;
    for (double dp = 100.0; dp >= 0.0; dp -= 20.0) {
      const double q = rig.steady_flow_L_min(10.0, 10.0 + dp);
      const double current = rig.read("motor_current_mA");
      EXPECT_GT(q, previous_flow) << kind << " dP " << dp;
      EXPECT_GT(current, previous_current) << kind << " dP " << dp;
      previous_flow = q;
      previous_current = current;
    }
    // A few hundred mA at P-8 and 60 mmHg (assumption: no public map of motor current).
    rig.steady_flow_L_min(20.0, 80.0);
    EXPECT_GT(rig.read("motor_current_mA"), 200.0) << kind;
    EXPECT_LT(rig.read("motor_current_mA"), 1200.0) << kind;
  }
}

// Peak-to-peak of a reading over the last second of a 3 s run with a beating heart (1 Hz):
// LV 8..118 mmHg, aorta 75..120 mmHg.
double peak_to_peak(Rig& rig, std::string_view name) {
  rig.drive = [](double t, DeviceContext& c) {
    const double phase = std::sin(2.0 * 3.14159265358979 * t);
    const double systole = std::max(0.0, phase);
    c.pressure_mmHg[static_cast<std::size_t>(Site::left_ventricle)] = 8.0 + 110.0 * systole;
    c.pressure_mmHg[static_cast<std::size_t>(Site::aortic_root)] = 75.0 + 45.0 * systole * systole;
  };
  rig.reset();
  double lo = 1e9, hi = -1e9;
  const std::size_t i = reading(*rig.pump, name);
  rig.run(3.0, 1e-4, [&](double t, const DeviceReadings& r) {
    if (t < 2.0) return;
    lo = std::min(lo, r.value[i]);
    hi = std::max(hi, r.value[i]);
  });
  rig.drive = nullptr;
  return hi - lo;
}

TEST(MicroAxialPump, MotorCurrentPulsatileAcrossValveFlatInVentricle) {
  for (const char* kind : kMembers) {
    Rig rig(kind);
    const double across_valve_mA = peak_to_peak(rig, "motor_current_mA");
    const double across_valve_flow = peak_to_peak(rig, "pump_flow_mL_s");
    const double speed_ripple = peak_to_peak(rig, "motor_speed_rpm");
    EXPECT_LT(speed_ripple, 0.02 * rig.settings.value[setting(*rig.pump, "speed_rpm")])
        << kind;  // the speed controller holds the set speed over the beat
    rig.set("position", 1.0);
    const double in_ventricle_mA = peak_to_peak(rig, "motor_current_mA");
    EXPECT_GT(across_valve_mA, 30.0) << kind;
    EXPECT_GT(across_valve_flow * kLminPerMls, 0.3) << kind;  // flow is pulsatile too
    EXPECT_LT(in_ventricle_mA, 0.05 * across_valve_mA) << kind;
  }
}

TEST(MicroAxialPump, StoppedPumpLeaksBackwardsAcrossTheValve) {
  // A stopped pump across the valve causes aortic insufficiency (Impella 2.5 IFU, manualslib
  // 264960). Expected leak at a 60 mmHg diastolic gradient: the Bernoulli flow through the cannula
  // lumen with a discharge coefficient of 0.35 (the data files' stopped_rotor_loss), 0.5-2 L/min.
  for (const char* kind : kMembers) {
    Rig rig(kind);
    rig.set("speed_rpm", level_rpm(*rig.pump, "P0"));
    const double q = rig.steady_flow_L_min(10.0, 70.0);
    EXPECT_LT(q, -0.5) << kind;
    EXPECT_GT(q, -2.0) << kind;
    EXPECT_NEAR(rig.read("motor_speed_rpm"), 0.0, 1.0) << kind;
    EXPECT_DOUBLE_EQ(rig.read("motor_current_mA"), 0.0) << kind;
  }
}

TEST(MicroAxialPump, MotorFailureAtP8StopsThePumpAndItLeaks) {
  for (const char* kind : kMembers) {
    Rig rig(kind);
    rig.set_pressures(10.0, 70.0);
    rig.run(0.5);  // running at P-8
    EXPECT_GT(rig.flow_L_min(), 1.0) << kind;
    rig.set("motor_failure", 1.0);
    rig.run(2.0);
    EXPECT_LT(rig.flow_L_min(), -0.5) << kind;
    EXPECT_GT(rig.flow_L_min(), -2.0) << kind;
    EXPECT_LT(std::abs(rig.read("motor_speed_rpm")), 500.0) << kind;
    EXPECT_DOUBLE_EQ(rig.read("motor_current_mA"), 0.0) << kind;
    // Restarted at P-8 (the IFU's first step, Impella 2.5 IFU, manualslib 264960), it pumps forward
    // again.
    rig.set("motor_failure", 0.0);
    rig.run(0.5);
    EXPECT_GT(rig.flow_L_min(), 1.0) << kind;
    EXPECT_NEAR(rig.read("motor_speed_rpm"), level_rpm(*rig.pump, "P8"), 50.0) << kind;
  }
}

TEST(MicroAxialPump, PlacementSignalShowsAorticPressureWhenCorrectVentricularWhenTooDeep) {
  Rig rig("impella-cp");
  rig.set_pressures(12.0, 85.0);
  const Site lv = Site::left_ventricle, aorta = Site::aortic_root;

  rig.set("position", 0.0);  // correct: LV -> aortic root
  SiteFlows flows;
  auto r = rig.readings(&flows);
  EXPECT_DOUBLE_EQ(r.value[reading(*rig.pump, "placement_signal_mmHg")], 85.0);
  rig.run(0.3);
  r = rig.readings(&flows);
  const double q = r.value[reading(*rig.pump, "pump_flow_mL_s")];
  EXPECT_GT(q, 0.0);
  EXPECT_DOUBLE_EQ(flows.into(lv), -q);
  EXPECT_DOUBLE_EQ(flows.into(aorta), q);

  rig.set("position", 1.0);  // too deep: LV -> LV, volumes unaffected
  rig.run(0.3);
  r = rig.readings(&flows);
  EXPECT_DOUBLE_EQ(r.value[reading(*rig.pump, "placement_signal_mmHg")], 12.0);
  EXPECT_GT(r.value[reading(*rig.pump, "pump_flow_mL_s")], q);  // no pressure to pump against
  EXPECT_DOUBLE_EQ(flows.into(lv), 0.0);
  EXPECT_DOUBLE_EQ(flows.into(aorta), 0.0);

  rig.set("position", 2.0);  // too shallow: aortic root -> aortic root
  rig.run(0.3);
  r = rig.readings(&flows);
  EXPECT_DOUBLE_EQ(r.value[reading(*rig.pump, "placement_signal_mmHg")], 85.0);
  EXPECT_DOUBLE_EQ(flows.into(lv), 0.0);
  EXPECT_DOUBLE_EQ(flows.into(aorta), 0.0);
}

TEST(MicroAxialPump, SuctionCollapsesFlowAndDropsCurrentAsVentricleEmpties) {
  for (const char* kind : kMembers) {
    Rig rig(kind);
    rig.set("speed_rpm", level_rpm(*rig.pump, "P8"));
    const double unstressed = rig.context.left_ventricle_unstressed_mL;
    double full_flow = 0, full_current = 0, previous_flow = 1e9, previous_current = 1e9;
    for (double margin : {60.0, 30.0, 15.0, 10.0, 5.0, 0.0}) {
      rig.context.left_ventricle_mL = unstressed + margin;
      const double q = rig.steady_flow_L_min(3.0, 80.0);
      const double current = rig.read("motor_current_mA");
      const double obstruction = rig.read("inlet_obstruction");
      EXPECT_LE(q, previous_flow) << kind << " margin " << margin;
      EXPECT_LE(current, previous_current) << kind << " margin " << margin;
      if (margin == 60.0) {
        full_flow = q;
        full_current = current;
        EXPECT_LT(obstruction, 0.01) << kind;
      }
      if (margin == 0.0) {
        EXPECT_GT(obstruction, 0.95) << kind;
        EXPECT_LT(q, 0.25 * full_flow) << kind;
        EXPECT_LT(current, 0.6 * full_current) << kind;
      }
      previous_flow = q;
      previous_current = current;
    }
  }
}

TEST(MicroAxialPump, SuctionKeepsAnEmptyingVentricleAboveItsUnstressedVolume) {
  // A toy left ventricle filled from an atrium at 4 mmHg through a mitral resistance, emptied
  // only by the pump at BOOST: the inlet obstruction must stop the pump from draining it.
  for (const char* kind : kMembers) {
    Rig rig(kind);
    rig.set("speed_rpm", level_rpm(*rig.pump, "BOOST"));
    const double unstressed = rig.context.left_ventricle_unstressed_mL;
    double volume = 60.0;
    const auto lv_pressure = [&](double v) {
      return 0.5 * (std::exp(0.03 * (v - unstressed)) - 1.0);
    };
    rig.reset();
    const std::size_t flow = state(*rig.pump, "pump_flow_mL_s");
    const double dt = 1e-4;
    double min_volume = volume;
    for (int i = 0; i < 50000; ++i) {  // 5 s, explicit Euler for the toy ventricle
      rig.context.left_ventricle_mL = volume;
      rig.set_pressures(lv_pressure(volume), 80.0);
      const double inflow = (4.0 - lv_pressure(volume)) / 0.2;
      rig.run(dt, dt);
      volume += dt * (inflow - rig.x[flow]);
      min_volume = std::min(min_volume, volume);
    }
    EXPECT_GT(min_volume, unstressed) << kind;
    EXPECT_GT(rig.read("inlet_obstruction"), 0.5) << kind;
    EXPECT_TRUE(std::isfinite(rig.x[flow])) << kind;
  }
}

TEST(MicroAxialPump, PurgePressureNormalAtDefaultsAndHighWhenOccludedOrViscous) {
  // Working range 300-1100 mmHg (300: droracle.ai), alarm above 1100 mmHg (Impella 2.5 IFU
  // p. 5.49).
  for (const char* kind : kMembers) {
    Rig rig(kind);
    rig.set_pressures(10.0, 80.0);
    rig.run(200.0, 1e-3);
    const double normal = rig.read("purge_pressure_mmHg");
    EXPECT_GT(normal, 300.0) << kind;
    EXPECT_LT(normal, 1100.0) << kind;
    EXPECT_NEAR(rig.read("purge_flow_mL_h"),
                rig.settings.value[setting(*rig.pump, "purge_flow_mL_h")], 0.2)
        << kind;

    rig.set("purge_occlusion", 0.8);
    rig.run(600.0, 1e-3);
    EXPECT_GT(rig.read("purge_pressure_mmHg"), 1100.0) << kind;

    rig.set("purge_occlusion", 0.0);
    rig.set("dextrose_pct", 40.0);
    rig.set("purge_flow_mL_h", 25.0);
    rig.run(600.0, 1e-3);
    EXPECT_GT(rig.read("purge_pressure_mmHg"), 1100.0) << kind;

    // Lower dextrose, lower pressure (the IFU's remedy, Impella 2.5 IFU p. 5.49).
    rig.set("dextrose_pct", 5.0);
    rig.set("purge_flow_mL_h", 10.0);
    rig.run(300.0, 1e-3);
    EXPECT_LT(rig.read("purge_pressure_mmHg"), normal) << kind;
  }
}

// Haemolysis index gained over `seconds` at fixed pressures and LV volume (mL of blood): the run
// integral of the damage rate, as the recorders form it.
double haemolysis_over(Rig& rig, double seconds) {
  rig.reset();
  const double dt = 1e-4;
  const std::size_t rate = reading(*rig.pump, "haemolysis_rate_mL_h");
  double total_mL = 0.0;
  rig.run(seconds, dt,
          [&](double, const DeviceReadings& r) { total_mL += r.value[rate] * dt / 3600.0; });
  return total_mL;
}

TEST(MicroAxialPump, HaemolysisRisesWithSpeedAndMoreWithSuction) {
  for (const char* kind : kMembers) {
    Rig rig(kind);
    rig.set_pressures(10.0, 80.0);
    rig.set("speed_rpm", level_rpm(*rig.pump, "P2"));
    const double low = haemolysis_over(rig, 1.0);
    rig.set("speed_rpm", level_rpm(*rig.pump, "P8"));
    const double high = haemolysis_over(rig, 1.0);
    rig.context.left_ventricle_mL = rig.context.left_ventricle_unstressed_mL + 10.0;
    const double suction = haemolysis_over(rig, 1.0);
    EXPECT_GT(low, 0.0) << kind;
    EXPECT_GT(high, 1.5 * low) << kind;
    EXPECT_GT(suction, 1.5 * high) << kind;
    // Order of magnitude at P-8: a fraction of a mL of blood per hour (calibration: NIH of order
    // 0.01 g/100 L).
    EXPECT_GT(high * 3600.0, 0.02) << kind;
    EXPECT_LT(high * 3600.0, 1.0) << kind;
  }
}

TEST(MicroAxialPump, SpeedSettingAcceptsLevelsAndNamesTheMembersLevelsOnError) {
  Rig rig25("impella-2.5");
  std::string error;
  EXPECT_FALSE(rig25.pump->parse_setting("speed_rpm", "P9", error).has_value());
  EXPECT_NE(error.find("Impella 2.5"), std::string::npos) << error;
  EXPECT_NE(error.find("P0, P1, P2, P3, P4, P5, P6, P7, P8, BOOST"), std::string::npos) << error;
  EXPECT_EQ(error.find("P9", error.find("'P9'") + 4), std::string::npos)
      << error;  // P9 only as the rejected text
  error.clear();
  EXPECT_FALSE(rig25.pump->parse_setting("speed_rpm", "fast", error).has_value());
  EXPECT_NE(error.find("BOOST"), std::string::npos) << error;
  EXPECT_DOUBLE_EQ(level_rpm(*rig25.pump, "boost"), 51000.0);
  EXPECT_DOUBLE_EQ(level_rpm(*rig25.pump, " p-8 "), 50000.0);
  EXPECT_DOUBLE_EQ(level_rpm(*rig25.pump, "P0"), 0.0);
  EXPECT_DOUBLE_EQ(level_rpm(*rig25.pump, "42000"), 42000.0);
  EXPECT_FALSE(rig25.pump->parse_setting("speed_rpm", "60000", error).has_value());

  Rig rig_cp("impella-cp");
  EXPECT_DOUBLE_EQ(level_rpm(*rig_cp.pump, "P9"), 46000.0);
  EXPECT_FALSE(rig_cp.pump->parse_setting("speed_rpm", "P10", error).has_value());
  EXPECT_NE(error.find("P9, BOOST"), std::string::npos) << error;
}

TEST(MicroAxialPump, OtherSettingsParseWordsAndNumbers) {
  Rig rig("impella-cp");
  const auto& pump = *rig.pump;
  std::string error;
  EXPECT_EQ(pump.parse_setting("position", "Correct", error), 0.0);
  EXPECT_EQ(pump.parse_setting("position", "ventricle", error), 1.0);
  EXPECT_EQ(pump.parse_setting("position", "AORTA", error), 2.0);
  EXPECT_EQ(pump.parse_setting("position", "2", error), 2.0);
  EXPECT_FALSE(pump.parse_setting("position", "atrium", error).has_value());
  EXPECT_NE(error.find("correct, ventricle, aorta"), std::string::npos) << error;
  EXPECT_EQ(pump.parse_setting("dextrose_pct", "D10", error), 10.0);
  EXPECT_EQ(pump.parse_setting("dextrose_pct", "25", error), 25.0);
  EXPECT_FALSE(pump.parse_setting("dextrose_pct", "50", error).has_value());
  EXPECT_EQ(pump.parse_setting("purge_occlusion", "0.5", error), 0.5);
  EXPECT_EQ(pump.parse_setting("motor_failure", "1", error), 1.0);
  EXPECT_FALSE(pump.parse_setting("motor_failure", "0.5", error).has_value());
  EXPECT_EQ(pump.parse_setting("purge_flow_mL_h", "12", error), 12.0);
  EXPECT_FALSE(pump.parse_setting("unknown", "1", error).has_value());
}

TEST(MicroAxialPump, SpeedFollowsALevelChangeWithinAFractionOfASecond) {
  Rig rig("impella-cp");
  rig.set("speed_rpm", level_rpm(*rig.pump, "P2"));
  rig.set_pressures(20.0, 80.0);
  rig.reset();
  rig.run(0.3);
  rig.set("speed_rpm", level_rpm(*rig.pump, "P9"));
  rig.run(0.1);
  EXPECT_NEAR(rig.read("motor_speed_rpm"), 46000.0, 100.0);
  EXPECT_NEAR(rig.flow_L_min(), 3.7, 0.15);
}

}  // namespace
