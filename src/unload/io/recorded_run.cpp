#include "unload/io/recorded_run.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "unload/core/error.hpp"
#include "unload/io/report.hpp"

namespace unload::io {

RecordedRun::RecordedRun(const Scenario& scenario, const PrepareOptions& prepare,
                         const Recording& recording)
    : scenario_(scenario), recording_(recording), prepared_(prepare_run(scenario, prepare)) {
  session_ = std::make_unique<sim::Session>(prepared_.model, prepared_.start, prepared_.bindings);
  session_->set_stop_flag(prepare.stop);
  std::vector<sim::Event> events;
  for (const auto& e : scenario.events) {
    // The session's own checks (a console input for a pump run bare) name the scenario's line.
    try {
      session_->check_event(e.event);
    } catch (const InputError& error) {
      throw InputError(e.origin.empty() ? std::string(error.what())
                                        : e.origin + ": " + error.what());
    }
    events.push_back(e.event);
  }
  session_->schedule(events);

  if (OutputDirectory* out = recording_.out) {
    waveforms_.emplace(out->staging() / "waveforms.csv", *prepared_.model);
    beats_.emplace(out->staging() / "beats.csv", *prepared_.model);
    alarms_.emplace(out->staging() / "alarms.csv", *prepared_.model);
    observers_.add(*waveforms_);
    observers_.add(*beats_);
    listeners_.add(*alarms_);
  }
  // What the run starts with (a saved state's stenosis and adenosine; a steady start's come again
  // as its events at time 0).
  procedure_.start_from(session_->plant_inputs(), session_->time());
  observers_.add(procedure_);
  listeners_.add(alarm_counter_);
  if (recording_.audit) {
    nlohmann::json detail = {
        {"scenario", scenario.name},
        {"scenario_file", scenario.file.string()},
        {"patient", scenario.patient.name},
        {"devices", audit_devices_json(*prepared_.model, prepared_.device_settings)},
        {"consoles", prepare.consoles},
        {"build", audit_build_json()}};
    if (recording_.out) detail["output"] = committed_path(recording_.out->target()).string();
    detail.update(recording_.audit_detail);
    audit_.emplace(recording_.audit(), *session_, detail);
    audit_recorder_.emplace(audit_->log(), prepared_.model);
    std::vector<std::tuple<double, int, std::string>> confirmations;
    for (const auto& a : scenario.console_actions) {
      if (!a.check.empty()) confirmations.emplace_back(a.time_s, 0, a.by);
    }
    audit_recorder_->set_confirmations(std::move(confirmations));
    listeners_.add(*audit_recorder_);
    observers_.add(*audit_recorder_);
  }
  for (auto* l : recording_.listeners) listeners_.add(*l);
  for (auto* o : recording_.observers) observers_.add(*o);
  for (std::size_t k = 0; k < prepared_.consoles.size(); ++k) {
    prepared_.consoles[k]->set_listener(&listeners_, prepared_.bindings[k].device);
  }
  session_->set_recorder(
      &observers_, recording_.out ? 1.0 / scenario.output_rate_Hz : recording_.sample_interval_s);
}

RecordedRun::~RecordedRun() = default;

double RecordedRun::simulate(double chunk_s, const std::function<void(double)>& after_chunk) {
  const auto start = std::chrono::steady_clock::now();
  while (session_->time() < scenario_.duration_s) {
    session_->advance_to(std::min(session_->time() + chunk_s, scenario_.duration_s));
    if (after_chunk) after_chunk(session_->time());
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

RunSummary RecordedRun::finish(double wall_time_s, bool report, const std::string& error) {
  if (waveforms_) waveforms_->close();
  if (beats_) beats_->close();
  if (alarms_) alarms_->close();
  RunSummary summary = summarise_run(scenario_, prepared_, *session_, procedure_, wall_time_s);
  summary.alarms_raised = alarm_counter_.raised;
  if (OutputDirectory* out = recording_.out) {
    write_summary_json(out->staging() / "summary.json", summary);
    // Written before the commit, so that the output directory appears whole or not at all.
    if (report) write_report(out->staging(), default_report_path(out->staging()));
    out->commit();
  }
  if (audit_) {
    nlohmann::json detail = {{"beats", summary.beats}};
    if (recording_.out) detail["output"] = committed_path(recording_.out->target()).string();
    if (!error.empty()) detail["outcome"] = "failed", detail["error"] = error;
    audit_->finish(detail);
  }
  return summary;
}

}  // namespace unload::io
