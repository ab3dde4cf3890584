// unload bench: how much faster than real time the reference patient (normal, baroreflex on) runs,
// with no output, so that changes to the plant or the integrators can be compared. With a
// micro-axial pump its console is attached (control ticks included), as in a real run, unless
// --no-console.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "stop_signals.hpp"
#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/session.hpp"

namespace unload::cli {

namespace {

struct Run {
  double wall_s = 0;
  double simulated_s = 0;
  int beats = 0;
  sim::IntegratorStats stats;
  std::string attached;
  std::size_t consoles = 0;
  double control_rate_Hz = 0;
};

Run run_once(const physio::PatientParameters& patient, const BenchOptions& options) {
  sim::SimulationOptions simulation_options;
  simulation_options.integrator = options.integrator;
  const io::DeviceSetup devices = io::setup_devices(options.devices);
  io::PrepareOptions prepare;
  prepare.consoles = options.consoles;
  const io::PreparedRun prepared =
      io::prepare_from_rest(patient, devices, simulation_options, prepare);
  sim::Session session(prepared.model, prepared.start, prepared.bindings);
  session.set_stop_flag(stop_flag());
  Run r;
  for (const auto& d : prepared.model->devices()) {
    r.attached += (r.attached.empty() ? "" : ", ") + std::string(d.block->kind());
  }
  r.consoles = prepared.bindings.size();
  r.control_rate_Hz = 1.0 / prepared.model->options().control_interval_s;
  const auto start = std::chrono::steady_clock::now();
  session.advance_to(options.seconds);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.simulated_s = session.time();
  r.beats = session.completed_beats();
  r.stats = session.integrator_stats();
  return r;
}

}  // namespace

int bench(const BenchOptions& options) {
  physio::PatientParameters patient = io::load_preset("normal");
  // The benchmark's meaning must not change if the preset's default does.
  io::apply_override(patient, "baroreflex.enabled", 1.0, "unload bench");

  // Each run is a fresh simulation of the same inputs: the same steps every time (determinism),
  // so only the wall time varies, and the median of several runs is the figure to quote.
  std::vector<Run> runs;
  for (int i = 0; i < options.repeat; ++i) {
    runs.push_back(run_once(patient, options));
    if (runs.back().stats.steps != runs.front().stats.steps ||
        runs.back().stats.rhs_evaluations != runs.front().stats.rhs_evaluations) {
      throw SimulationError("unload bench: run " + std::to_string(i + 1) +
                            " took different steps from run 1 (the simulation is not "
                            "deterministic)");
    }
  }
  std::vector<double> factors;
  for (const auto& r : runs) factors.push_back(r.wall_s > 0 ? r.simulated_s / r.wall_s : 0.0);
  std::vector<double> sorted = factors;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const double median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  const Run& first = runs.front();

  if (options.json) {
    const nlohmann::json out = {{"patient", patient.name},
                                {"integrator", io::integrator_name(options.integrator)},
                                {"devices", first.attached},
                                {"consoles", first.consoles},
                                {"simulated_s", first.simulated_s},
                                {"wall_s", first.simulated_s / median},
                                {"real_time_factor", median},
                                {"real_time_factors", factors},
                                {"beats", first.beats},
                                {"steps", first.stats.steps},
                                {"rhs_evaluations", first.stats.rhs_evaluations}};
    fmt::print("{}\n", out.dump());
    return 0;
  }
  fmt::print(
      "patient '{}' (baroreflex on), {} integrator, devices: {}{}\n", patient.name,
      io::integrator_name(options.integrator), first.attached.empty() ? "none" : first.attached,
      first.consoles > 0 ? fmt::format(" ({} console{}, control tick {:.0f} Hz)", first.consoles,
                                       first.consoles == 1 ? "" : "s", first.control_rate_Hz)
                         : "");
  fmt::print("  simulated      {:.1f} s ({} beats)\n", first.simulated_s, first.beats);
  if (n == 1) {
    fmt::print("  wall time      {:.3f} s\n", first.wall_s);
    fmt::print("  real time x    {:.0f}\n", median);
  } else {
    fmt::print("  wall time      {:.3f} s (median of {} runs)\n", first.simulated_s / median, n);
    fmt::print("  real time x    {:.0f} (median; runs {:.0f} to {:.0f})\n", median, sorted.front(),
               sorted.back());
  }
  fmt::print("  steps          {} ({} rejected, {} right-hand sides)\n", first.stats.steps,
             first.stats.rejected_steps, first.stats.rhs_evaluations);
  return 0;
}

}  // namespace unload::cli
