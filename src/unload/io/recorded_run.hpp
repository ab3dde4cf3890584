// One run of a scenario with what it records: the one place where a scenario, its Session, the
// output writers, the consoles' listeners and the audit log are wired together. `unload run` and
// each run of `unload compare` are made of it.
//
//   Outputs (with an OutputDirectory): waveforms.csv and beats.csv at the scenario's output rate,
//     alarms.csv (the consoles' messages), then summary.json and, if asked, report.html, all in the
//     staging directory; finish() commits them (io/output_directory.hpp).
//   Audit log (with a path): written in place as the run goes (io/audit_log.hpp): run_started
//     with what runs, every event, command and console message, and run_ended after the commit
//     (outcome "completed"), or "stopped" when the run ends any other way.
//   Observers and listeners of the caller's own (a comparison's outcome and alarm count) see the
//     same run; without outputs, observers are sampled every `sample_interval_s`.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "unload/io/audit_log.hpp"
#include "unload/io/output_directory.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/writers.hpp"
#include "unload/sim/procedure_metrics.hpp"
#include "unload/sim/session.hpp"

namespace unload::io {

struct Recording {
  OutputDirectory* out = nullptr;  // where the outputs go; none when null
  // Where the audit log is, asked once the run is prepared (so that a run refused before it starts
  // makes none; OutputDirectory::audit_log makes the output directory); none when empty.
  std::function<std::filesystem::path()> audit;
  nlohmann::json audit_detail = nlohmann::json::object();  // added to run_started's detail
  std::vector<sim::SimulationObserver*> observers;         // the caller's own
  std::vector<control::ConsoleListener*> listeners;        // the caller's own
  double sample_interval_s = 0.1;  // of the observers, without outputs (with them: output rate)
};

class RecordedRun {
 public:
  // Prepares the run (io::prepare_run), schedules the scenario's events and opens the writers and
  // the audit log. The Scenario and the Recording's pointers must outlive the RecordedRun.
  RecordedRun(const Scenario& scenario, const PrepareOptions& prepare, const Recording& recording);
  ~RecordedRun();
  RecordedRun(const RecordedRun&) = delete;
  RecordedRun& operator=(const RecordedRun&) = delete;

  // Advances to the scenario's end in chunks of `chunk_s` simulated seconds, calling
  // `after_chunk(t)` after each; returns the wall time it took (s). How a run is cut into chunks
  // does not change it (sim/session.hpp). A SimulationError or a stop leaves the run where it was.
  double simulate(double chunk_s = 1.0, const std::function<void(double t_s)>& after_chunk = {});

  // Ends the run at the session's time: closes the writers, writes summary.json (and report.html
  // with `report`), commits the output directory and records run_ended (outcome "completed", or
  // "failed" with `error` when the simulation failed). Returns the summary (which points into this
  // RecordedRun).
  RunSummary finish(double wall_time_s, bool report = false, const std::string& error = {});

  sim::Session& session() { return *session_; }
  const PreparedRun& prepared() const { return prepared_; }
  const sim::ProcedureRecorder& procedure() const { return procedure_; }
  // Console alarms raised so far, by priority (advisory, serious, critical).
  const std::array<int, 3>& alarms_raised() const { return alarm_counter_.raised; }

 private:
  const Scenario& scenario_;
  Recording recording_;
  PreparedRun prepared_;
  std::unique_ptr<sim::Session> session_;
  sim::ProcedureRecorder procedure_;
  std::optional<WaveformCsvWriter> waveforms_;
  std::optional<BeatCsvWriter> beats_;
  std::optional<AlarmCsvWriter> alarms_;
  std::optional<RunAudit> audit_;
  std::optional<AuditRecorder> audit_recorder_;
  AlarmCounter alarm_counter_;
  ConsoleListenerGroup listeners_;
  ObserverGroup observers_;
};

}  // namespace unload::io
