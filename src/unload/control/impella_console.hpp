// The console of a micro-axial pump (Impella-type), written as if it ran on the device's
// controller: it sees only its pump's sensor samples at every control tick (100 Hz) and the
// operator's input, and answers with speed and purge commands, alarms and advice. Every sample
// feeds the estimators; the rules (placement, modes, restart, weaning, alarms, checks) run on a
// grid of their own, every ConsoleConfig::rule_interval_s (0.1 s) from the first tick.
//
// Reads:  SignalFrame (placement_signal_mmHg, motor_current_mA, motor_speed_rpm,
//         purge_pressure_mmHg, purge_flow_mL_h); operator input (Command: speed_rpm as a level or
//         BOOST, auto_mode, purge settings, acknowledge_alarms, mute_alarms, confirm_check, wean).
// Writes: Command speed_rpm (only when the speed it wants changes), purge_flow_mL_h,
//         dextrose_pct; ConsoleMessages to a listener (alarms raised, acknowledged, muted and
//         cleared; mode changes; checks; advice).
//
// Modes (Automated Impella Controller IFU, devices.md 1.3):
//   AUTO     at start (unless the operator set a level): speed ramps over 30 s to the highest AUTO
//            level (P-8 on the 2.5, P-9 on the CP); suction lowers it one level per
//            suction_step_s down to P-2 ("Impella Flow Reduced"), and once suction has cleared for
//            suction_restore_s it climbs back one level at a time; suction that persists at P-2
//            raises "Suction". After 3 h of support AUTO ends (P-level mode at the level it ran)
//            and is no longer offered.
//   P-level  the operator's level; suction raises "Suction" (the operator lowers the level).
//   BOOST    the top speed for at most 5 min, then P-8.
//   Stopped  the pump runs below half its set speed: "Impella Stopped" and the restart sequence of
//            the instructions: P-8 for restart_attempt_s, then P-2, then wait restart_wait_s and
//            try again; after one failed cycle the advice to pull the pump out of the ventricle
//            (a stopped pump across the valve leaks: aortic insufficiency). Restarted at P-8, it
//            weans to P-2 ("function unreliable"); at P-2 it stays there.
//   Weaning  (operator input) two levels at a time every wean_interval_s, each step only if MAP
//            and the estimated cardiac power output stayed above their floors; down to P-2 and
//            then off (P-0). A failed check stops weaning and goes back up one step.
//
// Alarms: alarms.hpp (latching, acknowledgement, mute by priority); each rule below is a condition
// on the signals that must persist for the alarm's delay (data/console/operation.toml).
//   pump_stopped            running below stop_speed_fraction of the set speed, or restarting
//   position_*              the placement classification (PumpEstimator) for the alarm's delay
//   suction, flow_reduced   the LV pressure estimated from the pump's signals (placement
//                           signal minus the head its curve gives at the estimated flow) below
//                           suction_lv_pressure_mmHg in each of two windows: an obstructed inlet
//                           lets little flow through at full speed, so the curve "sees" a large
//                           head; only while the pump is placed correctly
//   purge_pressure_high/low smoothed purge pressure above 1100 / below 300 mmHg
//   purge_system_blocked    smoothed purge flow below 1 mL/h
//   sensor_failure_*        placement signal blocked (flat while the current pulses); motor
//                           current noisy (RMS of its tick-to-tick second difference above
//                           current_noise_limit_mA) or outside 0..current_max_mA
//   check_overdue_<name>    a regular check not confirmed within its interval
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "unload/control/alarms.hpp"
#include "unload/control/console_config.hpp"
#include "unload/control/pump_estimator.hpp"
#include "unload/core/signals.hpp"

namespace unload::control {

enum class ConsoleMode : std::uint8_t { automatic, p_level, boost };

// What the console displays now.
struct ConsoleDisplay {
  ConsoleMode mode = ConsoleMode::p_level;
  int level = 8;             // P-level in P-level mode; the level AUTO runs at; -1: a speed
                             // that is no level
  double set_speed_rpm = 0;  // what it commands
  bool restarting = false;
  bool weaning = false;
  PumpEstimates estimates;  // displayed flow, LVEDP, MAP, CPO, placement (unknown while the
                            // motor is stopped)
};

class ImpellaConsole final : public Controller {
 public:
  // `initial_rpm`: the speed the pump runs at when the console takes over; `operator_level`:
  // whether the operator chose it (P-level mode) or not (AUTO, ramping from it).
  ImpellaConsole(ConsoleConfig config, double initial_rpm, bool operator_level);

