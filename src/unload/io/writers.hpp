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
// A value that does not apply (NaN inside: a balloon pump beat without augmentation) is an empty
// field in CSV, which pandas, R and spreadsheets read as missing, and null in JSON.
// Files are written into a staging directory that becomes the output directory only when the run
// succeeds (OutputDirectory, output_directory.hpp). JSON is written with any byte that is not
// UTF-8 replaced (U+FFFD), so that a finished run is never lost to a name; the paths a rerun needs
// are checked before the run instead (check_recordable).
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unload/control/alarms.hpp"
#include "unload/io/output_directory.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/procedure_metrics.hpp"
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

// Writes alarms.csv: one row per alarm raised, acknowledged, muted or cleared on any console, with
// time_s, device (its kind), alarm (the stable key), priority, event, text. Other console messages
// (modes, advice, checks) pass by.
class AlarmCsvWriter final : public control::ConsoleListener {
 public:
  AlarmCsvWriter(const std::filesystem::path& file, const sim::Model& model);
  ~AlarmCsvWriter() override;
  void on_console_message(const control::ConsoleMessage& message) override;
  void close();

 private:
  std::unique_ptr<detail::CsvFile> csv_;
  std::vector<std::string> device_kinds_;
};

// Counts the alarms raised on any console, by priority (advisory, serious, critical).
class AlarmCounter final : public control::ConsoleListener {
 public:
  void on_console_message(const control::ConsoleMessage& m) override {
    if (m.kind == control::MessageKind::alarm_raised)
      ++raised[static_cast<std::size_t>(m.priority)];
  }
  std::array<int, 3> raised{};
};

// Hands each console message to several listeners.
class ConsoleListenerGroup final : public control::ConsoleListener {
 public:
  void add(control::ConsoleListener& listener) { listeners_.push_back(&listener); }
  void on_console_message(const control::ConsoleMessage& message) override {
    for (auto* l : listeners_) l->on_console_message(message);
  }

 private:
  std::vector<control::ConsoleListener*> listeners_;
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
  sim::ProcedureMetrics procedure;   // key numbers of the procedure (sim/procedure_metrics.hpp)
  std::vector<sim::FfrReading> ffr;  // the FFR of each adenosine infusion
  physio::Rhythm rhythm = physio::Rhythm::sinus;  // at the end
  double vf_onset_s = -1;                         // when VF last began (-1: never)
  std::array<int, 3> alarms_raised{};  // console alarms raised: advisory, serious, critical
};

// Summary of a run that has reached its end.
RunSummary summarise_run(const Scenario& scenario, const PreparedRun& run,
                         const sim::Session& session, const sim::ProcedureRecorder& procedure,
                         double wall_time_s);

// The key numbers of a procedure as JSON (keys: sim::procedure_fields(); null for a value the run
// did not have, such as a recovery that did not happen).
nlohmann::json procedure_json(const sim::ProcedureMetrics& m);

// The FFR readings (summary.json "ffr"): per adenosine infusion its times, rate, the beats
// averaged and each territory's Pd/Pa (null without a reading). Its keys are ffr_keys().
nlohmann::json ffr_json(const std::vector<sim::FfrReading>& readings);

// The keys of one FFR reading in summary.json (in reading order; the file itself sorts keys), with
// unit and definition: the one list `unload list` and the tests read.
struct OutputKey {
  std::string_view key, unit, description;
};
std::span<const OutputKey> ffr_keys();

// summary.json. Device metrics are keyed as the model keys them; a value a beat did not have (a
// balloon pump beat without augmentation) is null.
void write_summary_json(const std::filesystem::path& file, const RunSummary& summary);

// What a pump's console displays now, as JSON: pump, mode, set_speed_rpm, displayed_flow_L_min,
// lvedp_estimate_mmHg, map_estimate_mmHg, cpo_estimate_W (null while not estimable), placement,
// alarms_displayed.
nlohmann::json console_display_json(const control::ImpellaConsole& console);

// One beat's metrics as JSON (the keys of beats.csv; null for a missing device value).
nlohmann::json metrics_json(const sim::BeatMetrics& m, const sim::Model& model);

// InputError unless every path summary.json records for a rerun (the scenario file, a preset
// given as a path, a start_state) is valid UTF-8, which JSON must be: checked before the run, so
// that a long run is not made in vain.
void check_recordable(const Scenario& scenario);

// JSON text for a file or the terminal: bytes that are not UTF-8 replaced by U+FFFD, never an
// exception after a run.
std::string json_text(const nlohmann::json& j, int indent = -1);

// A CSV field as RFC 4180 writes it: as is, or in double quotes (a quote doubled) when it holds a
// comma, a quote or a line break.
std::string csv_field(std::string_view text);

}  // namespace unload::io
