// Writers of a run's output directory (a stable contract: scripts read these files).
//
//   waveforms.csv  t_s, then every physio::observable_columns() name, then the model's
//                  device_columns(); one row per output sample
//   beats.csv      beat, start_s, then every sim::metric_fields() key, then the model's
//                  device_metrics() keys; one row per beat
//   summary.json   patient, scenario, how the run started, devices with all their settings,
//                  events, simulated duration, beats, the mean of each metric over the last
//                  kSummaryBeats beats ("metrics"), integrator name and statistics, unload version
//                  and git commit, wall time, a "notice", and "rerun": the scenario resolved, which
//                  `unload run summary.json` runs again with identical outputs
//
// The CSV writers stream: each row is formatted into a reused buffer and handed to a buffered
// file, so memory does not grow with the length of a run. Numbers are written with 9 significant
// digits, well beyond the integrator's tolerance; times with 12 so that samples stay distinct.
// Files are written into a staging directory that becomes the output directory only when the run
// succeeds (OutputDirectory).
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/session.hpp"

namespace unload::io {

// Said wherever results leave the program (summary.json, the command line's reports).
inline constexpr std::string_view kSimulationNotice =
    "Results come from a simulation, for education and research; not for clinical decisions.";

// How many of the last beats the summary averages.
inline constexpr int kSummaryBeats = 5;

namespace detail {
class CsvFile;
}

// Writes one row of waveforms.csv per output sample.
class WaveformCsvWriter final : public sim::SimulationObserver {
 public:
  WaveformCsvWriter(const std::filesystem::path& file, const sim::Model& model);
  ~WaveformCsvWriter() override;
  void on_sample(const physio::Observables& sample) override;
  // Flushes and closes; throws std::runtime_error if anything could not be written.
  void close();

 private:
  std::unique_ptr<detail::CsvFile> csv_;
  std::vector<std::size_t> device_readings_;
};

// Writes one row of beats.csv per completed beat.
class BeatCsvWriter final : public sim::SimulationObserver {
 public:
  BeatCsvWriter(const std::filesystem::path& file, const sim::Model& model);
  ~BeatCsvWriter() override;
  void on_beat(const sim::BeatMetrics& beat) override;
  void close();

 private:
  std::unique_ptr<detail::CsvFile> csv_;
  std::size_t device_metrics_ = 0;
};

// Hands each sample and beat to several observers (a Simulation takes one).
class ObserverGroup final : public sim::SimulationObserver {
 public:
  void add(sim::SimulationObserver& observer) { observers_.push_back(&observer); }
  void on_sample(const physio::Observables& sample) override;
  void on_beat(const sim::BeatMetrics& beat) override;
  void on_event(const sim::Event& event) override;
  void on_command(double t_s, const Command& command) override;

 private:
  std::vector<sim::SimulationObserver*> observers_;
};

// What a finished run reports (summary.json and the command line's short summary).
struct RunSummary {
  const Scenario* scenario = nullptr;
  const PreparedRun* run = nullptr;
  double simulated_s = 0;
  int beats = 0;
  int averaged_beats = 0;    // how many beats `metrics` averages (fewer than 5 in a short run)
  sim::BeatMetrics metrics;  // mean of the last averaged_beats beats
  sim::IntegratorStats integrator_stats;
  double wall_time_s = 0;
};

// Summary of a run that has reached its end.
RunSummary summarise_run(const Scenario& scenario, const PreparedRun& run,
                         const sim::Session& session, double wall_time_s);

// summary.json. Device metrics are keyed as the model keys them; a value a beat did not have (a
// balloon pump beat without augmentation) is null.
void write_summary_json(const std::filesystem::path& file, const RunSummary& summary);

// One beat's metrics as JSON (the keys of beats.csv; null for a missing device value).
nlohmann::json metrics_json(const sim::BeatMetrics& m, const sim::Model& model);

// The directory a run writes into. The constructor checks the target and creates a staging
// sibling (TARGET.tmp-XXXXXX); commit() renames it into place. Until then the target is untouched,
// and if the run fails the destructor removes the staging directory (and any parent directories
// it had to create), so a failed run leaves no half-written output.
class OutputDirectory {
 public:
  // Throws InputError if target exists and is not an empty directory, unless `replace` is set;
  // even then only a previous run's output (a directory with summary.json) is replaced.
  OutputDirectory(const std::filesystem::path& target, bool replace);
  ~OutputDirectory();
  OutputDirectory(const OutputDirectory&) = delete;
  OutputDirectory& operator=(const OutputDirectory&) = delete;

  const std::filesystem::path& staging() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }
  void commit();

 private:
  std::filesystem::path target_, staging_;
  std::vector<std::filesystem::path> created_parents_;  // deepest first
  bool committed_ = false;
};

}  // namespace unload::io
