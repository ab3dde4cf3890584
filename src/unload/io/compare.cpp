#include "unload/io/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <fstream>
#include <thread>
#include <tuple>

#include "unload/core/error.hpp"
#include "unload/io/output_directory.hpp"
#include "unload/io/recorded_run.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/writers.hpp"
#include "unload/physio/device.hpp"
#include "unload/sim/session.hpp"

namespace unload::io {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr double kChunk_s = 10.0;          // a run advances in chunks (progress, stop)
constexpr double kSampleInterval_s = 0.1;  // samples for the collapse test when nothing is written
constexpr double kWhatIfAfter_s = 60.0;    // a what-if VF run goes on this long after the shock
constexpr std::string_view kNote =
    "Results of a simulation, for education and research; not clinical advice.";

const CompareMetric kMetrics[] = {
    {"map_baseline_mmHg", "mmHg", "mean arterial pressure before the first inflation",
     [](const StrategyRun& r) { return r.procedure.map_baseline_mmHg; }},
    {"lvedp_baseline_mmHg", "mmHg", "LV end-diastolic pressure before the first inflation",
     [](const StrategyRun& r) { return r.procedure.lvedp_baseline_mmHg; }},
    {"ef_baseline_pct", "%", "ejection fraction before the first inflation",
     [](const StrategyRun& r) { return r.procedure.ef_baseline_pct; }},
    {"map_min_mmHg", "mmHg",
     "lowest MAP as a monitor shows it (mean of the last 6 beats), from the baseline's start",
     [](const StrategyRun& r) { return r.procedure.map_min_mmHg; }},
    {"minutes_map_below_65", "min",
     "time with the monitor's MAP under 65 mmHg, from the baseline's start",
     [](const StrategyRun& r) { return r.procedure.minutes_map_below_65; }},
    {"cpo_baseline_W", "W", "cardiac power output before the first inflation",
     [](const StrategyRun& r) { return r.procedure.cpo_baseline_W; }},
    {"cpo_min_W", "W",
     "lowest cardiac power output (mean of the last 6 beats), from the baseline's start",
     [](const StrategyRun& r) { return r.procedure.cpo_min_W; }},
    {"cpo_max_fall_W", "W", "baseline CPO minus the lowest",
     [](const StrategyRun& r) { return r.procedure.cpo_max_fall_W; }},
    {"lvedp_max_mmHg", "mmHg", "highest beat LV end-diastolic pressure, from the baseline's start",
     [](const StrategyRun& r) { return r.procedure.lvedp_max_mmHg; }},
    {"pva_mean_ischaemia_mmHg_mL", "mmHg*mL",
     "mean pressure-volume area of the beats during ischaemia",
     [](const StrategyRun& r) { return r.procedure.pva_mean_ischaemia_mmHg_mL; }},
    {"ef_min_pct", "%", "worst beat's ejection fraction, from the baseline's start",
     [](const StrategyRun& r) { return r.procedure.ef_min_pct; }},
    {"coronary_flow_nonoccluded_mL_min", "mL/min",
     "mean flow of the territories not occluded, during ischaemia",
     [](const StrategyRun& r) { return r.procedure.coronary_flow_nonoccluded_mL_min; }},
    {"recovery_s", "s",
     "from the last deflation until MAP and CPO stay above 95% of baseline for 10 s (null: not by "
     "the end)",
     [](const StrategyRun& r) { return r.procedure.recovery_s; }},
    {"haemolysis_index", "mL",
     "blood whose haemoglobin the micro-axial pump released over the run (0: no device; null: "
     "not modelled for these devices)",
     [](const StrategyRun& r) { return r.haemolysis_index_mL; }},
    {"alarms_critical", "1", "console alarms of critical priority raised",
     [](const StrategyRun& r) { return static_cast<double>(r.alarms[2]); }},
    {"alarms_serious", "1", "console alarms of serious priority raised",
     [](const StrategyRun& r) { return static_cast<double>(r.alarms[1]); }},
};

// The haemolysis index and the device readings' means from the run's beats (the collapse test is
// the procedure's: sim::ProcedureMetrics::collapse_time_s).
class OutcomeRecorder final : public sim::SimulationObserver {
 public:
  // Before the run starts: which of `model`'s device metrics are haemolysis.
  void bind(const sim::Model& model) {
    const auto metrics = model.device_metrics();
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      if (metrics[i].key.ends_with("haemolysis_index")) haemolysis_.push_back(i);
    }
    // No device: no device haemolysis. Devices none of which models it: unknown.
    haemolysis_index_mL = model.devices().empty() ? 0.0 : StrategyRun::nan;
    if (!haemolysis_.empty()) haemolysis_index_mL = 0.0;
  }
  void on_beat(const sim::BeatMetrics& beat) override {
    // The device readings' means over the run's beats (device_shortfall_notes).
    for (std::size_t i = 0; i < sums_.size(); ++i) {
      if (std::isfinite(beat.device[i])) sums_[i] += beat.device[i], ++counts_[i];
    }
    if (haemolysis_.empty()) return;
    double sum = 0;
    for (auto i : haemolysis_) {
      if (std::isfinite(beat.device[i])) sum += beat.device[i];
    }
    haemolysis_index_mL = sum;
  }
  // Each device reading's mean over the run's beats.
  sim::BeatMetrics device_means() const {
    sim::BeatMetrics m;
    for (std::size_t i = 0; i < m.device.size(); ++i) {
      m.device[i] = counts_[i] > 0 ? sums_[i] / counts_[i] : StrategyRun::nan;
    }
    return m;
  }

