// What a micro-axial pump's console is configured with: its pump's levels, its modes' timings,
// its alarm rules and its schedule of regular checks. Filled by io from data/console/operation.toml
// (every value there with its source) and the pump's own data file (level speeds). Numbers only:
// the console sees no physiology and no device code.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "unload/control/alarms.hpp"
#include "unload/control/pump_estimator.hpp"

namespace unload::control {

// The fixed alarms of the console, in the order of ConsoleConfig::alarms. One alarm per regular
// check ("check_overdue_<name>") follows them.
enum class AlarmId : std::uint8_t {
  pump_stopped,              // "Impella Stopped"
  position_in_ventricle,     // "Impella Position In Ventricle"
  position_wrong,            // "Impella Position Wrong"
  position_unknown,          // "Impella Position Unknown"
  suction,                   // "Suction"
  flow_reduced,              // "Impella Flow Reduced" (AUTO lowered the speed for suction)
  purge_pressure_high,       // "Purge Pressure High"
  purge_pressure_low,        // "Purge Pressure Low"
  purge_system_blocked,      // "Purge System Blocked"
  sensor_failure_placement,  // "Sensor Failure: Placement Signal"
  sensor_failure_current,    // "Sensor Failure: Motor Current"
  count
};
inline constexpr std::size_t kFixedAlarmCount = static_cast<std::size_t>(AlarmId::count);
// Keys of the fixed alarms in the data file and outputs, in AlarmId order.
inline constexpr std::array<const char*, kFixedAlarmCount> kAlarmKeys = {"pump_stopped",
                                                                         "position_in_ventricle",
                                                                         "position_wrong",
                                                                         "position_unknown",
                                                                         "suction",
                                                                         "flow_reduced",
                                                                         "purge_pressure_high",
                                                                         "purge_pressure_low",
                                                                         "purge_system_blocked",
                                                                         "sensor_failure_placement",
                                                                         "sensor_failure_current"};

struct CheckSpec {
  std::string name;  // stable key: "pump_position", "purge_system", ...
  std::string text;  // what to check
  double interval_s = 3600;
};

struct ConsoleConfig {
  PumpCharacteristic pump;        // its levels and curves
  EstimatorSettings estimator;    // how it estimates flow, LVEDP, placement
  int auto_highest_level = 8;     // what AUTO aims for
  int lowest_clinical_level = 2;  // P-2: lowest level to use (and AUTO's floor)
  // The console's cycle: every signal sample (the control tick, 100 Hz) feeds the estimators; the
  // rules (placement, modes, restart, weaning, alarms) run once per rule interval.
  double rule_interval_s = 0.1;

  double auto_ramp_s = 30;           // AUTO ramps up over this at start
  double placement_settle_s = 30;    // position alarms only after this much running
  double auto_ramp_step_s = 1;       // the ramp's speed steps (each restarts the integrator)
  double auto_limit_s = 3 * 3600.0;  // AUTO no longer offered after this much support
  double boost_limit_s = 300;        // BOOST, then P-8
  double suction_step_s = 2;         // AUTO lowers one level per step while suction lasts
  double suction_restore_s = 10;     // and raises one level per this once it has cleared

  double stop_speed_fraction = 0.5;     // running below this share of the set speed: stopped
  double restart_attempt_s = 3;         // each restart attempt (P-8, then P-2)
  double restart_wait_s = 60;           // wait before the next cycle of attempts
  double restart_speed_fraction = 0.8;  // an attempt succeeded when the speed reaches this share

  int wean_step_levels = 2;       // weaning lowers two levels at a time
  double wean_interval_s = 300;   // and checks the haemodynamics before the next step
  double wean_map_min_mmHg = 65;  // weaning stops if MAP falls below this
  double wean_cpo_min_W = 0.6;    // or the estimated cardiac power output below this

  double purge_pressure_high_mmHg = 1100;
  double purge_pressure_low_mmHg = 300;
  double purge_flow_blocked_mL_h = 1;
  double purge_time_constant_s = 2;  // purge readings are smoothed over this

  double current_noise_step_mA = 15;     // a tick-to-tick second difference this large is a jump
  double current_noise_fraction = 0.25;  // noisy: more than this share of recent ticks jump
  double current_noise_time_constant_s = 1;
  double current_max_mA = 2000;  // a reading outside 0..max is a failed sensor

  double suction_lv_pressure_mmHg = -10;  // suction: the LV pressure estimated from the pump's
  double suction_window_s = 1;            // signals has its minimum over this window below this

  double mute_s = 120;  // how long a mute lasts

  std::vector<AlarmSpec> alarms;  // kFixedAlarmCount, in AlarmId order
  std::vector<CheckSpec> checks;

  // Of the values of the data files it was loaded from (data/console/operation.toml and
  // impella.toml; io::load_console_config); 0 for a configuration built in code. A console's saved
  // state carries it, and a console of another configuration refuses that state.
  std::uint64_t data_fingerprint = 0;
};

}  // namespace unload::control
