// Scenario files: which patient, how long, how often to record, what to change in the patient,
// which devices, how the run starts, and what happens when.
//
//   [scenario]
//   patient = "normal"        # preset name, or path to a preset .toml (relative to this file)
//   duration = 60             # simulated seconds, > 0 and at most 7 days
//   output_rate = 200         # waveform samples per second, > 0 and at most 10000 (default 200)
//   description = "..."       # optional
//   start = "steady"          # "steady" (default): from the patient's periodic steady state
//                             # without devices; "rest": from a uniform-pressure rest state
//   start_state = "FILE"      # or: from a state saved by `unload steady --save-state FILE`
//                             # (relative to this file); excludes `start`
//   consoles = true           # false: micro-axial pumps run bare, without their console
//
//   [overrides]               # optional: patient parameters by their dotted preset keys
//   left_ventricle.end_systolic_elastance = 1.2
//   baroreflex.enabled = false
//
//   [numerics]                # optional
//   integrator = "production" # or "reference"
//
//   [[devices]]               # optional, one table per device attached at t = 0
//   kind = "impella-cp"       # impella-2.5, impella-cp, impella-5.5, iabp, va-ecmo
//   level = "P8"              # any of the device's settings by name or short word (level, rpm,
//                             # flow, ratio, position, ...), as text or a number
//
//   [[events]]                # optional: what happens when
//   time = 30                 # s, within the run
//   device = "impella-cp"     # an attached device ...
//   level = "P2"              # ... and the settings to change
//
//   [[events]]                # a coronary balloon inflation
//   time = 120
//   balloon = "LM"            # LAD, LCx, RCA, or LM (LAD and LCx together)
//   duration = 60             # s; the run must last until it deflates
//   residual = 0.2            # optional: inflow conductance left, 0 (default) to 1
//
//   [[events]]                # a stent: the territory's flow restored (ends an inflation)
//   time = 150
//   stent = "LAD"
//
//   [[events]]                # a fault (io/faults.hpp): motor_failure, migration_ventricle,
//   time = 200                # migration_aorta, hypovolaemia, purge_kink, purge_bag_empty,
//   fault = "purge_kink"      # placement_sensor_failure, current_sensor_noise
//
//   [[events]]                # ... and its end
//   time = 260
//   fault_cleared = "purge_kink"
//
// scenario_keys() lists every key with its meaning (`unload list`). A run's summary.json holds the
// scenario again, resolved (every device setting, the patient's every parameter), under "rerun":
// load_scenario() reads that too, so that a run can be made again from its summary.json.
//
// The file is checked where it enters: anything unknown, mistyped or out of range is an InputError
// naming the file, the line, the key and what was expected.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unload/io/devices.hpp"
#include "unload/physio/parameters.hpp"
#include "unload/sim/events.hpp"
#include "unload/sim/integrator.hpp"
#include "unload/sim/state.hpp"

