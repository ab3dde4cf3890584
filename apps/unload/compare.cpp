// unload compare: one patient, one procedure, each support strategy (io/compare.hpp); a table, a
// JSON document, or an output directory with compare.csv, compare.json and each strategy's run.
#include "unload/io/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "progress_bar.hpp"
#include "stop_signals.hpp"
#include "unload/core/error.hpp"
#include "unload/io/output_directory.hpp"
#include "unload/io/report.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/writers.hpp"

namespace unload::cli {

namespace {

std::string cell(double v, int decimals) {
  return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : "-";
}

// The table a heart team reads: one row per strategy, the preset patient's run.
void print_table(const io::CompareResult& r) {
  const io::Scenario& sc = *r.scenario;
  fmt::print(
      "Strategies for patient '{}', scenario '{}' ({:g} s); simulated, for education and "
      "research, not clinical advice.\n",
      sc.patient_reference, sc.name, sc.duration_s);
  // The strategy column: as wide as the longest strategy, at least 28.
  std::size_t width = 28;
  for (const auto& s : r.strategies) width = std::max(width, s.strategy.size());
  fmt::print("{:<{}} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>5} {:>6} {:>6} {:>5}  {}\n",
             "strategy", width, "MAP0", "MAPmin", "<65", "CPO0", "CPOmin", "LVEDP", "PVAisch", "EF",
             "recov", "HI", "alarm", "completed");
  fmt::print("{:<{}} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>5} {:>6} {:>6} {:>5}\n", "",
             width, "mmHg", "mmHg", "min", "W", "W", "mmHg", "mmHg*mL", "%", "s", "mL", "C/S");
  for (const auto& s : r.strategies) {
    const auto& p = s.preset.procedure;
    std::string completed = s.preset.completed ? "yes" : "NO";
    if (!std::isnan(s.preset.collapse_time_s)) {
      completed += fmt::format(" (collapse from {:.0f} s)", s.preset.collapse_time_s);
    }
    if (!s.preset.error.empty()) completed += " (the simulation failed: see --json)";
    fmt::print("{:<{}} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>5} {:>6} {:>6} {:>5}  {}\n",
               s.strategy, width, cell(p.map_baseline_mmHg, 1), cell(p.map_min_mmHg, 1),
               cell(p.minutes_map_below_65, 1), cell(p.cpo_baseline_W, 2), cell(p.cpo_min_W, 2),
               cell(p.lvedp_max_mmHg, 1), cell(p.pva_mean_ischaemia_mmHg_mL, 0),
               cell(p.ef_min_pct, 1), cell(p.recovery_s, 0), cell(s.preset.haemolysis_index_mL, 2),
               fmt::format("{}/{}", s.preset.alarms[2], s.preset.alarms[1]), completed);
  }
  if (r.variants > 0) {
    fmt::print(
        "\nOver {} plausible variants of the patient (seed {}): median [10th-90th percentile], "
        "and the share of variants that stayed above the thresholds\n",
        r.variants, r.seed);
    fmt::print("{:<{}} {:>20} {:>20} {:>20} {:>9} {:>9} {:>9}\n", "strategy", width, "MAPmin mmHg",
               "LVEDPmax mmHg", "CPOmin W", "MAP>=65", "CPO>=0.6", "completed");
    const auto index = [](std::string_view key) {
      const auto m = io::compare_metrics();
      for (std::size_t k = 0; k < m.size(); ++k) {
        if (m[k].key == key) return k;
      }
      return std::size_t{0};
    };
    const auto band = [](const io::Band& b, int d) {
      return fmt::format("{} [{}-{}]", cell(b.median, d), cell(b.p10, d), cell(b.p90, d));
    };
    for (const auto& s : r.strategies) {
      fmt::print("{:<{}} {:>20} {:>20} {:>20} {:>8.0f}% {:>8.0f}% {:>8.0f}%\n", s.strategy, width,
                 band(s.bands[index("map_min_mmHg")], 1), band(s.bands[index("lvedp_max_mmHg")], 1),
                 band(s.bands[index("cpo_min_W")], 2), 100 * s.share_map_min_above_65,
                 100 * s.share_cpo_min_above_0_6, 100 * s.share_completed);
    }
  }
  if (!r.what_if.empty()) fmt::print("\nWhat if something goes wrong (the preset patient):\n");
  for (const auto& w : r.what_if) {
    const auto& p = w.run.procedure;
    fmt::print(
        "  {}: {}; lowest MAP {} mmHg, highest LVEDP {} mmHg, {} min under 65 mmHg, {} "
        "critical alarm{}; {}\n",
        w.title, w.event, cell(p.map_min_mmHg, 1), cell(p.lvedp_max_mmHg, 1),
        cell(p.minutes_map_below_65, 1), w.run.alarms[2], w.run.alarms[2] == 1 ? "" : "s",
        w.run.completed ? "no collapse"
                        : fmt::format("COLLAPSE from {} s", cell(w.run.collapse_time_s, 0)));
  }
  fmt::print(
      "\nMAP0, CPO0: before the first inflation. MAPmin, CPOmin, <65 (minutes under 65 mmHg): MAP "
      "and CPO as a monitor shows them (means of the last 6 beats); LVEDP: the highest beat's, EF: "
      "the lowest beat's; all from 30 s before the first inflation (a device's start-up before it "
      "is left out). "
      "PVAisch: mean pressure-volume area during ischaemia. recov: s from the last deflation "
      "until MAP and CPO (means of the last 6 beats) stay above 95% of baseline for 10 s. HI: "
      "haemolysis index. alarm: console alarms raised, "
      "critical/serious. completed: no collapse (MAP under 40 mmHg for more than 60 s).\n");
  // Every run counts, the what-if runs for the report included (a VF run may be longer).
  const std::size_t runs = r.strategies.size() * (r.variants + 1) + r.what_if.size();
  double simulated_s = 0;
  for (const auto& s : r.strategies) {
    simulated_s += s.preset.simulated_s;
    for (const auto& v : s.variants) simulated_s += v.simulated_s;
  }
  for (const auto& w : r.what_if) simulated_s += w.run.simulated_s;
  fmt::print("{} runs on {} thread{} in {:.2f} s ({:.0f} x real time per core).\n", runs, r.threads,
             r.threads == 1 ? "" : "s", r.wall_s,
             r.wall_s > 0 ? simulated_s / (r.wall_s * r.threads) : 0.0);
  for (const auto& n : r.notes) fmt::print("note: {}\n", n);
}

}  // namespace

int compare(const CompareOptions& options) {
  const io::Scenario scenario = io::load_scenario(options.scenario);
  io::CompareOptions o;
  // Every strategy is checked before anything runs.
  o.strategies = io::parse_strategies(options.strategies);
  o.variants = options.variants;
  o.seed = options.seed;
  o.variant_file = options.variant_file;
  o.threads = options.threads;
  o.consoles = options.consoles;
  o.stop = stop_flag();
  if (options.report && !options.out) {
    throw InputError(
        "compare --report: name the output directory with --out DIR (the report "
        "reads DIR's runs)");
  }
  std::vector<std::string> files = {"compare.csv", "compare.json", "report.html"};
  std::optional<io::OutputDirectory> out;
  if (options.out) {
    io::check_recordable(scenario);
    std::vector<std::filesystem::path> inputs = {scenario.file};
    if (scenario.start == io::StartKind::state_file) inputs.push_back(scenario.start_state);
    out.emplace(*options.out, options.force, inputs, files);
    for (const auto& n : out->notes()) fmt::print(stderr, "unload: note: {}\n", n);
    o.runs_dir = out->staging();
    // Each run's audit log, in place: DIR/<strategy>/audit.sqlite from its start.
    o.audit_log = [&out](const std::string& run) { return out->audit_log(run); };
    o.what_if = true;  // the report's "what if something goes wrong"
  }
  // Made at the first report, when run_compare knows the whole work (with the what-if runs).
  std::optional<ProgressBar> bar;
  o.progress = [&bar, &options](double done_s, double all_s) {
    if (!bar) bar.emplace(all_s, !options.json && ProgressBar::wanted(all_s));
    bar->update(done_s);
  };
  const io::CompareResult result = io::run_compare(scenario, o);
  if (bar) bar->finish();
  const auto doc = io::compare_json(result);
  if (out) {
    {
      std::ofstream f(out->staging() / "compare.json", std::ios::binary);
      f << doc.dump(2) << '\n';
      if (!f) throw std::runtime_error("cannot write compare.json");
    }
    io::write_compare_csv(out->staging() / "compare.csv", result);
    if (options.report) io::write_report(out->staging(), io::default_report_path(out->staging()));
    out->commit();
  }
  if (options.json) {
    std::cout << doc.dump(2) << '\n';
  } else {
    print_table(result);
    if (out) {
      fmt::print("output: {}/ (compare.csv, compare.json, one directory per strategy{})\n",
                 shown_path(out->target()), options.report ? ", report.html" : "");
      if (options.report) {
        fmt::print("report: open {} in a browser (one file, no network needed)\n",
                   std::filesystem::absolute(out->target() / "report.html").string());
      }
    }
  }
  return 0;
}

}  // namespace unload::cli