  double haemolysis_index_mL = StrategyRun::nan;

 private:
  std::vector<std::size_t> haemolysis_;
  // Each device reading's sum over the beats where it is finite, and how many those are.
  std::array<double, sim::BeatMetrics::max_device_metrics> sums_{};
  std::array<long, sim::BeatMetrics::max_device_metrics> counts_{};
};

bool addressed_to_devices(sim::EventKind kind) {
  return kind == sim::EventKind::device_setting || kind == sim::EventKind::operator_setting ||
         kind == sim::EventKind::console_input;
}

// The scenario with a strategy's devices in place of its own (compare.hpp: what a strategy
// replaces), for `patient` (a variant; nullptr: the scenario's).
Scenario strategy_scenario(const Scenario& base, const Strategy& strategy,
                           const physio::PatientParameters* patient) {
  Scenario s = base;
  if (patient) s.patient = *patient;
  s.devices = strategy.setup;
  s.events.clear();
  for (const auto& e : base.events) {
    if (!addressed_to_devices(e.event.kind)) s.events.push_back(e);
  }
  s.console_actions.clear();
  s.faults.clear();
  for (const auto& f : base.faults) {
    if (f.device.empty()) s.faults.push_back(f);  // hypovolaemia: the patient's
  }
  s.description = fmt::format("{} (strategy {})", base.description, strategy.text);
  return s;
}

struct Job {
  const Scenario* scenario;  // with every event of the run
  const SteadyStart* steady;
  std::optional<std::string> out;  // the run's output directory under runs_dir (preset runs)
  std::string strategy;            // as written on the command line
  StrategyRun* result;
};

void run_job(const Job& job, const CompareOptions& options, const std::atomic<bool>* stop,
             std::atomic<long long>& done_ms) {
  const auto t0 = Clock::now();
  const Scenario& sc = *job.scenario;
  StrategyRun& r = *job.result;
  PrepareOptions prepare;
  prepare.consoles = options.consoles && sc.consoles;
  prepare.stop = stop;
  prepare.steady = job.steady;
  std::optional<OutputDirectory> out;
  Recording recording;
  if (job.out) {
    out.emplace(*options.runs_dir / *job.out, false);
    recording.out = &*out;
    if (options.audit_log) {
      recording.audit = [&options, &job] { return options.audit_log(*job.out); };
      recording.audit_detail = {{"command", "compare"}, {"strategy", job.strategy}};
    }
  }
  OutcomeRecorder outcome;
  recording.observers = {&outcome};
  recording.sample_interval_s = kSampleInterval_s;
  RecordedRun run(sc, prepare, recording);
  outcome.bind(*run.prepared().model);
  double reported = 0;
  try {
    run.simulate(kChunk_s, [&done_ms, &reported](double t) {
      done_ms += static_cast<long long>(std::llround((t - reported) * 1000.0));
      reported = t;
    });
  } catch (const SimulationError& e) {
    r.error = e.what();
    r.completed = false;
  }
  done_ms += static_cast<long long>(std::llround((sc.duration_s - reported) * 1000.0));
  const sim::Session& session = run.session();
  r.procedure = run.procedure().result(session.time());
  r.haemolysis_index_mL = outcome.haemolysis_index_mL;
  r.alarms = run.alarms_raised();
  r.collapse_time_s = r.procedure.collapse_time_s;
  r.notes = device_shortfall_notes(*run.prepared().model, run.prepared().device_settings,
                                   outcome.device_means());
  if (!std::isnan(r.collapse_time_s)) r.completed = false;
  r.simulated_s = session.time();
  r.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  if (out) run.finish(r.wall_s, false, r.error);
}

