// Scenario files: which patient, how long, how often to record, and what to change in the patient.
//
//   [scenario]
//   patient = "normal"        # preset name, or path to a preset .toml (relative to this file)
//   duration = 60             # simulated seconds, > 0 and at most 7 days
//   output_rate = 200         # waveform samples per second, > 0 and at most 10000 (default 200)
//   description = "..."       # optional
//
//   [overrides]               # optional: patient parameters by their dotted preset keys
//   left_ventricle.end_systolic_elastance = 1.2
//   baroreflex.enabled = false
//
//   [numerics]                # optional
//   integrator = "production" # or "reference"
//
//   [[devices]]               # optional, one table per device attached from the start
//   kind = "impella-cp"       # impella-2.5, impella-cp, impella-5.5, iabp, va-ecmo
//   level = "P8"              # any of the device's settings by name (level, rpm, flow, ratio,
//                             # position, ...), as text or a number
//
//   [[events]]                # optional: change device settings at a given time
//   time = 30                 # s, within the run
//   device = "impella-cp"     # an attached device
//   level = "P2"              # settings to change
//
// The file is checked where it enters: anything unknown, mistyped or out of range is an InputError
// naming the file, the line, the key and what was expected.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unload/io/devices.hpp"
#include "unload/physio/parameters.hpp"
#include "unload/sim/integrator.hpp"

namespace unload::io {

// Limits of a scenario's numbers (the range a user may ask for, not a physiological range).
inline constexpr double kMaxScenarioDuration_s = 7.0 * 24.0 * 3600.0;
inline constexpr double kMaxOutputRate_Hz = 10000.0;
inline constexpr double kDefaultOutputRate_Hz = 200.0;

struct ParameterOverride {
  std::string key;   // dotted parameter key, e.g. "left_ventricle.end_systolic_elastance"
  double value = 0;  // booleans (baroreflex.enabled) as 0 or 1
};

// A change of device settings at a given time.
struct DeviceEvent {
  double time_s = 0;
  std::size_t device = 0;                                // index into Scenario::devices.blocks
  std::vector<std::pair<std::size_t, double>> settings;  // (slot, value)
  std::string origin;                                    // "FILE:LINE", for messages
};

struct Scenario {
  std::filesystem::path file;  // where it was read from
  std::string name;            // the file's stem, e.g. "default"
  std::string description;
  std::string patient_reference;      // as written: preset name or path
  physio::PatientParameters patient;  // the preset with the overrides applied
  std::vector<ParameterOverride> overrides;
  double duration_s = 0;
  double output_rate_Hz = kDefaultOutputRate_Hz;
  sim::IntegratorKind integrator = sim::IntegratorKind::production;
  DeviceSetup devices;              // attached from the start, with their starting settings
  std::vector<DeviceEvent> events;  // in time order
};

// Reads and checks a scenario file, loads its patient and applies its overrides.
Scenario load_scenario(const std::filesystem::path& file);

// The integrator's short name as written in scenario files and on the command line.
std::string_view integrator_name(sim::IntegratorKind kind);
std::optional<sim::IntegratorKind> integrator_from_name(std::string_view name);

}  // namespace unload::io