  // The speed the console runs the pump at from its start: `initial_rpm` in P-level mode, the
  // ramp's first speed in AUTO. The run sets the pump to it before t = 0.
  double starting_rpm() const { return start_rpm_; }

  void tick(double t_s, std::span<const SignalFrame> frames,
            std::vector<Command>& commands) override;
  void operator_input(double t_s, const Command& input) override;
  void save_state(std::vector<double>& out) const override;
  void load_state(std::span<const double> in) override;

  // Messages go to `listener` (nullptr: none); `device` is written into each.
  void set_listener(ConsoleListener* listener, std::uint32_t device);

  ConsoleDisplay display() const;
  const ConsoleConfig& config() const { return config_; }
  const AlarmBoard& alarms() const { return board_; }
  // When the rules run next (the rule grid, part of the saved state).
  double next_rule_time_s() const { return next_rule_s_; }
  // The mode or level as displayed: "AUTO P-9", "P-8", "BOOST", "P-8 (speed 30000 rpm)".
  std::string mode_text() const;

 private:
  void message(double t_s, MessageKind kind, std::string_view name, std::string text);
  void observe(const SignalFrame& f, bool rules);
  bool suction_now() const;
  // The console commands a speed and is not restarting the pump: the motor turns.
  bool motor_running() const { return sent_rpm_ > 0 && restart_phase_ == 0; }
  double level_speed(int level) const;
  int level_of_speed(double rpm) const;  // -1: no level runs at this speed
  bool is_boost(double rpm) const;
  void enter_level(double t_s, int level, std::string why);
  void update_modes(double t_s);
  void update_restart(double t_s);
  void update_weaning(double t_s);
  void update_alarms(double t_s);
  double wanted_rpm(double t_s) const;
  template <class Visit>
  void fields(Visit&& visit);

  ConsoleConfig config_;
  PumpEstimator estimator_;
  AlarmBoard board_;
  ConsoleListener* listener_ = nullptr;
  std::uint32_t device_ = 0;
  std::vector<std::string> texts_;  // message texts, so that views in messages stay valid
  std::size_t next_text_ = 0;

  // State (saved).
  double started_s_ = -1;   // first tick: support began
  double next_rule_s_ = 0;  // the next rule tick (a time on the grid started_s_ + k interval)
  int mode_ = static_cast<int>(ConsoleMode::p_level);
  int level_ = 8;
  double manual_rpm_ = 0;  // P-level mode at a speed that is no level
  double mode_since_s_ = 0;
  double ramp_from_rpm_ = 0;
  int auto_reduction_ = 0;     // levels AUTO took off for suction
  double auto_step_at_s_ = 0;  // next time AUTO may change its reduction
  double suction_clear_since_s_ = -1;
  bool auto_ended_ = false;
  double start_rpm_ = 0;   // the speed it ran the pump at from its start (constant)
  double sent_rpm_ = 0;    // last speed commanded (or the initial one)
  int restart_phase_ = 0;  // 0 running, 1 trying P-8, 2 trying P-2, 3 waiting
  double restart_phase_since_s_ = 0;
  int restart_cycles_ = 0;
  double stopped_since_s_ = -1;
  bool weaning_ = false;
  int wean_floor_ = 2;
  bool wean_to_off_ = true;
  double wean_next_s_ = 0;
  bool wean_stepped_ = false;
  double wean_map_min_seen_ = 1e9, wean_cpo_min_seen_ = 1e9;
  double purge_pressure_ = 0, purge_flow_ = 0;  // smoothed
  double current_jump_share_ = 0;  // share of recent ticks whose second difference jumped
  double last_current_[2] = {0, 0};
  int current_samples_ = 0;
  double last_t_s_ = 0;
  double speed_rpm_ = 0;
  double judge_placement_from_s_ = 0;     // position alarms from this time (start, restart + 30 s)
  double lv_min_window_[2] = {1e9, 1e9};  // lowest estimated LV pressure, this window and last
  double lv_window_start_s_ = -1e9;
  std::vector<double> check_confirmed_s_;
  double pending_purge_flow_ = -1, pending_dextrose_ = -1;
};

}  // namespace unload::control