// Runs jobs(i) for i < n on `threads` threads; the calling thread reports progress. Rethrows the
// first failure (in job order) after every thread has stopped; a failure stops the other jobs.
void run_parallel(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& job,
                  const CompareOptions& options, std::atomic<bool>& abort,
                  const std::function<void()>& report) {
  std::vector<std::exception_ptr> failures(n);
  std::atomic<std::size_t> next{0}, finished{0};
  const auto work = [&] {
    for (std::size_t i; (i = next++) < n;) {
      try {
        if (!abort) job(i);
      } catch (...) {
        failures[i] = std::current_exception();
        abort = true;
      }
      ++finished;
    }
  };
  const unsigned count = static_cast<unsigned>(std::min<std::size_t>(threads, n));
  // `count` workers; this thread only watches (the stop flag, progress).
  std::vector<std::thread> pool;
  for (unsigned k = 0; k < count; ++k) pool.emplace_back(work);
  while (finished < n) {
    if (options.stop && *options.stop) abort = true;
    if (report) report();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& t : pool) t.join();
  if (report) report();
  // The first failure that was not the others being stopped because of it.
  for (auto& f : failures) {
    if (!f) continue;
    try {
      std::rethrow_exception(f);
    } catch (const Interrupted&) {
    }
  }
  for (auto& f : failures) {
    if (f) std::rethrow_exception(f);
  }
}

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// Adds the what-if runs (compare.hpp: WhatIf) to `jobs`; `scenarios` has room for them.
void add_what_if(const Scenario& scenario, const CompareOptions& options, const SteadyStart* steady,
                 std::vector<Scenario>& scenarios, std::vector<Job>& jobs, CompareResult& result) {
  double at_s = scenario.duration_s / 2, longest = -1;
  for (const auto& c : scenario.coronary) {
    if (!c.stent && !c.no_reflow && !c.stenosis && c.duration_s > longest)
      longest = c.duration_s, at_s = c.time_s;
  }
  const std::string when =
      longest > 0
          ? fmt::format("at {:g} s, as the longest inflation ({:g} s) begins", at_s, longest)
          : fmt::format("at {:g} s", at_s);
  // VF 10 s after `at_s` and one shock 30 s later; the run goes on at least kWhatIfAfter_s after
  // the shock (a scenario too short for that is lengthened, and says so), so that it shows what
  // the shock gives back.
  const double vf_s = at_s + 10, shock_s = at_s + 40;
  const double vf_end_s = std::max(scenario.duration_s, shock_s + kWhatIfAfter_s);
  const std::string lengthened =
      vf_end_s > scenario.duration_s
          ? fmt::format(" (the run lengthened to {:g} s, {:g} s after the shock)", vf_end_s,
                        kWhatIfAfter_s)
          : std::string();
  const std::string vf_when =
      longest > 0 ? fmt::format("at {:g} s, 10 s into the longest inflation; one shock at {:g} s{}",
                                vf_s, shock_s, lengthened)
                  : fmt::format("at {:g} s; one shock at {:g} s{}", vf_s, shock_s, lengthened);
  const Strategy* pump = nullptr;
  std::uint32_t pump_device = 0;
  for (const auto& s : options.strategies) {
    for (std::size_t k = 0; k < s.setup.blocks.size() && !pump; ++k) {
      if (has_console(s.setup.blocks[k]->kind()))
        pump = &s, pump_device = static_cast<std::uint32_t>(k);
    }
    if (pump) break;
  }
  result.what_if.reserve(2);
  const auto add = [&](const Strategy& strategy, std::string title, std::string output,
                       std::string event, std::vector<sim::Event> events, double duration_s) {
    Scenario sc = strategy_scenario(scenario, strategy, nullptr);
    sc.duration_s = duration_s;
    for (const auto& e : events) sc.events.push_back({e, "what-if", false});
    std::stable_sort(sc.events.begin(), sc.events.end(),
                     [](const auto& a, const auto& b) { return a.event.time_s < b.event.time_s; });
    sc.description += " - what if: " + event;
    scenarios.push_back(std::move(sc));
    result.what_if.push_back({std::move(title), strategy.text, output, std::move(event), {}});
    Job job{&scenarios.back(), steady, std::nullopt, strategy.text, &result.what_if.back().run};
    if (options.runs_dir) job.out = output;
    jobs.push_back(std::move(job));
  };
  if (pump) {
    const auto& block = *pump->setup.blocks[pump_device];
    const auto slot = physio::find_setting(block, "motor_failure");
    if (slot) {
      add(*pump, fmt::format("The pump's motor fails during the procedure ({})", pump->text),
          "what-if-pump-stop",
          fmt::format("the {} motor fails {} and is not restarted", block.kind(), when),
          {{at_s, sim::EventKind::device_setting, pump_device, static_cast<std::uint32_t>(*slot),
            1.0}},
          scenario.duration_s);
    }
  }
  const Strategy& vf_strategy = pump ? *pump : options.strategies.front();
  add(vf_strategy,
      fmt::format("Ventricular fibrillation during the procedure ({})", vf_strategy.text),
      "what-if-vf", fmt::format("ventricular fibrillation begins {}", vf_when),
      {{vf_s, sim::EventKind::rhythm, static_cast<std::uint32_t>(physio::Rhythm::vf), 0, 0.0},
       {shock_s, sim::EventKind::defibrillation, 0, 0, 0.0}},
      vf_end_s);
}

}  // namespace

