// unload run: run a scenario file for its duration and write its output directory
// (waveforms.csv, beats.csv, summary.json; see unload/io/writers.hpp). A thin shell over
// io::prepare_run and sim::Session.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "commands.hpp"
#include "progress_bar.hpp"
#include "stop_signals.hpp"
#include "unload/io/audit_log.hpp"
#include "unload/io/report.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/writers.hpp"
#include "unload/sim/session.hpp"

namespace unload::cli {

namespace {

// The run advances in chunks of simulated time, between which it draws the progress bar. How a
// run is cut into chunks does not change it (sim/session.hpp). Signals stop it at once
// (stop_signals.hpp), wherever it is.
constexpr double kChunk_s = 1.0;

// Advances to the scenario's end; returns the wall time it took (s).
double simulate(sim::Session& session, double duration_s) {
  ProgressBar bar(duration_s, ProgressBar::wanted(duration_s));
  const auto start = std::chrono::steady_clock::now();
  while (session.time() < duration_s) {
    session.advance_to(std::min(session.time() + kChunk_s, duration_s));
    bar.update(session.time());
  }
  bar.finish();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void print_summary(const io::RunSummary& s, const std::filesystem::path& out, bool report) {
  fmt::print(
      "Simulated patient '{}' for {:g} s (scenario '{}'); for education and research, "
      "not for clinical decisions.\n",
      s.scenario->patient.name, s.simulated_s, s.scenario->name);
  fmt::print("  start              {}\n", s.run->report.text());
  fmt::print("  beats              {}\n", s.beats);
  if (s.averaged_beats > 0) {
    fmt::print("  MAP                {:.1f} mmHg   (mean of the last {} beat{})\n",
               s.metrics.map_mmHg, s.averaged_beats, s.averaged_beats == 1 ? "" : "s");
    fmt::print("  cardiac output     {:.2f} L/min\n", s.metrics.co_L_min);
    fmt::print("  LVEDP              {:.1f} mmHg\n", s.metrics.lvedp_mmHg);
  }
  const sim::ProcedureMetrics& p = s.procedure;
  if (p.beats > 0) {
    fmt::print("  baseline           MAP {:.1f} mmHg, CPO {:.2f} W  ({} beats {})\n",
               p.map_baseline_mmHg, p.cpo_baseline_W, p.baseline_beats,
               p.inflations > 0 ? "before the first inflation" : "of the first 30 s");
    fmt::print("  lowest MAP         {:.1f} mmHg at {:.0f} s; {:.1f} min under 65 mmHg\n",
               p.map_min_mmHg, p.map_min_time_s, p.minutes_map_below_65);
    fmt::print("  highest LVEDP      {:.1f} mmHg at {:.0f} s\n", p.lvedp_max_mmHg,
               p.lvedp_max_time_s);
    fmt::print("  worst beat EF      {:.1f} % at {:.0f} s\n", p.ef_min_pct, p.ef_min_time_s);
  }
  if (p.inflations > 0) {
    fmt::print("  ischaemia          {} inflation{}, {:.0f} s in all\n", p.inflations,
               p.inflations == 1 ? "" : "s", p.ischaemia_s);
    if (std::isnan(p.last_deflation_s)) {
      fmt::print("  recovery           a territory is still occluded at the end\n");
    } else if (std::isnan(p.recovery_s)) {
      fmt::print("  recovery           MAP and CPO not back above 95% of baseline by the end\n");
    } else {
      fmt::print(
          "  recovery           {:.0f} s after the last deflation (MAP and CPO above 95% of "
          "baseline)\n",
          p.recovery_s);
    }
  }
  fmt::print("  wall time          {:.2f} s   ({:.0f} x real time)\n", s.wall_time_s,
             s.wall_time_s > 0 ? s.simulated_s / s.wall_time_s : 0.0);
  if (!s.run->consoles.empty()) {
    fmt::print("  console alarms     {} critical, {} serious, {} advisory (alarms.csv)\n",
               s.alarms_raised[2], s.alarms_raised[1], s.alarms_raised[0]);
    for (const auto& c : s.run->consoles) {
      const auto d = c->display();
      fmt::print("  console            {}: {}, flow {:.2f} L/min shown, placement {}\n",
                 c->config().pump.display_name, c->mode_text(), d.estimates.flow_L_min,
                 control::placement_name(d.estimates.placement));
    }
  }
  fmt::print("  output             {}/ (waveforms.csv, beats.csv, alarms.csv, summary.json{})\n",
             std::filesystem::proximate(out).string(), report ? ", report.html" : "");
}

void print_notes(const io::OutputDirectory& out) {
  for (const auto& note : out.notes()) fmt::print(stderr, "unload: note: {}\n", note);
}

}  // namespace

int run(const RunOptions& options) {
  const io::Scenario scenario = io::load_scenario(options.scenario);
  io::check_recordable(scenario);
  std::vector<std::filesystem::path> inputs = {scenario.file};
  if (scenario.start == io::StartKind::state_file) inputs.push_back(scenario.start_state);
  // Declared first so that it outlives the writers: on failure they close, then it cleans up.
  io::OutputDirectory out(options.out.value_or(std::filesystem::path("out") / scenario.name),
                          options.force, inputs);
  print_notes(out);
  io::PrepareOptions prepare;
  prepare.consoles = options.consoles && scenario.consoles;
  prepare.stop = stop_flag();
  const io::PreparedRun prepared = io::prepare_run(scenario, prepare);
  sim::Session session(prepared.model, prepared.start, prepared.bindings);
  session.set_stop_flag(stop_flag());
  std::vector<sim::Event> events;
  for (const auto& e : scenario.events) events.push_back(e.event);
  session.schedule(events);
  io::WaveformCsvWriter waveforms(out.staging() / "waveforms.csv", *prepared.model);
  io::BeatCsvWriter beats(out.staging() / "beats.csv", *prepared.model);
  sim::ProcedureRecorder procedure;
  // Written in place as the run goes (never staged): what happened stays, however the run ends.
  io::RunAudit audit(
      audit_path(options.audit, out.target()), session,
      {{"command", "run"},
       {"scenario", scenario.name},
       {"scenario_file", scenario.file.string()},
       {"patient", scenario.patient.name},
       {"devices", io::audit_devices_json(*prepared.model, prepared.device_settings)},
       {"consoles", prepare.consoles},
       {"output", out.target().string()},
       {"build", io::audit_build_json()}});
  io::AuditRecorder audit_recorder(audit.log(), prepared.model);
  std::vector<std::tuple<double, int, std::string>> confirmations;
  for (const auto& a : scenario.console_actions) {
    if (!a.check.empty()) confirmations.emplace_back(a.time_s, 0, a.by);
  }
  audit_recorder.set_confirmations(std::move(confirmations));
  io::AlarmCsvWriter alarms(out.staging() / "alarms.csv", *prepared.model);
  io::ConsoleListenerGroup listeners;
  listeners.add(alarms);
  listeners.add(audit_recorder);
  for (std::size_t k = 0; k < prepared.consoles.size(); ++k) {
    prepared.consoles[k]->set_listener(&listeners, prepared.bindings[k].device);
  }
  io::ObserverGroup recorders;
  recorders.add(waveforms);
  recorders.add(beats);
  recorders.add(procedure);
  recorders.add(audit_recorder);
  session.set_recorder(&recorders, 1.0 / scenario.output_rate_Hz);
  const double wall_s = simulate(session, scenario.duration_s);

  waveforms.close();
  beats.close();
  alarms.close();
  io::RunSummary summary = io::summarise_run(scenario, prepared, session, procedure, wall_s);
  summary.alarms_raised = alarms.raised();
  io::write_summary_json(out.staging() / "summary.json", summary);
  // Written before the commit, so that the output directory appears whole or not at all.
  if (options.report) {
    io::write_report(out.staging(), io::default_report_path(out.staging()));
  }
  out.commit();
  audit.finish({{"beats", summary.beats}, {"output", out.target().string()}});
  print_notes(out);
  print_summary(summary, out.target(), options.report);
  return 0;
}

}  // namespace unload::cli
