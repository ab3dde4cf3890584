// unload run: run a scenario file for its duration and write its output directory
// (waveforms.csv, beats.csv, alarms.csv, summary.json, and the audit log in place; see
// unload/io/writers.hpp). A thin shell over io::RecordedRun.
#include <fmt/format.h>

#include <cmath>

#include "commands.hpp"
#include "progress_bar.hpp"
#include "stop_signals.hpp"
#include "unload/io/recorded_run.hpp"

namespace unload::cli {

namespace {

// The run advances in chunks of simulated time, between which it draws the progress bar. Signals
// stop it at once (stop_signals.hpp), wherever it is.
constexpr double kChunk_s = 1.0;

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
      fmt::print(
          "  recovery           a balloon is still inflated (or a no-reflow lasts) at the end\n");
    } else if (std::isnan(p.recovery_s)) {
      fmt::print("  recovery           MAP and CPO not back above 95% of baseline by the end\n");
    } else {
      fmt::print(
          "  recovery           {:.0f} s after the last deflation (MAP and CPO above 95% of "
          "baseline)\n",
          p.recovery_s);
    }
  }
  if (!std::isnan(p.collapse_time_s)) {
    fmt::print(
        "  collapse           the simulated circulation collapsed at {:.0f} s (mean aortic "
        "pressure under {:g} mmHg for over {:g} s)\n",
        p.collapse_time_s, sim::kCollapseMap_mmHg, sim::kCollapseDuration_s);
  }
  for (const auto& r : s.ffr) {
    if (r.beats == 0) {
      fmt::print(
          "  FFR                adenosine {:g} mcg/kg/min {:.0f}-{:.0f} s: no reading (no "
          "complete beat {:.0f} s or more into the infusion)\n",
          r.dose_mcg_kg_min, r.start_s, r.end_s, sim::kFfrHyperaemia_s);
      continue;
    }
    std::string wires;
    for (std::size_t k = 0; k < physio::territory_count; ++k) {
      wires += fmt::format("{}{} {:.2f}", k ? ", " : "", physio::territory_labels[k], r.pd_pa[k]);
    }
    fmt::print(
        "  FFR                adenosine {:g} mcg/kg/min {:.0f}-{:.0f} s: {} (Pd/Pa, mean of "
        "{} beats from {:.0f} s)\n",
        r.dose_mcg_kg_min, r.start_s, r.end_s, wires, r.beats, r.from_s);
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
             shown_path(out), report ? ", report.html" : "");
}

// Prints the notes not printed yet (`printed` of them were).
void print_notes(const io::OutputDirectory& out, std::size_t& printed) {
  for (; printed < out.notes().size(); ++printed) {
    fmt::print(stderr, "unload: note: {}\n", out.notes()[printed]);
  }
}

// out/<scenario name>, or, for a run made again from the summary.json in that very directory,
// out/<name>-rerun beside it (the original is an input of the run and is not replaced).
std::filesystem::path default_output(const io::Scenario& scenario) {
  namespace fs = std::filesystem;
  const fs::path plain = fs::path("out") / scenario.name;
  std::error_code ec;
  const fs::path holder = fs::weakly_canonical(scenario.file, ec).parent_path();
  if (!ec && holder == fs::weakly_canonical(plain, ec) && !ec) {
    return fs::path("out") / (scenario.name + "-rerun");
  }
  return plain;
}

}  // namespace

int run(const RunOptions& options) {
  const io::Scenario scenario = io::load_scenario(options.scenario);
  io::check_recordable(scenario);
  std::vector<std::filesystem::path> inputs = {scenario.file};
  if (scenario.start == io::StartKind::state_file) inputs.push_back(scenario.start_state);
  // Declared first so that it outlives the run: on failure the writers close, then it cleans up.
  io::OutputDirectory out(options.out.value_or(default_output(scenario)), options.force, inputs);
  std::size_t notes = 0;
  print_notes(out, notes);
  io::PrepareOptions prepare;
  prepare.consoles = options.consoles && scenario.consoles;
  prepare.stop = stop_flag();
  io::Recording recording;
  recording.out = &out;
  // Written in place as the run goes (never staged): what happened stays, however the run ends.
  recording.audit = [audit = audit_path(options.audit, out), &out] {
    return audit ? *audit : out.audit_log();
  };
  recording.audit_detail = {{"command", "run"}};
  io::RecordedRun run(scenario, prepare, recording);
  ProgressBar bar(scenario.duration_s, ProgressBar::wanted(scenario.duration_s));
  const double wall_s = run.simulate(kChunk_s, [&bar](double t) { bar.update(t); });
  bar.finish();
  const io::RunSummary summary = run.finish(wall_s, options.report);
  print_notes(out, notes);
  print_summary(summary, out.target(), options.report);
  return 0;
}

}  // namespace unload::cli