std::span<const CompareMetric> compare_metrics() { return kMetrics; }

Band band(std::vector<double> values) {
  std::erase_if(values, [](double v) { return !std::isfinite(v); });
  Band b;
  if (values.empty()) return b;
  std::sort(values.begin(), values.end());
  const auto quantile = [&](double q) {
    const double h = q * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const auto hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
  };
  b.median = quantile(0.5);
  b.p10 = quantile(0.1);
  b.p90 = quantile(0.9);
  return b;
}

CompareResult run_compare(const Scenario& scenario, const CompareOptions& options) {
  const auto t0 = Clock::now();
  if (options.strategies.empty()) throw InputError("compare: no strategy given");
  if (options.variants < 0) throw InputError("compare: --variants must be 0 or more");
  if (options.variants > 0 && scenario.start != StartKind::steady) {
    throw InputError(fmt::format(
        "{}: --variants needs a scenario that starts from the patient's steady state (start = "
        "\"steady\", the default): a {} start cannot be drawn for other patients",
        scenario.file.string(), to_string(scenario.start)));
  }
  CompareResult result;
  result.scenario = &scenario;
  result.variants = options.variants;
  result.seed = options.seed;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  result.threads = options.threads > 0 ? options.threads : cores;

  std::size_t left_out = 0;
  for (const auto& e : scenario.events) left_out += addressed_to_devices(e.event.kind);
  if (!scenario.devices.blocks.empty() || left_out > 0) {
    result.notes.push_back(fmt::format(
        "the scenario's own devices ({}) and the {} event{} addressed to them are left out: each "
        "strategy brings its devices",
        scenario.devices.blocks.size(), left_out, left_out == 1 ? "" : "s"));
  }

  // The patients: the preset (0) and its variants.
  const int patients = options.variants + 1;
  std::vector<PatientVariant> variants;
  if (options.variants > 0) {
    result.variant_spec = load_variant_spec(options.variant_file.value_or(default_variant_file()));
  }
  for (int i = 0; i < patients; ++i) {
    variants.push_back(draw_variant(scenario.patient, result.variant_spec, options.seed, i));
  }

  std::atomic<bool> abort{false};
  std::atomic<long long> done_ms{0};
  const std::size_t strategies = options.strategies.size();
  double total_s = 0;  // simulated seconds of all the runs, once they are known
  const auto report = [&] {
    if (options.progress) options.progress(static_cast<double>(done_ms) / 1000.0, total_s);
  };
  const auto cpu_start = std::clock();

  // Phase 1: each patient's steady state without devices.
  std::vector<SteadyStart> steady(scenario.start == StartKind::steady ? patients : 0);
  const sim::SimulationOptions numerics = simulation_options(scenario);
  run_parallel(steady.size(), result.threads,
               [&](std::size_t i) {
                 steady[i] =
                     compute_steady_start(variants[i].patient, numerics, &abort, scenario.standing);
               },
               options, abort, {});  // no progress yet: the whole work is known after it
  if (!steady.empty()) {
    result.beats_to_steady = steady[0].beats;
    result.steady_state_reached = steady[0].reached;
  }

  // Phase 2: every strategy on every patient; the preset's runs write their outputs.
  std::vector<Scenario> scenarios;
  scenarios.reserve(strategies * patients + 2);  // + the what-if runs
  result.strategies.resize(strategies);
  for (std::size_t s = 0; s < strategies; ++s) {
    result.strategies[s].strategy = options.strategies[s].text;
    result.strategies[s].variants.resize(options.variants);
  }
  std::vector<Job> jobs;
  for (int p = 0; p < patients; ++p) {
    for (std::size_t s = 0; s < strategies; ++s) {
      scenarios.push_back(strategy_scenario(scenario, options.strategies[s],
                                            p == 0 ? nullptr : &variants[p].patient));
      Job job{&scenarios.back(), steady.empty() ? nullptr : &steady[p], std::nullopt,
              options.strategies[s].text,
              p == 0 ? &result.strategies[s].preset : &result.strategies[s].variants[p - 1]};
      if (p == 0 && options.runs_dir) job.out = options.strategies[s].text;
      jobs.push_back(std::move(job));
    }
  }
  if (options.what_if)
    add_what_if(scenario, options, steady.empty() ? nullptr : &steady[0], scenarios, jobs, result);
  total_s = 0;
  for (const auto& job : jobs) total_s += job.scenario->duration_s;
  // The dearest runs first (those that write their outputs, then by devices: consoles, device
  // count), so that the last job on a thread is a cheap one: with 7 runs on 2 threads the threads
  // then end close together. The order changes no number (results are stored by job).
  std::vector<std::size_t> order(jobs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto cost = [&](std::size_t i) {
    const auto& blocks = jobs[i].scenario->devices.blocks;
    int consoles = 0;
    for (const auto& b : blocks) consoles += has_console(b->kind());
    return std::tuple(jobs[i].out.has_value(), consoles, blocks.size());
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cost(a) > cost(b); });
  run_parallel(
      jobs.size(), result.threads,
      [&](std::size_t i) { run_job(jobs[order[i]], options, &abort, done_ms); }, options, abort,
      report);
  if (options.stop && *options.stop) throw Interrupted("the comparison was stopped");

  for (auto& sr : result.strategies) {
    if (sr.variants.empty()) continue;
    for (const auto& m : kMetrics) {
      std::vector<double> values;
      for (const auto& v : sr.variants) values.push_back(m.get(v));
      sr.bands.push_back(band(std::move(values)));
    }
    const double n = static_cast<double>(sr.variants.size());
    double map_ok = 0, cpo_ok = 0, completed = 0;
    for (const auto& v : sr.variants) {
      map_ok += v.procedure.map_min_mmHg >= sim::kMapThreshold_mmHg;
      cpo_ok += v.procedure.cpo_min_W >= kCpoThreshold_W;
      completed += v.completed;
    }
    sr.share_map_min_above_65 = map_ok / n;
    sr.share_cpo_min_above_0_6 = cpo_ok / n;
    sr.share_completed = completed / n;
  }
  // What a strategy's device did not do (its preset run: a VA-ECMO's flow short of its target).
  for (const auto& s : result.strategies) {
    for (const auto& n : s.preset.notes)
      result.notes.push_back(fmt::format("{}: {}", s.strategy, n));
  }
  result.cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  result.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return result;
}

