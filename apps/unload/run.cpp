// unload run: run a scenario file for its duration and write its output directory
// (waveforms.csv, beats.csv, summary.json; see unload/io/writers.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <csignal>

#include "commands.hpp"
#include "progress_bar.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/writers.hpp"
#include "unload/sim/simulation.hpp"

namespace unload::cli {

namespace {

// The run advances in chunks of simulated time, between which it draws the progress bar and
// notices Ctrl-C (so that an interrupted run cleans up its staging directory).
constexpr double kChunk_s = 1.0;

volatile std::sig_atomic_t g_interrupted = 0;

// While alive, SIGINT and SIGTERM ask the run to stop at the end of the current chunk.
class InterruptGuard {
 public:
  InterruptGuard()
      : previous_int_(std::signal(SIGINT, on_signal)),
        previous_term_(std::signal(SIGTERM, on_signal)) {}
  ~InterruptGuard() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  static void on_signal(int) { g_interrupted = 1; }
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

// Advances to the scenario's end; returns the wall time it took (s).
double simulate(sim::Simulation& simulation, const io::Scenario& scenario,
                sim::SimulationObserver& recorders) {
  const InterruptGuard guard;
  ProgressBar bar(scenario.duration_s, ProgressBar::wanted(scenario.duration_s));
  const double output_interval_s = 1.0 / scenario.output_rate_Hz;
  const auto start = std::chrono::steady_clock::now();
  auto next_event = scenario.events.begin();
  while (simulation.time() < scenario.duration_s) {
    // Device settings change at their events' times (the integrator restarts there).
    while (next_event != scenario.events.end() && next_event->time_s <= simulation.time()) {
      for (const auto& [slot, value] : next_event->settings) {
        simulation.set_device_setting(next_event->device, slot, value);
      }
      ++next_event;
    }
    double chunk_end = std::min(simulation.time() + kChunk_s, scenario.duration_s);
    if (next_event != scenario.events.end()) chunk_end = std::min(chunk_end, next_event->time_s);
    simulation.advance_to(chunk_end, &recorders, output_interval_s);
    if (g_interrupted) throw Interrupted();
    bar.update(simulation.time());
  }
  bar.finish();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void print_summary(const io::RunSummary& s, const std::filesystem::path& out) {
  fmt::print(
      "Simulated patient '{}' for {:g} s (scenario '{}'); for education and research, "
      "not for clinical decisions.\n",
      s.scenario->patient.name, s.simulated_s, s.scenario->name);
  fmt::print("  beats              {}\n", s.beats);
  if (s.averaged_beats > 0) {
    fmt::print("  MAP                {:.1f} mmHg   (mean of the last {} beat{})\n",
               s.metrics.map_mmHg, s.averaged_beats, s.averaged_beats == 1 ? "" : "s");
    fmt::print("  cardiac output     {:.2f} L/min\n", s.metrics.co_L_min);
    fmt::print("  LVEDP              {:.1f} mmHg\n", s.metrics.lvedp_mmHg);
  }
  fmt::print("  wall time          {:.2f} s   ({:.0f} x real time)\n", s.wall_time_s,
             s.wall_time_s > 0 ? s.simulated_s / s.wall_time_s : 0.0);
  fmt::print("  output             {}/ (waveforms.csv, beats.csv, summary.json)\n",
             std::filesystem::proximate(out).string());
}

}  // namespace

int run(const RunOptions& options) {
  const io::Scenario scenario = io::load_scenario(options.scenario);
  // Declared first so that it outlives the writers: on failure they close, then it cleans up.
  io::OutputDirectory out(options.out.value_or(std::filesystem::path("out") / scenario.name),
                          options.force);
  sim::SimulationOptions simulation_options;
  simulation_options.integrator = scenario.integrator;
  sim::Simulation simulation(scenario.patient, simulation_options, scenario.devices.blocks,
                             scenario.devices.settings);
  io::WaveformCsvWriter waveforms(out.staging() / "waveforms.csv", simulation.device_columns());
  io::BeatCsvWriter beats(out.staging() / "beats.csv", simulation.device_metric_keys());
  io::ObserverGroup recorders;
  recorders.add(waveforms);
  recorders.add(beats);
  const double wall_s = simulate(simulation, scenario, recorders);

  waveforms.close();
  beats.close();
  const io::RunSummary summary = io::summarise_run(scenario, simulation, wall_s, kVersion);
  io::write_summary_json(out.staging() / "summary.json", summary);
  out.commit();
  print_summary(summary, out.target());
  return 0;
}

}  // namespace unload::cli
