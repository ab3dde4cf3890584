#include "unload/control/impella_console.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"

namespace unload::control {

namespace {

std::vector<AlarmSpec> all_alarms(const ConsoleConfig& c) {
  if (c.alarms.size() != kFixedAlarmCount) {
    throw InputError(fmt::format("console: {} alarm rules given, {} expected", c.alarms.size(),
                                 kFixedAlarmCount));
  }
  std::vector<AlarmSpec> specs = c.alarms;
  for (const auto& check : c.checks) {
    specs.push_back({"check_overdue_" + check.name, "Check Overdue: " + check.text,
                     Priority::advisory, 0.0, 0.0});
  }
  return specs;
}

constexpr std::size_t idx(AlarmId a) { return static_cast<std::size_t>(a); }

// Exponential smoothing over time constant tau, one step of dt.
double smooth(double previous, double value, double dt, double tau) {
  if (!(tau > 0) || !(dt > 0)) return value;
  const double a = dt / (tau + dt);
  return previous + a * (value - previous);
}

}  // namespace

ImpellaConsole::ImpellaConsole(ConsoleConfig config, double initial_rpm, bool operator_level)
    : config_(std::move(config)),
      estimator_(config_.pump, config_.estimator),
      board_(all_alarms(config_), config_.mute_s),
      texts_(64) {
  sent_rpm_ = initial_rpm;
  const int level = level_of_speed(initial_rpm);
  if (operator_level) {
    if (is_boost(initial_rpm)) {
      mode_ = static_cast<int>(ConsoleMode::boost);
    } else {
      mode_ = static_cast<int>(ConsoleMode::p_level);
      level_ = level;
      if (level < 0) manual_rpm_ = initial_rpm;
    }
  } else {
    // AUTO at start: the ramp begins at the lowest clinical level, the speed the pump starts at
    // (starting_rpm(): the run sets the pump to it before t = 0, so no other speed runs first).
    mode_ = static_cast<int>(ConsoleMode::automatic);
    level_ = config_.auto_highest_level;
    ramp_from_rpm_ = level_speed(config_.lowest_clinical_level);
    sent_rpm_ = wanted_rpm(0.0);
  }
  start_rpm_ = sent_rpm_;
  check_confirmed_s_.assign(config_.checks.size(), 0.0);
}

void ImpellaConsole::set_listener(ConsoleListener* listener, std::uint32_t device) {
  listener_ = listener;
  device_ = device;
  board_.set_listener(listener, device);
}

void ImpellaConsole::message(double t_s, MessageKind kind, std::string_view name,
                             std::string text) {
  if (!listener_) return;
  // Texts live in a ring so that the message's view stays valid while the listener runs.
  std::string& slot = texts_[next_text_];
  next_text_ = (next_text_ + 1) % texts_.size();
  slot = std::move(text);
  ConsoleMessage m;
  m.t_s = t_s;
  m.kind = kind;
  m.name = name;
  m.text = slot;
  m.priority = Priority::advisory;
  m.device = device_;
  listener_->on_console_message(m);
}

double ImpellaConsole::level_speed(int level) const {
  level = std::clamp(level, 0, config_.pump.highest_level);
  return config_.pump.level_rpm[static_cast<std::size_t>(level)];
}

// BOOST: its own speed above P-8 (the 2.5's 51,000 rpm), or the CP's and 5.5's "P-9 or BOOST" row.
bool ImpellaConsole::is_boost(double rpm) const {
  return rpm == config_.pump.boost_rpm && rpm > level_speed(8);
}

int ImpellaConsole::level_of_speed(double rpm) const {
  for (int l = config_.pump.highest_level; l >= 0; --l) {
    if (config_.pump.level_rpm[static_cast<std::size_t>(l)] == rpm) return l;
  }
  return -1;
}

std::string ImpellaConsole::mode_text() const {
  switch (static_cast<ConsoleMode>(mode_)) {
    case ConsoleMode::automatic:
      return fmt::format("AUTO P-{}", std::max(config_.lowest_clinical_level,
                                               config_.auto_highest_level - auto_reduction_));
    case ConsoleMode::boost:
      return "BOOST";
    case ConsoleMode::p_level:
      if (level_ < 0) return fmt::format("speed {:.0f} rpm", manual_rpm_);
      return fmt::format("P-{}", level_);
  }
  return "";
}

void ImpellaConsole::enter_level(double t_s, int level, std::string why) {
  mode_ = static_cast<int>(ConsoleMode::p_level);
  level_ = std::clamp(level, 0, config_.pump.highest_level);
  manual_rpm_ = 0;
  mode_since_s_ = t_s;
  message(t_s, MessageKind::mode_change, "P-level", mode_text() + ": " + std::move(why));
}

void ImpellaConsole::observe(const SignalFrame& f, bool rules) {
  const double dt = started_s_ < 0 ? 0.0 : f.t_s - last_t_s_;
  estimator_.update(f, rules);
  const double pp = f[Signal::purge_pressure_mmHg];
  const double pf = f[Signal::purge_flow_mL_h];
  if (current_samples_ == 0) {
    purge_pressure_ = pp;
    purge_flow_ = pf;
  } else {
    purge_pressure_ = smooth(purge_pressure_, pp, dt, config_.purge_time_constant_s);
    purge_flow_ = smooth(purge_flow_, pf, dt, config_.purge_time_constant_s);
  }
  const double i = f[Signal::motor_current_mA];
  if (current_samples_ >= 2) {
    // The share of recent ticks whose second difference jumps more than a beat can make the
    // current change: noise makes most of them jump, a step (a motor that stops) only two.
    const double d2 = i - 2 * last_current_[0] + last_current_[1];
    current_jump_share_ =
        smooth(current_jump_share_, std::abs(d2) > config_.current_noise_step_mA ? 1.0 : 0.0, dt,
               config_.current_noise_time_constant_s);
  }
  last_current_[1] = last_current_[0];
  last_current_[0] = i;
  current_samples_ = std::min(current_samples_ + 1, 2);
  last_t_s_ = f.t_s;
  speed_rpm_ = f[Signal::motor_speed_rpm];
  // Suction: the lowest LV pressure estimated from the pump's signals in each of the last two
  // windows (one window of suction_window_s filling, the one before it complete).
  const PumpEstimates& e = estimator_.estimates();
  const double lv = std::isfinite(e.lv_pressure_mmHg) && e.flow_valid ? e.lv_pressure_mmHg : 1e9;
  if (f.t_s - lv_window_start_s_ >= config_.suction_window_s) {
    lv_min_window_[1] = lv_min_window_[0];
    lv_min_window_[0] = lv;
    lv_window_start_s_ = f.t_s;
  } else {
    lv_min_window_[0] = std::min(lv_min_window_[0], lv);
  }
}

// Suction: the inlet is sucked shut, so the pump moves far less than its curve gives for the
// pressure difference it works against, and the LV pressure estimated from its signals falls
// below the floor.
bool ImpellaConsole::suction_now() const {
  if (estimator_.estimates().placement != Placement::correct) return false;
  return lv_min_window_[0] < config_.suction_lv_pressure_mmHg &&
         lv_min_window_[1] < config_.suction_lv_pressure_mmHg;
}

double ImpellaConsole::wanted_rpm(double t_s) const {
  if (restart_phase_ == 1) return level_speed(8);
  if (restart_phase_ == 2) return level_speed(2);
  if (restart_phase_ == 3) return 0.0;
  switch (static_cast<ConsoleMode>(mode_)) {
    case ConsoleMode::boost:
      return config_.pump.boost_rpm;
    case ConsoleMode::p_level:
      return level_ < 0 ? manual_rpm_ : level_speed(level_);
    case ConsoleMode::automatic: {
      const int level =
          std::max(config_.lowest_clinical_level, config_.auto_highest_level - auto_reduction_);
      const double target = level_speed(level);
      const double ramp_s = t_s - mode_since_s_;
      if (ramp_s >= config_.auto_ramp_s || ramp_from_rpm_ >= target) return target;
      // Ramp in steps (each step restarts the integrator).
      const double step =
          config_.auto_ramp_step_s > 0
              ? std::floor(ramp_s / config_.auto_ramp_step_s + 1e-9) * config_.auto_ramp_step_s
              : ramp_s;
      return std::round(ramp_from_rpm_ +
                        (target - ramp_from_rpm_) * std::min(1.0, step / config_.auto_ramp_s));
    }
  }
  return sent_rpm_;
}

void ImpellaConsole::update_modes(double t_s) {
  const auto mode = static_cast<ConsoleMode>(mode_);
  if (mode == ConsoleMode::boost && t_s - mode_since_s_ >= config_.boost_limit_s) {
    enter_level(t_s, 8, "BOOST ended after its 5 minutes");
  }
  if (mode == ConsoleMode::automatic) {
    if (t_s - started_s_ >= config_.auto_limit_s) {
      auto_ended_ = true;
      enter_level(
          t_s,
          std::max(config_.lowest_clinical_level, config_.auto_highest_level - auto_reduction_),
          "AUTO is no longer available after 3 hours of support");
      auto_reduction_ = 0;
      return;
    }
    // Suction handling: one level down per step while it lasts, one up per restore time after.
    const bool suction = suction_now();
    const int floor_reduction = config_.auto_highest_level - config_.lowest_clinical_level;
    if (suction) {
      suction_clear_since_s_ = -1;
      if (t_s >= auto_step_at_s_ && auto_reduction_ < floor_reduction) {
        ++auto_reduction_;
        auto_step_at_s_ = t_s + config_.suction_step_s;
        message(t_s, MessageKind::mode_change, "AUTO",
                mode_text() + ": suction, AUTO lowered the speed");
      }
    } else if (auto_reduction_ > 0) {
      if (suction_clear_since_s_ < 0) suction_clear_since_s_ = t_s;
      if (t_s - suction_clear_since_s_ >= config_.suction_restore_s && t_s >= auto_step_at_s_) {
        --auto_reduction_;
        auto_step_at_s_ = t_s + config_.suction_restore_s;
        suction_clear_since_s_ = t_s;
        message(t_s, MessageKind::mode_change, "AUTO",
                mode_text() + ": suction cleared, AUTO restores the speed");
      }
    }
  }
}

void ImpellaConsole::update_restart(double t_s) {
  const double speed = speed_rpm_;
  const bool running_low = sent_rpm_ > 0 && !(speed >= config_.stop_speed_fraction * sent_rpm_);
  if (restart_phase_ == 0) {
    if (!running_low) {
      stopped_since_s_ = -1;
      return;
    }
    if (stopped_since_s_ < 0) stopped_since_s_ = t_s;
    if (t_s - stopped_since_s_ < config_.alarms[idx(AlarmId::pump_stopped)].delay_s) return;
    restart_phase_ = 1;
    restart_phase_since_s_ = t_s;
    restart_cycles_ = 0;
    message(t_s, MessageKind::advice, "restart", "Impella Stopped: restarting at P-8");
    return;
  }
  const double since = t_s - restart_phase_since_s_;
  if (restart_phase_ == 1 || restart_phase_ == 2) {
    const double target = level_speed(restart_phase_ == 1 ? 8 : 2);
    if (speed >= config_.restart_speed_fraction * target) {
      const int at = restart_phase_ == 1 ? 8 : 2;
      restart_phase_ = 0;
      // A restarted pump is watched again for the start-up time before its placement is judged
      // (stopped, its current was flat whatever its position).
      judge_placement_from_s_ = t_s + config_.placement_settle_s;
      stopped_since_s_ = -1;
      weaning_ = false;
      enter_level(t_s, at,
                  at == 8 ? "restarted at P-8; pump function unreliable: weaning to P-2"
                          : "restarted at P-2; pump function unreliable: stay at P-2");
      if (at == 8) {
        weaning_ = true;
        wean_floor_ = 2;
        wean_to_off_ = false;
        wean_stepped_ = true;  // restarted at P-8: the first step waits and is checked
        wean_next_s_ = t_s + config_.wean_interval_s;
        wean_map_min_seen_ = wean_cpo_min_seen_ = 1e9;
      }
      return;
    }
    if (since >= config_.restart_attempt_s) {
      if (restart_phase_ == 1) {
        restart_phase_ = 2;
        message(t_s, MessageKind::advice, "restart", "Impella did not restart at P-8: trying P-2");
      } else {
        restart_phase_ = 3;
        ++restart_cycles_;
        message(t_s, MessageKind::advice, "restart",
                "Impella did not restart at P-2: waiting 1 minute before trying again");
        if (restart_cycles_ == 1) {
          message(t_s, MessageKind::advice, "remove_from_ventricle",
                  "Impella will not restart: pull the pump back out of the ventricle into the "
                  "aorta (a stopped pump across the aortic valve lets blood leak back)");
        }
      }
      restart_phase_since_s_ = t_s;
    }
    return;
  }
  if (restart_phase_ == 3 && since >= config_.restart_wait_s) {
    restart_phase_ = 1;
    restart_phase_since_s_ = t_s;
    message(t_s, MessageKind::advice, "restart", "Impella Stopped: restarting at P-8");
  }
}

void ImpellaConsole::update_weaning(double t_s) {
  if (!weaning_ || restart_phase_ != 0) return;
  const PumpEstimates& e = estimator_.estimates();
  if (e.map_valid && std::isfinite(e.map_mmHg)) {
    wean_map_min_seen_ = std::min(wean_map_min_seen_, e.map_mmHg);
  }
  // CPO counts only when the console can estimate it whole (the valve shut: total flow = pump
  // flow); while the ventricle ejects it is a lower bound and MAP alone is checked.
  if (e.cpo_valid && !e.cpo_lower_bound && std::isfinite(e.cpo_W)) {
    wean_cpo_min_seen_ = std::min(wean_cpo_min_seen_, e.cpo_W);
  }
  if (t_s < wean_next_s_) return;
  // The first step is taken at once; each later one only if the haemodynamics held since the
  // step before.
  const bool first = !wean_stepped_;
  if (!first && (wean_map_min_seen_ < config_.wean_map_min_mmHg ||
                 wean_cpo_min_seen_ < config_.wean_cpo_min_W)) {
    weaning_ = false;
    const int back =
        std::min(config_.pump.highest_level, std::max(level_, 0) + config_.wean_step_levels);
    enter_level(t_s, back,
                fmt::format("weaning stopped: MAP {:.0f} mmHg, CPO {:.2f} W since the last step "
                            "(floors {:.0f} mmHg, {:.2f} W); back up one step",
                            wean_map_min_seen_, wean_cpo_min_seen_, config_.wean_map_min_mmHg,
                            config_.wean_cpo_min_W));
    return;
  }
  const int level = level_ < 0 ? level_of_speed(sent_rpm_) : level_;
  if (level >= 0 && level <= wean_floor_) {
    weaning_ = false;
    if (wean_to_off_) {
      enter_level(t_s, 0, "weaning complete: pump off (P-0)");
    } else {
      message(t_s, MessageKind::mode_change, "P-level", mode_text() + ": weaning complete");
    }
    return;
  }
  const int next = std::max(
      wean_floor_, (level < 0 ? config_.pump.highest_level : level) - config_.wean_step_levels);
  enter_level(t_s, next,
              first ? std::string("weaning: two levels down")
                    : fmt::format("weaning: MAP stayed >= {:.0f} mmHg and CPO >= {:.2f} W; two "
                                  "levels down",
                                  wean_map_min_seen_, wean_cpo_min_seen_));
  weaning_ = true;  // enter_level keeps weaning on
  wean_stepped_ = true;
  wean_next_s_ = t_s + config_.wean_interval_s;
  wean_map_min_seen_ = wean_cpo_min_seen_ = 1e9;
}

void ImpellaConsole::update_alarms(double t_s) {
  const PumpEstimates& e = estimator_.estimates();
  const bool running = motor_running();
  board_.update(idx(AlarmId::pump_stopped),
                restart_phase_ != 0 || (stopped_since_s_ >= 0 && sent_rpm_ > 0), t_s);
  // Placement is judged once the console has watched the pump for its start-up time (the
  // instructions: wait 30 s after start, then confirm placement).
  const bool settled = t_s >= judge_placement_from_s_;
  const Placement p = running && settled ? e.placement : Placement::correct;
  board_.update(idx(AlarmId::position_in_ventricle), p == Placement::ventricle, t_s);
  board_.update(idx(AlarmId::position_wrong), p == Placement::aorta, t_s);
  board_.update(idx(AlarmId::position_unknown), p == Placement::unknown, t_s);
  // A blocked signal is alarmed from the unpersisted flags (flat signal, pulsing current), which
  // follow within the pulsatility window, not after the class's persistence as well.
  board_.update(idx(AlarmId::sensor_failure_placement),
                p == Placement::signal_blocked ||
                    (running && settled && e.placement_flat && e.current_pulsatile),
                t_s);
  const double i = last_current_[0];
  const bool current_bad =
      !(i >= 0 && i <= config_.current_max_mA) ||
      (current_samples_ >= 2 && current_jump_share_ > config_.current_noise_fraction);
  board_.update(idx(AlarmId::sensor_failure_current), current_bad, t_s);
  // Suction is read from the flow estimated from the current: not with a failed current sensor.
  const bool suction = running && !current_bad && suction_now();
  const bool automatic = static_cast<ConsoleMode>(mode_) == ConsoleMode::automatic;
  const int floor_reduction = config_.auto_highest_level - config_.lowest_clinical_level;
  board_.update(idx(AlarmId::suction),
                suction && (!automatic || auto_reduction_ >= floor_reduction), t_s);
  board_.update(idx(AlarmId::flow_reduced), automatic && auto_reduction_ > 0, t_s);
  board_.update(idx(AlarmId::purge_pressure_high),
                purge_pressure_ > config_.purge_pressure_high_mmHg, t_s);
  board_.update(idx(AlarmId::purge_pressure_low), purge_pressure_ < config_.purge_pressure_low_mmHg,
                t_s);
  board_.update(idx(AlarmId::purge_system_blocked), purge_flow_ < config_.purge_flow_blocked_mL_h,
                t_s);
  for (std::size_t k = 0; k < config_.checks.size(); ++k) {
    board_.update(kFixedAlarmCount + k, t_s - check_confirmed_s_[k] > config_.checks[k].interval_s,
                  t_s);
  }
}

void ImpellaConsole::tick(double t_s, std::span<const SignalFrame> frames,
                          std::vector<Command>& commands) {
  if (frames.empty()) return;
  const SignalFrame& f = frames.back();
  const bool first = started_s_ < 0;
  // The rules run on the rule grid from the first tick (config_.rule_interval_s); every sample
  // feeds the estimators.
  const double interval = config_.rule_interval_s;
  const bool rules = first || t_s + 1e-6 * interval >= next_rule_s_;
  observe(f, rules);
  if (first) {
    started_s_ = t_s;
    mode_since_s_ = t_s;
    judge_placement_from_s_ = t_s + config_.placement_settle_s;
    for (double& c : check_confirmed_s_) c = t_s;
    message(t_s, MessageKind::mode_change, "start", mode_text() + ": console started");
  }
  if (rules) {
    // The next rule tick on the grid (ticks that came late or not at all are skipped).
    next_rule_s_ = started_s_ + (std::floor((t_s - started_s_) / interval + 1e-6) + 1.0) * interval;
    update_restart(t_s);
    update_modes(t_s);
    update_weaning(t_s);
    update_alarms(t_s);
  }
  if (pending_purge_flow_ >= 0) {
    commands.push_back({f.device, CommandKind::purge_flow_mL_h, pending_purge_flow_});
    pending_purge_flow_ = -1;
  }
  if (pending_dextrose_ >= 0) {
    commands.push_back({f.device, CommandKind::dextrose_pct, pending_dextrose_});
    pending_dextrose_ = -1;
  }
  const double rpm = wanted_rpm(t_s);
  if (rpm != sent_rpm_) {
    commands.push_back({f.device, CommandKind::speed_rpm, rpm});
    sent_rpm_ = rpm;
  }
}

void ImpellaConsole::operator_input(double t_s, const Command& input) {
  switch (input.kind) {
    case CommandKind::speed_rpm: {
      weaning_ = false;
      const int level = level_of_speed(input.value);
      if (is_boost(input.value)) {
        mode_ = static_cast<int>(ConsoleMode::boost);
        mode_since_s_ = t_s;
        message(t_s, MessageKind::mode_change, "BOOST", "BOOST: top speed for at most 5 minutes");
      } else if (level >= 0) {
        enter_level(t_s, level, "set by the operator");
      } else {
        mode_ = static_cast<int>(ConsoleMode::p_level);
        level_ = -1;
        manual_rpm_ = input.value;
        mode_since_s_ = t_s;
        message(t_s, MessageKind::mode_change, "P-level", mode_text() + ": set by the operator");
      }
      return;
    }
    case CommandKind::auto_mode:
      if (auto_ended_) {
        message(t_s, MessageKind::operator_input, "auto_mode",
                "AUTO refused: not available after 3 hours of support");
        return;
      }
      weaning_ = false;
      mode_ = static_cast<int>(ConsoleMode::automatic);
      mode_since_s_ = t_s;
      ramp_from_rpm_ = sent_rpm_;
      auto_reduction_ = 0;
      message(t_s, MessageKind::mode_change, "AUTO", mode_text() + ": set by the operator");
      return;
    case CommandKind::purge_flow_mL_h:
      pending_purge_flow_ = input.value;
      message(t_s, MessageKind::operator_input, "purge_flow_mL_h",
              fmt::format("purge flow set to {:g} mL/h", input.value));
      return;
    case CommandKind::dextrose_pct:
      pending_dextrose_ = input.value;
      message(t_s, MessageKind::operator_input, "dextrose_pct",
              fmt::format("purge dextrose set to {:g} %", input.value));
      return;
    case CommandKind::acknowledge_alarms:
      board_.acknowledge(t_s);
      return;
    case CommandKind::mute_alarms:
      board_.mute(t_s);
      return;
    case CommandKind::confirm_check: {
      const auto k = static_cast<std::size_t>(input.value);
      if (!(input.value >= 0) || k >= check_confirmed_s_.size()) {
        throw InputError(fmt::format("console: no regular check number {}", input.value));
      }
      check_confirmed_s_[k] = t_s;
      message(t_s, MessageKind::check_confirmed, config_.checks[k].name,
              "confirmed: " + config_.checks[k].text);
      return;
    }
    case CommandKind::wean:
      if (input.value != 0) {
        weaning_ = true;
        wean_floor_ = config_.lowest_clinical_level;
        wean_to_off_ = true;
        wean_stepped_ = false;
        wean_next_s_ = t_s;
        wean_map_min_seen_ = wean_cpo_min_seen_ = 1e9;
        message(t_s, MessageKind::operator_input, "wean", "weaning started");
      } else {
        weaning_ = false;
        message(t_s, MessageKind::operator_input, "wean", "weaning stopped by the operator");
      }
      return;
    default:
      throw InputError(fmt::format("the {} console does not take {}", config_.pump.display_name,
                                   command_name(input.kind)));
  }
}

ConsoleDisplay ImpellaConsole::display() const {
  ConsoleDisplay d;
  d.mode = static_cast<ConsoleMode>(mode_);
  d.level =
      d.mode == ConsoleMode::automatic
          ? std::max(config_.lowest_clinical_level, config_.auto_highest_level - auto_reduction_)
          : (d.mode == ConsoleMode::boost ? -1 : level_);
  d.set_speed_rpm = sent_rpm_;
  d.restarting = restart_phase_ != 0;
  d.weaning = weaning_;
  d.estimates = estimator_.estimates();
  // A stopped motor (P-0, or a restart under way) has no current pulse, and with it the signals
  // read as a pump lying in the aorta wherever it lies: the console cannot tell its position
  // (its position alarms are off then, update_alarms).
  if (!motor_running()) d.estimates.placement = Placement::unknown;
  return d;
}

// Every number of the console's state, in one order for saving and loading.
template <class Visit>
void ImpellaConsole::fields(Visit&& visit) {
  visit(started_s_);
  visit(next_rule_s_);
  visit(mode_);
  visit(level_);
  visit(manual_rpm_);
  visit(mode_since_s_);
  visit(ramp_from_rpm_);
  visit(auto_reduction_);
  visit(auto_step_at_s_);
  visit(suction_clear_since_s_);
  visit(auto_ended_);
  visit(sent_rpm_);
  visit(restart_phase_);
  visit(restart_phase_since_s_);
  visit(restart_cycles_);
  visit(stopped_since_s_);
  visit(weaning_);
  visit(wean_floor_);
  visit(wean_to_off_);
  visit(wean_next_s_);
  visit(wean_stepped_);
  visit(wean_map_min_seen_);
  visit(wean_cpo_min_seen_);
  visit(purge_pressure_);
  visit(purge_flow_);
  visit(current_jump_share_);
  visit(last_current_[0]);
  visit(last_current_[1]);
  visit(current_samples_);
  visit(last_t_s_);
  visit(speed_rpm_);
  visit(judge_placement_from_s_);
  visit(lv_min_window_[0]);
  visit(lv_min_window_[1]);
  visit(lv_window_start_s_);
  visit(pending_purge_flow_);
  visit(pending_dextrose_);
  for (double& c : check_confirmed_s_) visit(c);
}

// Layout: the fields above, the alarm board, the estimator.
void ImpellaConsole::save_state(std::vector<double>& out) const {
  // Which configuration the state belongs to, as two 32-bit halves (each exact in a double).
  out.push_back(static_cast<double>(config_.data_fingerprint & 0xffffffffULL));
  out.push_back(static_cast<double>(config_.data_fingerprint >> 32));
  auto& self = const_cast<ImpellaConsole&>(*this);  // fields() only reads when saving
  self.fields([&out](auto& v) { out.push_back(static_cast<double>(v)); });
  board_.save_state(out);
  estimator_.save_state(out);
}

void ImpellaConsole::load_state(std::span<const double> in) {
  if (in.size() < 2) throw InputError("the console's saved state is cut short");
  const auto half = [](double v) {
    return v >= 0 && v <= 4294967295.0 && v == std::floor(v) ? static_cast<std::uint64_t>(v)
                                                             : ~std::uint64_t{0};
  };
  const std::uint64_t low = half(in[0]), high = half(in[1]);
  if (low > 0xffffffffULL || high > 0xffffffffULL ||
      (low | (high << 32)) != config_.data_fingerprint) {
    throw InputError(fmt::format(
        "the console's saved state was made with other console data (data fingerprint {}, this "
        "console's {}): data/console/operation.toml or impella.toml has changed since the state "
        "was saved; save the state again with these files",
        low > 0xffffffffULL || high > 0xffffffffULL ? std::string("invalid")
                                                    : to_hex16(low | (high << 32)),
        to_hex16(config_.data_fingerprint)));
  }
  std::size_t at = 2;
  fields([&](auto& v) {
    if (at >= in.size()) throw InputError("the console's saved state is cut short");
    using T = std::remove_reference_t<decltype(v)>;
    if constexpr (std::is_same_v<T, bool>) {
      v = in[at++] != 0;
    } else {
      v = static_cast<T>(in[at++]);
    }
  });
  // A console that has started has its next rule tick after its start (a NaN or a time before
  // it would stop or upset the rules: a hand-edited state).
  if (started_s_ >= 0 && !(std::isfinite(next_rule_s_) && next_rule_s_ > started_s_)) {
    throw InputError("the console's saved state has no valid next rule time");
  }
  at = board_.load_state(in, at);
  if (!estimator_.load_state(in.subspan(at)).empty()) {
    throw InputError("the console's saved state is longer than the console");
  }
}

}  // namespace unload::control
