#include "unload/io/run_setup.hpp"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"
#include "unload/devices/registry.hpp"
#include "unload/io/pump_console.hpp"
#include "unload/io/state_file.hpp"

namespace unload::io {

std::string StartReport::text() const {
  switch (kind) {
    case StartKind::steady: {
      const std::string with = standing_text(standing);
      return fmt::format(
          "from the patient's periodic steady state without devices{} ({} after {} beats, "
          "computed in {:.2f} s); devices attached at t = 0",
          with.empty() ? "" : ", with " + with,
          !steady_state_reached      ? "NOT reached"
          : steady_state_oscillating ? "reached as a mean over a longer window: the reflex "
                                       "oscillates over a few beats,"
                                     : "reached",
          beats_to_steady, wall_time_s);
    }
    case StartKind::rest:
      return "from rest (uniform pressures): the first beats are the transient to steady state";
    case StartKind::state_file:
      return fmt::format("from the state saved in {} (its R wave is t = 0){}", file.string(),
                         exact ? ""
                               : "; the saved model differed (devices attached or removed, or "
                                 "other numerics)");
  }
  return "";
}

std::string standing_text(const sim::StandingInputs& standing) {
  std::string out;
  const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    const double f = standing.coronary_inflow_fraction[k];
    if (f != 1.0) {
      add(fmt::format("an {} stenosis leaving {:g} of its inflow conductance",
                      physio::territory_labels[k], f));
    }
  }
  for (std::size_t d = 0; d < physio::drug_count; ++d) {
    if (standing.drug_dose[d] != 0.0) {
      add(fmt::format("{} {:g} {}", physio::drug_names[d], standing.drug_dose[d],
                      physio::drug_dose_unit));
    }
  }
  return out;
}

sim::SimulationOptions simulation_options(const Scenario& scenario) {
  sim::SimulationOptions o;
  o.integrator = scenario.integrator;
  return o;
}

bool has_console(std::string_view device_kind) {
  const auto* type = devices::find_device_type(device_kind);
  return type && type->family == "micro-axial pump";
}

void attach_consoles(PreparedRun& run) {
  const auto devices = run.model->devices();
  for (std::size_t k = 0; k < devices.size(); ++k) {
    if (!has_console(devices[k].block->kind())) continue;
    const bool given = k < run.speed_given.size() && run.speed_given[k];
    const physio::DeviceSettings start = k < run.device_settings.size()
                                             ? run.device_settings[k]
                                             : devices[k].block->default_settings();
    run.consoles.push_back(make_pump_console(*devices[k].block, start, given));
    run.bindings.push_back({static_cast<std::uint32_t>(k), run.consoles.back().get()});
    // The pump starts at the speed its console runs it at (AUTO: the ramp's first speed), not
    // at its default level for the instant before the console's first command.
    if (k < run.device_settings.size()) {
      const auto speed = physio::find_setting(*devices[k].block, "speed_rpm");
      if (speed) run.device_settings[k].value[*speed] = run.consoles.back()->starting_rpm();
    }
  }
}

PreparedRun prepare_from_rest(const physio::PatientParameters& patient, const DeviceSetup& devices,
                              const sim::SimulationOptions& numerics,
                              const PrepareOptions& options) {
  PreparedRun run;
  run.model = std::make_shared<const sim::Model>(patient, devices.blocks, numerics);
  run.device_settings = devices.settings;
  run.speed_given = devices.speed_given;
  run.report.kind = StartKind::rest;
  if (options.consoles) attach_consoles(run);  // first: it sets the pumps' starting speeds
  run.start = sim::rest_state(*run.model, run.device_settings);
  return run;
}