json compare_json(const CompareResult& r) {
  const Scenario& sc = *r.scenario;
  json doc = {{"format", "unload-compare"},
              {"version", 1},
              {"note", kNote},
              {"scenario",
               {{"name", sc.name},
                {"file", sc.file.string()},
                {"patient", sc.patient_reference},
                {"duration_s", sc.duration_s},
                {"description", sc.description}}},
              {"variants", r.variants},
              {"seed", r.seed},
              {"threads", r.threads},
              {"beats_to_steady", r.beats_to_steady},
              {"steady_state_reached", r.steady_state_reached},
              {"wall_s", r.wall_s},
              {"notes", r.notes}};
  json metrics = json::array();
  for (const auto& m : kMetrics) {
    metrics.push_back({{"key", m.key}, {"unit", m.unit}, {"description", m.description}});
  }
  doc["metrics"] = metrics;
  // One run's numbers, for a strategy and a what-if run alike (the alarm counts as integers).
  const auto run_fields = [](json& e, const StrategyRun& run) {
    for (const auto& m : kMetrics) e[std::string(m.key)] = number(m.get(run));
    e["alarms_critical"] = run.alarms[2];
    e["alarms_serious"] = run.alarms[1];
    e["alarms_advisory"] = run.alarms[0];
    e["completed"] = run.completed;
    e["collapse_time_s"] = number(run.collapse_time_s);
    e["error"] = run.error.empty() ? json(nullptr) : json(run.error);
    e["simulated_s"] = run.simulated_s;
    e["notes"] = run.notes;
  };
  json list = json::array();
  for (const auto& s : r.strategies) {
    json e = {{"strategy", s.strategy}, {"output", s.strategy}};
    run_fields(e, s.preset);
    if (!s.variants.empty()) {
      json stats = {{"count", s.variants.size()}};
      json ms = json::object();
      for (std::size_t k = 0; k < std::size(kMetrics); ++k) {
        ms[std::string(kMetrics[k].key)] = {{"median", number(s.bands[k].median)},
                                            {"p10", number(s.bands[k].p10)},
                                            {"p90", number(s.bands[k].p90)}};
      }
      stats["metrics"] = ms;
      stats["share_map_min_above_65"] = s.share_map_min_above_65;
      stats["share_cpo_min_above_0_6"] = s.share_cpo_min_above_0_6;
      stats["share_completed"] = s.share_completed;
      e["variant_stats"] = stats;
    }
    list.push_back(e);
  }
  doc["strategies"] = list;
  json what_if = json::array();
  for (const auto& w : r.what_if) {
    json e = {
        {"title", w.title}, {"strategy", w.strategy}, {"output", w.output}, {"event", w.event}};
    run_fields(e, w.run);
    what_if.push_back(e);
  }
  doc["what_if"] = what_if;
  if (r.variants > 0) {
    json params = json::array();
    for (const auto& p : r.variant_spec.parameters) {
      params.push_back({{"key", p.key}, {"spread", p.spread}, {"source", p.source}});
    }
    doc["variant_parameters"] = params;
    doc["variant_file"] = r.variant_spec.file.string();
  }
  return doc;
}

