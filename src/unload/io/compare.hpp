// A comparison of support strategies for one patient's procedure (`unload compare`): the same
// patient, the same timeline, each strategy's devices in place of the scenario's own, and, with
// variants, the same plausible variants of the patient for every strategy.
//
// How each run starts. The patient's periodic steady state without devices is computed once per
// patient variant (as `unload run` does for a steady start, io/run_setup.hpp) and every strategy
// starts from it with its devices attached at t = 0: the strategies differ only in their devices.
// A scenario with start = "rest" runs each strategy from rest; one with a start_state file starts
// every strategy from that state (variants then cannot be drawn: InputError).
//
// What a strategy replaces. The scenario's [[devices]] and everything addressed to them (device
// setting events, console input, checks, pump faults) are left out; everything that happens to the
// patient (balloons, stents, no-reflow, rhythms, drugs, fluids, bleeds, hypovolaemia) stays.
//
// Key numbers per run (compare_metrics(): the stable contract of compare.json and compare.csv):
// the procedure's (sim/procedure_metrics.hpp), the haemolysis index (mL of blood whose haemoglobin
// the micro-axial pump released over the run; 0 without a device, null where the strategy's
// devices do not model haemolysis: balloon pump, VA-ECMO), the console's alarms above advisory,
// and whether the procedure completed without the patient collapsing:
//   collapse   the mean aortic root pressure over successive 5-s windows (from the run's start)
//              stays under 40 mmHg for more than 60 s: collapse_time_s is the start of the first
//              such window; the run goes on to the end (its numbers cover the whole timeline).
//   A run the integrator could not finish (SimulationError) did not complete either (its error
//   is kept; its numbers cover the time up to the failure).
//
// Variants. --variants N draws variants 1..N of the patient (io/variants.hpp; 0 is the preset);
// each metric's median and 10th and 90th percentiles (linear interpolation between order
// statistics, Hyndman & Fan type 7, as numpy's default) over the N variants, and the share of
// variants whose lowest MAP stayed at or above 65 mmHg, whose lowest CPO stayed at or above 0.6 W,
// and that completed. The preset's own run is reported beside them.
//
// Determinism. Runs are independent jobs whose results are stored by index, so the numbers do not
// depend on the number of threads or the order the jobs finish in.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "unload/io/scenario.hpp"
#include "unload/io/strategy.hpp"
#include "unload/io/variants.hpp"
#include "unload/sim/procedure_metrics.hpp"

namespace unload::io {

using sim::kCollapseDuration_s;
using sim::kCollapseMap_mmHg;
using sim::kCollapseWindow_s;
inline constexpr double kCpoThreshold_W = 0.6;

// One strategy on one patient variant.
struct StrategyRun {
  static constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  sim::ProcedureMetrics procedure;
  double haemolysis_index_mL = nan;
  std::array<int, 3> alarms{};  // raised: advisory, serious, critical
  bool completed = true;
  double collapse_time_s = nan;
  std::string error;  // the SimulationError that stopped it, if any
  double simulated_s = 0, wall_s = 0;
  std::vector<std::string> notes;  // a device that did not do what it was set to (devices.hpp)
};

// One key number of a run: its key (compare.json, compare.csv), unit and meaning.
struct CompareMetric {
  std::string_view key, unit, description;
  double (*get)(const StrategyRun&);
};
std::span<const CompareMetric> compare_metrics();

struct Band {
  double median = StrategyRun::nan, p10 = StrategyRun::nan, p90 = StrategyRun::nan;
};
// Median and 10th/90th percentiles (type 7) of the finite values; NaN when there are none.
Band band(std::vector<double> values);

struct StrategyResult {
  std::string strategy;               // as written
  StrategyRun preset;                 // variant 0
  std::vector<StrategyRun> variants;  // variants 1..N
  std::vector<Band> bands;            // per compare_metrics(), over the variants (empty: N = 0)
  double share_map_min_above_65 = StrategyRun::nan, share_cpo_min_above_0_6 = StrategyRun::nan,
         share_completed = StrategyRun::nan;
};

// What happens if something goes wrong (the report's fourth question): the preset patient under
// one strategy with one thing going wrong at the start of the longest inflation (the middle of
// the run when there is none): the micro-axial pump's motor fails (the first strategy with such
// a pump; it stays failed), or VF begins 10 s in and is shocked 30 s later (the same strategy, or
// the first). Run with CompareOptions::what_if; written as DIR/what-if-pump-stop/ and
// DIR/what-if-vf/.
struct WhatIf {
  std::string title;     // "The pump's motor fails during the longest inflation"
  std::string strategy;  // under which strategy
  std::string output;    // its directory name under DIR
  std::string event;     // what goes wrong, when, in words
  StrategyRun run;
};

struct CompareOptions {
  std::vector<Strategy> strategies;
  int variants = 0;
  std::uint64_t seed = 1;
  unsigned threads = 0;  // 0: the machine's cores
  bool consoles = true;  // micro-axial pumps with their console
  const std::atomic<bool>* stop = nullptr;
  // Where the preset's run of each strategy writes its outputs (waveforms.csv, beats.csv,
  // alarms.csv, summary.json) as DIR/<strategy>/; none when empty.
  std::optional<std::filesystem::path> runs_dir;
  // Where the run with outputs in runs_dir/RUN writes its audit log, in place (called from the
  // worker threads; OutputDirectory::audit_log does it); none when empty.
  std::function<std::filesystem::path(const std::string& run)> audit_log;
  // Also run the what-if runs (WhatIf) for the preset patient.
  bool what_if = false;
  // Called on the calling thread about ten times a second: simulated seconds done and in all.
  std::function<void(double done_s, double total_s)> progress;
  // The variant file (default: data/variants.toml).
  std::optional<std::filesystem::path> variant_file;
};

struct CompareResult {
  const Scenario* scenario = nullptr;
  int variants = 0;
  std::uint64_t seed = 1;
  unsigned threads = 1;
  std::vector<StrategyResult> strategies;
  std::vector<WhatIf> what_if;
  VariantSpec variant_spec;  // empty without variants
  // The preset patient's unsupported steady state (steady starts): beats it took, and reached.
  int beats_to_steady = 0;
  bool steady_state_reached = true;
  double wall_s = 0;               // the whole comparison
  double cpu_s = 0;                // summed over the runs (steady states and strategies)
  std::vector<std::string> notes;  // what the user should know (events left out, ...)
};

// Runs the comparison. InputError for what cannot be compared (variants without a steady start);
// unload::Interrupted when options.stop is set.
CompareResult run_compare(const Scenario& scenario, const CompareOptions& options);

// compare.json: format, version, note, scenario, variants, seed, strategies (each with its
// metrics, completed, collapse_time_s, error, and variant_stats when there are variants).
nlohmann::json compare_json(const CompareResult& result);
// compare.csv: one row per strategy, the compare_metrics() keys (and, with variants, each key's
// _median, _p10 and _p90, and the shares).
void write_compare_csv(const std::filesystem::path& file, const CompareResult& result);

}  // namespace unload::io