SteadyStart compute_steady_start(const physio::PatientParameters& patient,
                                 const sim::SimulationOptions& numerics,
                                 const std::atomic<bool>* stop,
                                 const sim::StandingInputs& standing) {
  const auto t0 = std::chrono::steady_clock::now();
  SteadyStart out;
  out.model = std::make_shared<const sim::Model>(
      patient, std::vector<std::shared_ptr<const physio::DeviceBlock>>{}, numerics);
  out.standing = standing;
  sim::State rest = sim::rest_state(*out.model);
  sim::set_standing_inputs(rest, standing);
  sim::Session session(out.model, rest);
  session.set_stop_flag(stop);
  const auto result = sim::run_to_steady_state(session);
  out.state = session.save();
  out.beats = result.beats_to_steady;
  out.reached = result.reached;
  out.oscillating = result.oscillating;
  out.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

namespace {
// A lesion in a saved state (an inflow fraction below 1) is unknown to the scenario's balloons,
// which deflate to what the scenario says the artery is: open, without a stenosis event. Refused,
// rather than opening the lesion at the first deflation: the scenario writes it at time 0.
void refuse_unknown_lesions(const Scenario& scenario, const physio::PlantInputs& saved) {
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    const double f = saved.coronary_inflow_fraction[k];
    if (!(f < 1.0)) continue;
    for (const auto& se : scenario.events) {
      const sim::Event& e = se.event;
      if (e.kind != sim::EventKind::coronary_inflow || e.device != k) continue;
      if (e.setting == sim::kCoronaryLasting) break;  // the scenario sets the artery first
      // The LAD and the LCx with one lesion: the left main's (as `--stenosis LM=F` saves it).
      const auto& all = saved.coronary_inflow_fraction;
      const bool left_main = k < 2 && all[0] == all[1];
      throw InputError(fmt::format(
          "{}: the balloon in the {} ({}) would deflate to an open artery, but start_state {} has "
          "a stenosis there leaving {:g} of its inflow conductance: write it as an event at time "
          "0 (stenosis = \"{}\", residual = {:g})",
          scenario.file.string(), physio::territory_labels[k], se.origin,
          scenario.start_state.string(), f,
          left_main ? std::string_view("LM") : physio::territory_labels[k], f));
    }
  }
}
}  // namespace

PreparedRun prepare_run(const Scenario& scenario, const PrepareOptions& options) {
  PreparedRun run;
  const sim::SimulationOptions numerics = simulation_options(scenario);
  run.model =
      std::make_shared<const sim::Model>(scenario.patient, scenario.devices.blocks, numerics);
  run.device_settings = scenario.devices.settings;
  run.speed_given = scenario.devices.speed_given;
  run.report.kind = scenario.start;
  // The scenario may run its pumps bare (consoles = false), whatever the front end asks. First:
  // the consoles set their pumps' starting speeds.
  if (options.consoles && scenario.consoles) attach_consoles(run);
  switch (scenario.start) {
    case StartKind::rest:
      run.start = sim::rest_state(*run.model, run.device_settings);
      break;
    case StartKind::steady: {
      const SteadyStart computed =
          options.steady
              ? SteadyStart{}
              : compute_steady_start(scenario.patient, numerics, options.stop, scenario.standing);
      const SteadyStart& steady = options.steady ? *options.steady : computed;
      if (steady.standing != scenario.standing) {
        throw std::logic_error("prepare_run: a shared steady start with other stenoses or drugs");
      }
      run.report.standing = steady.standing;
      run.start = sim::start_from(*run.model, steady.state, *steady.model, run.device_settings);
      run.report.beats_to_steady = steady.beats;
      run.report.steady_state_reached = steady.reached;
      run.report.steady_state_oscillating = steady.oscillating;
      run.report.wall_time_s = steady.wall_time_s;
      break;
    }
    case StartKind::state_file: {
      const StateFile saved = read_state_file(scenario.start_state);
      run.report.file = scenario.start_state;
      run.report.state_fingerprint = sim::state_fingerprint(saved.state);
      if (scenario.start_state_fingerprint &&
          *scenario.start_state_fingerprint != run.report.state_fingerprint) {
        throw InputError(fmt::format(
            "{}: start_state {} is not the state this run started from (fingerprint {}, "
            "expected {})",
            scenario.file.string(), scenario.start_state.string(),
            to_hex16(run.report.state_fingerprint), to_hex16(*scenario.start_state_fingerprint)));
      }
      try {
        run.start = sim::start_from(*run.model, saved.state, *saved.model, run.device_settings);
        run.report.exact = saved.model->fingerprint() == run.model->fingerprint();
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}: start_state {}: {}", scenario.file.string(),
                                     scenario.start_state.string(), e.what()));
      }
      refuse_unknown_lesions(scenario, saved.state.restart.inputs);
      break;
    }
  }
  return run;
}

}  // namespace unload::io
