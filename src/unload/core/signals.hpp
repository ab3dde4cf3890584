// The vocabulary between the plant and a console: the signals that real sensors give, the
// commands a console sends back, and the interface a console implements.
//
// A console (the pump's controller, written as if it ran on the device) never sees the physiology:
// at each control tick it receives one SignalFrame per device it controls, holding what that
// device's sensors read, and it answers with Commands. The simulation turns a command into a
// device setting (restarting the integrator only when the setting actually changes). Operator
// input (a level chosen on the console, from a timeline event or a live front end) reaches the
// console as a Command too; the console decides what to send to the device.
//
// Units are in the names. Signals a device does not have are NaN in its frame.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace unload {

// What a sensor measures. The order is part of recorded signal files; add at the end.
enum class Signal : std::uint8_t {
  none,  // not a sensor (a reading only the simulation knows, e.g. the true pump flow)
  // Micro-axial pump.
  placement_signal_mmHg,  // pressure at the outlet area (aortic when placed correctly)
  motor_current_mA,
  motor_speed_rpm,
  purge_pressure_mmHg,
  purge_flow_mL_h,
  // Intra-aortic balloon pump.
  balloon_volume_mL,
  balloon_inflated,  // 0 or 1
  // VA-ECMO.
  circuit_flow_mL_s,  // ultrasonic flow probe on the circuit
  ecmo_pump_speed_rpm,
  drainage_pressure_mmHg,
  pre_oxygenator_pressure_mmHg,
  return_pressure_mmHg,
  oxygenator_pressure_drop_mmHg,
  count
};
inline constexpr std::size_t signal_count = static_cast<std::size_t>(Signal::count);

// Name of a signal as written in signal files and outputs (e.g. "motor_current_mA").
constexpr std::string_view signal_name(Signal s) {
  constexpr std::string_view names[signal_count] = {"none",
                                                    "placement_signal_mmHg",
                                                    "motor_current_mA",
                                                    "motor_speed_rpm",
                                                    "purge_pressure_mmHg",
                                                    "purge_flow_mL_h",
                                                    "balloon_volume_mL",
                                                    "balloon_inflated",
                                                    "circuit_flow_mL_s",
                                                    "ecmo_pump_speed_rpm",
                                                    "drainage_pressure_mmHg",
                                                    "pre_oxygenator_pressure_mmHg",
                                                    "return_pressure_mmHg",
                                                    "oxygenator_pressure_drop_mmHg"};
  return names[static_cast<std::size_t>(s)];
}

// What a console can command. The order is part of recorded files; add at the end.
enum class CommandKind : std::uint8_t {
  none,  // a setting no console commands (a physical state: position, occlusion, a fault)
  speed_rpm,
  purge_flow_mL_h,
  dextrose_pct,
  target_flow_L_min,
  balloon_volume_mL,
  assist_ratio,
  trigger,
  inflation_offset_s,
  deflation_offset_s,
  // Operator input a console takes for itself (never a device setting).
  auto_mode,           // the console's AUTO mode (value ignored)
  acknowledge_alarms,  // acknowledge every displayed alarm (value ignored)
  mute_alarms,         // silence the sounding alarms for the console's mute time (value ignored)
  confirm_check,       // a regular check was done (value: the check's index in the schedule)
  wean,                // 1: start weaning, 0: stop it
  count
};
inline constexpr std::size_t command_kind_count = static_cast<std::size_t>(CommandKind::count);

constexpr std::string_view command_name(CommandKind c) {
  constexpr std::string_view names[command_kind_count] = {"none",
                                                          "speed_rpm",
                                                          "purge_flow_mL_h",
                                                          "dextrose_pct",
                                                          "target_flow_L_min",
                                                          "balloon_volume_mL",
                                                          "assist_ratio",
                                                          "trigger",
                                                          "inflation_offset_s",
                                                          "deflation_offset_s",
                                                          "auto_mode",
                                                          "acknowledge_alarms",
                                                          "mute_alarms",
                                                          "confirm_check",
                                                          "wean"};
  return names[static_cast<std::size_t>(c)];
}

// Whether a command is operator input a console takes for itself (not a device setting).
constexpr bool is_console_input(std::uint32_t kind) {
  return kind >= static_cast<std::uint32_t>(CommandKind::auto_mode) &&
         kind < static_cast<std::uint32_t>(CommandKind::count);
}

// One device's sensor samples at one control tick.
struct SignalFrame {
  double t_s = 0;
  std::uint32_t device = 0;  // index of the attached device
  std::array<double, signal_count> value = filled(std::nan(""));

  double operator[](Signal s) const { return value[static_cast<std::size_t>(s)]; }

 private:
  static constexpr std::array<double, signal_count> filled(double v) {
    std::array<double, signal_count> a{};
    for (auto& x : a) x = v;
    return a;
  }
};

// A setting sent to one device (by a console) or entered on a console (by an operator).
struct Command {
  std::uint32_t device = 0;  // index of the attached device
  CommandKind kind = CommandKind::none;
  double value = 0;
  bool operator==(const Command&) const = default;
};

// A console: sees sensor frames and operator input, answers with commands. Its state must be
// restorable (save_state/load_state), so that a saved simulation State resumes it exactly; its
// only way to act is through the commands it returns.
class Controller {
 public:
  virtual ~Controller() = default;
  // Called at every control tick with the frames of the devices it controls; appends commands.
  virtual void tick(double t_s, std::span<const SignalFrame> frames,
                    std::vector<Command>& commands) = 0;
  // The operator entered a setting on this console at time t_s.
  virtual void operator_input(double t_s, const Command& input) = 0;
  // Everything that makes its future behaviour, as numbers (appended to `out`).
  virtual void save_state(std::vector<double>& out) const = 0;
  // Restores what save_state wrote. Throws unload::InputError when `in` does not fit.
  virtual void load_state(std::span<const double> in) = 0;
};

}  // namespace unload
