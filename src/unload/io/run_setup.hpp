// From a Scenario to what a Session needs: the Model (shared, immutable), the State the run starts
// from, and the consoles attached to the devices that have one. Every front end (the command line
// now; later a live console, Python, a cohort runner) builds its runs here, so that a scenario
// means the same thing everywhere.
//
// How a run starts (Scenario::start):
//   steady      the patient's periodic steady state WITHOUT devices is computed first (from rest,
//               to the criterion of sim::run_to_steady_state); the devices are then attached at
//               t = 0, as in the cath lab, where support starts in a patient who was in a steady
//               state without it;
//   rest        a uniform-pressure rest state (the devices run from t = 0 through the transient);
//   state_file  a State saved by `unload steady --save-state`: exactly, when the scenario's model
//               is the saved one; otherwise (other devices) the circulation carries over and the
//               scenario's devices are attached at t = 0.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "unload/control/impella_console.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/model.hpp"
#include "unload/sim/session.hpp"
#include "unload/sim/state.hpp"

namespace unload::io {

struct StartReport {
  StartKind kind = StartKind::steady;
  // steady: how many beats the unsupported patient took, whether the criterion was met, and the
  // wall time it took.
  int beats_to_steady = 0;
  bool steady_state_reached = true;
  bool steady_state_oscillating = false;  // reached only by a longer mean (the reflex oscillates)
  double wall_time_s = 0;
  // state_file: which file, its State's fingerprint, and whether the scenario's model was the
  // saved one (exact continuation) or devices were attached or removed at t = 0.
  std::filesystem::path file;
  std::uint64_t state_fingerprint = 0;
  bool exact = false;
  // steady: the stenoses and infusions the patient reached the steady state with.
  sim::StandingInputs standing;
  // One line for people: how the run started.
  std::string text() const;
};

struct PreparedRun {
  std::shared_ptr<const sim::Model> model;
  sim::State start;
  StartReport report;
  // Consoles, one per device that has one (micro-axial pumps), and their bindings to the devices.
  std::vector<std::unique_ptr<control::ImpellaConsole>> consoles;
  std::vector<sim::ConsoleBinding> bindings;
  // The starting settings of each device, as the run began (for summary.json), and whether its
  // speed was given (DeviceSetup::speed_given).
  std::vector<physio::DeviceSettings> device_settings;
  std::vector<bool> speed_given;
};

// The stenoses and infusions in words ("an LAD stenosis leaving 0.7 of its inflow conductance,
// norepinephrine 0.1 mcg/kg/min"); empty when there are none.
std::string standing_text(const sim::StandingInputs& standing);

// A patient's periodic steady state without devices: where a steady start begins. prepare_run
// computes it; a comparison of strategies computes it once per patient and shares it.
struct SteadyStart {
  std::shared_ptr<const sim::Model> model;  // the patient without devices
  sim::StandingInputs standing;             // with these stenoses and infusions
  sim::State state;                         // at an R wave
  int beats = 0;                            // beats it took from rest
  bool reached = true;                      // whether the criterion was met
  bool oscillating = false;                 // ... only by a longer mean (sim::SteadyStateResult)
  double wall_time_s = 0;
};
SteadyStart compute_steady_start(const physio::PatientParameters& patient,
                                 const sim::SimulationOptions& numerics,
                                 const std::atomic<bool>* stop = nullptr,
                                 const sim::StandingInputs& standing = {});

struct PrepareOptions {
  bool consoles = true;  // false: devices run bare (no console between operator and device)
  // Stops the steady-state computation of a steady start (sim::Session::set_stop_flag).
  const std::atomic<bool>* stop = nullptr;
  // A steady start computed already for this scenario's patient and numerics (used instead of
  // computing it again); nullptr: prepare_run computes it.
  const SteadyStart* steady = nullptr;
};

// The scenario's numerics as SimulationOptions.
sim::SimulationOptions simulation_options(const Scenario& scenario);

// Whether devices of this kind run with a console (micro-axial pumps do, as the real device).
bool has_console(std::string_view device_kind);

// Builds a scenario's run: model, starting state (computing a steady state if asked), consoles.
PreparedRun prepare_run(const Scenario& scenario, const PrepareOptions& options = {});

// Consoles for the devices of `model` that have one (used by prepare_run and by `steady`).
void attach_consoles(PreparedRun& run);

// A run of `patient` with `devices` attached from the uniform-pressure rest state (consoles
// attached unless options.consoles is false): what `unload steady` and the validation suite run
// to a periodic steady state.
PreparedRun prepare_from_rest(const physio::PatientParameters& patient, const DeviceSetup& devices,
                              const sim::SimulationOptions& numerics,
                              const PrepareOptions& options = {});

}  // namespace unload::io