namespace unload::io {

// Limits of a scenario's numbers (the range a user may ask for, not a physiological range).
inline constexpr double kMaxScenarioDuration_s = 7.0 * 24.0 * 3600.0;
inline constexpr double kMaxOutputRate_Hz = 10000.0;
inline constexpr double kDefaultOutputRate_Hz = 200.0;

struct ParameterOverride {
  std::string key;   // dotted parameter key, e.g. "left_ventricle.end_systolic_elastance"
  double value = 0;  // booleans (baroreflex.enabled) as 0 or 1
};

// How a run starts.
enum class StartKind {
  steady,      // the patient's periodic steady state without devices, computed before the run
  rest,        // every compartment at one uniform pressure (the transient to steady state shows)
  state_file,  // a State saved by `unload steady --save-state`
};
std::string_view to_string(StartKind kind);

// One timeline event as the scenario gave it: the typed event and where it was written.
struct ScenarioEvent {
  sim::Event event;
  std::string origin;       // "FILE:LINE", for messages
  bool from_fault = false;  // made from a fault or fault_cleared (summary.json writes the fault)
};

// A coronary action as the scenario gave it (summary.json's rerun writes it back in this form);
// load_scenario turns each into coronary_inflow events.
struct CoronaryAction {
  double time_s = 0;
  bool stent = false;      // false: a balloon inflation (or no-reflow)
  bool no_reflow = false;  // no-reflow or slow flow after a stent or atherectomy, not a balloon
  bool stenosis = false;   // a lasting narrowing from time_s until a stent (no duration)
  std::string territory;   // as written: LAD, LCx, RCA, LM
  double duration_s = 0;   // balloon: how long it stays inflated (no-reflow: how long it lasts)
  double residual = 0;     // balloon, stenosis, no-reflow: fraction of the conductance left
};

// Operator input on a micro-axial pump's console as the scenario gave it: `console` (auto,
// acknowledge, mute, wean, stop_weaning) or `check` (a regular check confirmed, `by` whom).
struct ConsoleAction {
  double time_s = 0;
  std::string device;  // the pump's kind
  std::string input;   // as written: "auto", "acknowledge", "mute", "wean", "stop_weaning"; or ""
  std::string check;   // the check confirmed (one of data/console/operation.toml [checks]); or ""
  std::string by;      // who confirmed it (may be empty)
};

// A drug's infusion rate as the scenario gave it; load_scenario turns each into a drug_dose event.
struct DrugAction {
  double time_s = 0;
  std::string drug;  // one of physio::drug_names
  double dose = 0;   // mcg/kg/min; 0 stops it
};

// A fluid bolus or infusion as the scenario gave it (over_s resolved: the default when not
// written); load_scenario turns the fluids into infusion_rate events.
inline constexpr double kDefaultFluidOver_s = 60.0;
struct FluidAction {
  double time_s = 0;
  double volume_mL = 0;
  double over_s = kDefaultFluidOver_s;
};

// A bleed as the scenario gave it; load_scenario turns the bleeds into bleeding_rate events.
struct BleedingAction {
  double time_s = 0;
  double rate_mL_min = 0;
  double duration_s = 0;
  std::string site;  // the access site's name as written (empty: none given); a label only
};

// A fault raised or cleared, as the scenario gave it with its defaults resolved (io/faults.hpp);
// load_scenario turns each into device_setting events (hypovolaemia: bleeding_rate events).
struct FaultAction {
  double time_s = 0;
  std::string fault;     // one of io::kFaultNames
  bool cleared = false;  // fault_cleared = "NAME"
  std::string device;    // the micro-axial pump's kind (empty for hypovolaemia)
  double volume_mL = 0;  // hypovolaemia: blood lost ...
  double over_s = 0;     // ... over this time
  double occlusion = 0;  // purge_kink: purge_occlusion of the kinked line
};

struct Scenario {
  std::filesystem::path file;  // where it was read from
  std::string name;            // the file's stem, e.g. "default" (a summary.json: its run's name)
  std::string description;
  std::string patient_reference;      // as written: preset name or path
  physio::PatientParameters patient;  // the preset with the overrides applied
  std::vector<ParameterOverride> overrides;
  double duration_s = 0;
  double output_rate_Hz = kDefaultOutputRate_Hz;
  sim::IntegratorKind integrator = sim::IntegratorKind::production;
  StartKind start = StartKind::steady;
  bool consoles = true;  // micro-axial pumps run with their console (false: bare, --no-console)
  std::filesystem::path start_state;                     // for StartKind::state_file
  std::optional<std::uint64_t> start_state_fingerprint;  // required fingerprint of that State
  DeviceSetup devices;                   // attached at t = 0, with their starting settings
  std::vector<ScenarioEvent> events;     // in time order (a deflation where it falls)
  std::vector<CoronaryAction> coronary;  // balloons and stents, as written (their events above)
  std::vector<FluidAction> fluids;       // as written (their infusion_rate events above)
  std::vector<BleedingAction> bleeds;    // as written (their bleeding_rate events above)
  std::vector<DrugAction> drugs;         // as written (their drug_dose events above)
  std::vector<ConsoleAction> console_actions;  // as written (their console_input events above)
  std::vector<FaultAction> faults;             // as written (their events above, from_fault)
  // The lasting inputs the timeline gives at t = 0 (stenoses, drug infusions): the patient as they
  // are before the procedure, so a steady start reaches its steady state with them.
  sim::StandingInputs standing;
};

// Reads and checks a scenario file (.toml), or the "rerun" part of a run's summary.json (.json),
// loads its patient and applies its overrides.
Scenario load_scenario(const std::filesystem::path& file);

// The integrator's short name as written in scenario files and on the command line.
std::string_view integrator_name(sim::IntegratorKind kind);
std::optional<sim::IntegratorKind> integrator_from_name(std::string_view name);

// Every key a scenario file accepts, for `unload list` and error messages.
struct ScenarioKey {
  std::string_view table;  // "scenario", "overrides", "numerics", "devices", "events"
  std::string_view key;    // "duration"; "*" for a family of keys (a parameter, a setting)
  std::string_view type;   // "number", "string", "boolean", "number or string"
  std::string_view unit;
  std::string_view description;
};
std::span<const ScenarioKey> scenario_keys();

}  // namespace unload::io