void write_compare_csv(const std::filesystem::path& file, const CompareResult& r) {
  std::ofstream out(file, std::ios::binary);
  if (!out) throw InputError(fmt::format("cannot write {}", file.string()));
  const auto field = [](double v) { return std::isfinite(v) ? fmt::format("{}", v) : ""; };
  std::string header = "strategy";
  for (const auto& m : kMetrics) header += fmt::format(",{}", m.key);
  header += ",completed,collapse_time_s";
  if (r.variants > 0) {
    for (const auto& m : kMetrics) {
      header += fmt::format(",{0}_median,{0}_p10,{0}_p90", m.key);
    }
    header += ",share_map_min_above_65,share_cpo_min_above_0_6,share_completed";
  }
  // Last, so that the columns before keep their places.
  header += ",alarms_advisory,simulated_s,error";
  out << header << '\n';
  for (const auto& s : r.strategies) {
    // A strategy's text holds no comma or quote (parse_strategies splits at commas).
    std::string row = s.strategy;
    for (const auto& m : kMetrics) {
      row += ',';
      row += field(m.get(s.preset));
    }
    row += fmt::format(",{},{}", s.preset.completed ? "true" : "false",
                       field(s.preset.collapse_time_s));
    if (r.variants > 0) {
      for (const auto& b : s.bands) {
        row += fmt::format(",{},{},{}", field(b.median), field(b.p10), field(b.p90));
      }
      row += fmt::format(",{},{},{}", s.share_map_min_above_65, s.share_cpo_min_above_0_6,
                         s.share_completed);
    }
    row += fmt::format(",{},{},{}", s.preset.alarms[0], s.preset.simulated_s,
                       csv_field(s.preset.error));
    out << row << '\n';
  }
  out.close();
  if (!out) throw InputError(fmt::format("cannot write {}", file.string()));
}

}  // namespace unload::io
