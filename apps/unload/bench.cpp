// unload bench: how much faster than real time the reference patient (normal, baroreflex on) runs,
// with no output, so that changes to the plant or the integrators can be compared.
#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/simulation.hpp"

namespace unload::cli {

int bench(const BenchOptions& options) {
  physio::PatientParameters patient = io::load_preset("normal");
  // The benchmark's meaning must not change if the preset's default does.
  io::apply_override(patient, "baroreflex.enabled", 1.0, "unload bench");
  sim::SimulationOptions simulation_options;
  simulation_options.integrator = options.integrator;
  const io::DeviceSetup devices = io::setup_devices(options.devices);
  sim::Simulation simulation(patient, simulation_options, devices.blocks, devices.settings);
  std::string attached;
  for (const auto& d : simulation.plant().devices()) {
    attached += (attached.empty() ? "" : ", ") + std::string(d.block->kind());
  }

  const auto start = std::chrono::steady_clock::now();
  simulation.advance_to(options.seconds);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double factor = wall_s > 0 ? simulation.time() / wall_s : 0.0;
  const auto stats = simulation.integrator_stats();

  if (options.json) {
    const nlohmann::json out = {{"patient", patient.name},
                                {"integrator", io::integrator_name(options.integrator)},
                                {"devices", attached},
                                {"simulated_s", simulation.time()},
                                {"wall_s", wall_s},
                                {"real_time_factor", factor},
                                {"beats", simulation.completed_beats()},
                                {"steps", stats.steps},
                                {"rhs_evaluations", stats.rhs_evaluations}};
    fmt::print("{}\n", out.dump());
    return 0;
  }
  fmt::print("patient '{}' (baroreflex on), {} integrator, devices: {}\n", patient.name,
             io::integrator_name(options.integrator), attached.empty() ? "none" : attached);
  fmt::print("  simulated      {:.1f} s ({} beats)\n", simulation.time(),
             simulation.completed_beats());
  fmt::print("  wall time      {:.3f} s\n", wall_s);
  fmt::print("  real time x    {:.0f}\n", factor);
  fmt::print("  steps          {} ({} rejected, {} right-hand sides)\n", stats.steps,
             stats.rejected_steps, stats.rhs_evaluations);
  return 0;
}

}  // namespace unload::cli
