// unload steady: run a patient to its periodic steady state and report the mean of the last beats.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "metrics_table.hpp"
#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/writers.hpp"
#include "unload/sim/simulation.hpp"

namespace unload::cli {

namespace {

physio::PatientParameters patient_from_options(const SteadyOptions& options) {
  physio::PatientParameters patient;
  try {
    patient = io::load_preset(options.patient);
  } catch (const InputError& e) {
    throw InputError(fmt::format("--patient: {}", e.what()));
  }
  if (!options.baroreflex)
    io::apply_override(patient, "baroreflex.enabled", 0.0, "--no-baroreflex");
  return patient;
}

void print_json(const physio::PatientParameters& patient, const SteadyOptions& options,
                const sim::Simulation& simulation, const sim::SteadyStateResult& result) {
  nlohmann::json out = {
      {"notice", io::kSimulationNotice},
      {"patient", patient.name},
      {"integrator", io::integrator_name(options.integrator)},
      {"baroreflex_enabled", patient.baroreflex.enabled},
      {"steady_state_reached", result.reached},
      {"beats_to_steady", result.beats_to_steady},
  };
  for (const auto& field : sim::metric_fields()) {
    out[std::string(field.name)] = field.get(result.average);
  }
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& d : simulation.plant().devices()) devices.push_back(d.block->kind());
  out["devices"] = devices;
  const auto& keys = simulation.device_metric_keys();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const double v = result.average.device[i];
    out[keys[i]] = std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
  }
  fmt::print("{}\n", out.dump());
}

void print_table(const physio::PatientParameters& patient, const SteadyOptions& options,
                 const sim::Simulation& simulation, const sim::SteadyStateResult& result) {
  const sim::SteadyStateOptions defaults;
  fmt::print("Simulated patient, for education and research; not for clinical decisions.\n");
  fmt::print("Patient '{}': {}\n", patient.name, patient.description);
  fmt::print("{} integrator, baroreflex {}; {} after {} beats; mean of the last {} beats.\n",
             io::integrator_name(options.integrator), patient.baroreflex.enabled ? "on" : "off",
             result.reached ? "steady state" : "NO steady state", result.beats_to_steady,
             defaults.average_beats);
  fmt::print("{}", metrics_table(result.average));
  const auto& keys = simulation.device_metric_keys();
  if (!keys.empty()) {
    std::string kinds;
    for (const auto& d : simulation.plant().devices()) {
      kinds += (kinds.empty() ? "" : ", ") + std::string(d.block->kind());
    }
    fmt::print("\nDevices ({})\n", kinds);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      fmt::print("  {:<40} {:>12.6g}\n", keys[i], result.average.device[i]);
    }
  }
}

}  // namespace

int steady(const SteadyOptions& options) {
  const physio::PatientParameters patient = patient_from_options(options);
  sim::SimulationOptions simulation_options;
  simulation_options.integrator = options.integrator;
  const io::DeviceSetup devices = io::setup_devices(options.devices);
  sim::Simulation simulation(patient, simulation_options, devices.blocks, devices.settings);
  const sim::SteadyStateResult result = sim::run_to_steady_state(simulation);
  if (options.json) {
    print_json(patient, options, simulation, result);
  } else {
    print_table(patient, options, simulation, result);
  }
  if (result.reached) return 0;
  std::fflush(stdout);
  fmt::print(stderr,
             "unload: error: no periodic steady state after {} beats (last beat-to-beat change "
             "{:.2g}); the numbers above are from the last beats\n",
             result.beats_to_steady, result.last_change);
  return 1;
}

}  // namespace unload::cli
