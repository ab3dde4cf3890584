// The `unload` command: thin wiring of the subcommands (commands.hpp) to the command line, and the
// one place that turns errors into messages and exit codes:
//   0 success · 1 the simulation failed (or found no steady state) · 2 bad input (a file, an
//   argument) · 128 + the signal's number when stopped by SIGINT (130), SIGTERM (143), SIGHUP
//   (129) or SIGPIPE (141), after cleaning up (stop_signals.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "stop_signals.hpp"
#include "unload/core/build_info.hpp"
#include "unload/core/error.hpp"
#include "unload/devices/registry.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/strategy.hpp"

namespace {

using namespace unload;

constexpr int kExitSimulationFailed = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitSignal = 128;  // + the signal's number

void add_integrator_option(CLI::App& command, sim::IntegratorKind& kind) {
  const std::vector<std::string> names = {
      std::string(io::integrator_name(sim::IntegratorKind::production)),
      std::string(io::integrator_name(sim::IntegratorKind::reference))};
  command
      .add_option_function<std::string>(
          "--integrator",
          [&kind](const std::string& name) { kind = *io::integrator_from_name(name); },
          "production (Dormand-Prince, fast) or reference (CVODE BDF, tight tolerances)")
      ->check(CLI::IsMember(names))
      ->default_str(names.front());
}

// The device options of a command: each setting applies to the --device named before it, so their
// order on the command line matters (CLI11 keeps it in parse_order()). The short flags (--level,
// --rpm, --flow, --ratio) are the words the device types declare (devices/registry.cpp).
struct DeviceOptions {
  CLI::Option* device = nullptr;
  std::vector<std::pair<CLI::Option*, std::string>> settings;  // option, setting word
};

DeviceOptions add_device_options(CLI::App& c, bool& consoles) {
  DeviceOptions d;
  std::vector<std::string> kinds = io::device_kinds();
  d.device =
      c.add_option("--device")
          ->description(fmt::format("Attach a device (repeatable): {}", fmt::join(kinds, ", ")))
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->type_name("KIND");
  // word -> "family: help; family: help"
  std::map<std::string, std::vector<std::string>> words;
  for (const auto& type : devices::device_types()) {
    for (const auto& w : type.words) {
      auto& helps = words[std::string(w.word)];
      const std::string help = fmt::format("{}: {}", type.family, w.help);
      if (std::find(helps.begin(), helps.end(), help) == helps.end()) helps.push_back(help);
    }
  }
  for (const auto& [word, helps] : words) {
    d.settings.emplace_back(c.add_option("--" + word)
                                ->description(fmt::format("{}", fmt::join(helps, "; ")))
                                ->expected(1)
                                ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll),
                            word);
  }
  d.settings.emplace_back(
      c.add_option("--set")
          ->description(
              "Any device setting as NAME=VALUE, e.g. position=ventricle (see `unload list "
              "devices`)")
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll),
      "");
  c.add_flag(
      "--no-console", [&consoles](std::int64_t) { consoles = false; },
      "Run micro-axial pumps bare, without their console (settings reach the pump directly)");
  return d;
}

// The device requests in command-line order.
std::vector<io::DeviceRequest> device_requests(const CLI::App& c, const DeviceOptions& d) {
  std::vector<io::DeviceRequest> out;
  std::map<const CLI::Option*, std::size_t> used;
  for (const CLI::Option* option : c.parse_order()) {
    const std::string& value = option->results().at(used[option]++);
    if (option == d.device) {
      out.push_back({value, {}, "--device " + value});
      continue;
    }
    for (const auto& [setting_option, name] : d.settings) {
      if (option != setting_option) continue;
      if (out.empty()) {
        throw InputError(fmt::format("{} {}: name the device first (--device KIND {} {})",
                                     option->get_name(), value, option->get_name(), value));
      }
      if (name.empty()) {
        const auto eq = value.find('=');
        if (eq == std::string::npos || eq == 0) {
          throw InputError(fmt::format("--set {}: expected NAME=VALUE", value));
        }
        out.back().settings.emplace_back(value.substr(0, eq), value.substr(eq + 1));
      } else {
        out.back().settings.emplace_back(name, value);
      }
    }
  }
  return out;
}

CLI::App* add_steady(CLI::App& app, cli::SteadyOptions& o) {
  auto* c = app.add_subcommand("steady",
                               "Run a patient to its periodic steady state and report "
                               "the mean haemodynamics of the last beats");
  c->add_option("--patient", o.patient,
                "Patient preset name (e.g. normal) or path to a preset .toml")
      ->required();
  c->add_flag("--json", o.json, "Print one JSON object instead of the table");
  add_integrator_option(*c, o.integrator);
  c->add_flag(
      "--no-baroreflex", [&o](std::int64_t) { o.baroreflex = false; },
      "Switch the baroreflex off (open loop)");
  c->add_option("--save-state", o.save_state,
                "Save the steady state to FILE (JSON), to start runs from it "
                "([scenario] start_state = \"FILE\")")
      ->type_name("FILE");
  c->add_option("--audit", o.audit, "Append the run's audit records to FILE (SQLite)")
      ->type_name("FILE");
  c->add_option("--stenosis", o.stenoses,
                "A coronary stenosis the patient lives with (repeatable): TERRITORY=RESIDUAL, the "
                "fraction of the territory's resting inflow conductance it leaves (LAD, LCx, RCA "
                "or LM; more than 0, at most 1), e.g. LAD=0.75; read it in pd_pa_lad, dpr_lad")
      ->type_name("T=F");
  c->add_option("--drug", o.drugs,
                "A drug infusion running (repeatable): NAME=DOSE in mcg/kg/min, e.g. "
                "norepinephrine=0.1 (its effect at equilibrium)")
      ->type_name("NAME=DOSE");
  c->add_flag("--hyperaemia", o.hyperaemia,
              "Maximal coronary vasodilation (as with adenosine): pd_pa_* is then the FFR");
  return c;
}

CLI::App* add_run(CLI::App& app, cli::RunOptions& o) {
  auto* c = app.add_subcommand("run",
                               "Run a scenario file (or a run's summary.json, to make the run "
                               "again) and write waveforms.csv, beats.csv and summary.json");
  c->add_option("scenario", o.scenario,
                "Scenario file (.toml), e.g. scenarios/default.toml, or a summary.json")
      ->required();
  c->add_option("--out", o.out,
                "Output directory (default: out/<scenario name>; made again from the "
                "summary.json in that directory: out/<scenario name>-rerun)");
  c->add_flag("--force", o.force, "Replace the output directory of a previous run");
  c->add_option(
       "--audit", o.audit,
       "Append the run's audit records to FILE (SQLite; default: OUT/audit.sqlite, written "
       "in place in the output directory as the run goes)")
      ->type_name("FILE");
  c->add_flag(
      "--no-console", [&o](std::int64_t) { o.consoles = false; },
      "Run micro-axial pumps bare, without their console");
  c->add_flag("--report", o.report,
              "Also write report.html into the output directory (as `unload report`)");
  return c;
}

CLI::App* add_report(CLI::App& app, cli::ReportOptions& o) {
  auto* c = app.add_subcommand(
      "report",
      "Write one self-contained HTML report (plots, tables, the conversation with the patient) "
      "of a run directory or a comparison directory; it opens with no network");
  c->add_option("run_dir", o.run_dir,
                "Output directory of `unload run` (summary.json, waveforms.csv, beats.csv, "
                "alarms.csv) or of a comparison (compare.json)")
      ->required()
      ->type_name("RUN_DIR");
  c->add_option("--out", o.out, "HTML file to write (default: RUN_DIR/report.html)")
      ->type_name("FILE");
  return c;
}

CLI::App* add_compare(CLI::App& app, cli::CompareOptions& o) {
  auto* c = app.add_subcommand(
      "compare",
      "Run one patient's procedure (a scenario) under each support strategy and compare them: a "
      "table, --json, or --out DIR (compare.csv, compare.json, each strategy's run)");
  c->add_option("scenario", o.scenario,
                "Scenario file (.toml): the patient and the procedure's timeline; its own devices "
                "are replaced by each strategy's")
      ->required();
  o.strategies = std::string(io::kDefaultStrategies);
  c->add_option("--strategies", o.strategies,
                "Comma-separated strategies: none, KIND, KIND:VALUE (a pump's level, the "
                "balloon pump's ratio, VA-ECMO's flow in L/min), A+B for two devices")
      ->capture_default_str();
  auto* variants =
      c->add_option("--variants", o.variants,
                    "Also run each strategy on N plausible variants of the patient "
                    "(data/variants.toml) and report medians, 10th-90th percentiles and shares")
          ->check(CLI::Range(0, 100000))
          ->type_name("N");
  c->add_option("--seed", o.seed, "Seed of the variants (the same seed gives the same variants)")
      // Not left to the conversion, which takes -1 as 18446744073709551615 and clamps numbers
      // beyond 2^64 - 1 to it (two seeds, one set of variants). At most 2^53, so that the seed
      // compare.json records reads back exactly wherever JSON numbers are doubles.
      ->check(CLI::Validator(
          [](const std::string& text) -> std::string {
            std::uint64_t v = 0;
            const char* end = text.data() + text.size();
            const auto [ptr, ec] = std::from_chars(text.data(), end, v);
            if (text.empty() || ec != std::errc() || ptr != end || v > (std::uint64_t{1} << 53)) {
              return "expected a whole number from 0 to 9007199254740992 (2^53)";
            }
            return "";
          },
          ""))
      ->capture_default_str();
  c->add_option("--variant-file", o.variant_file,
                "The variants' parameter spreads (default: data/variants.toml, the format there)")
      ->type_name("FILE")
      ->needs(variants);
  c->add_option("--threads", o.threads, "Threads (default: the machine's cores); same results")
      ->check(CLI::Range(1u, 256u));
  c->add_flag("--json", o.json, "Print one JSON document (compare.json) instead of the table");
  auto* out = c->add_option("--out", o.out,
                            "Write compare.csv, compare.json and DIR/<strategy>/ run outputs")
                  ->type_name("DIR");
  c->add_flag("--force", o.force, "Replace the output directory of a previous comparison")
      ->needs(out);
  c->add_flag("--report", o.report,
              "Also write report.html into the output directory (as `unload report`; needs --out)");
  c->add_flag(
      "--no-console", [&o](std::int64_t) { o.consoles = false; },
      "Run micro-axial pumps bare, without their console");
  return c;
}

CLI::App* add_bench(CLI::App& app, cli::BenchOptions& o) {
  auto* c = app.add_subcommand("bench",
                               "Measure simulation speed: the normal patient with the "
                               "baroreflex on, no output");
  c->add_option("--seconds", o.seconds, "Simulated seconds")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            // CLI::Range lets NaN through (every comparison with it is false).
            const double v = std::strtod(text.c_str(), nullptr);
            return v >= 1e-3 && v <= io::kMaxScenarioDuration_s
                       ? std::string()
                       : fmt::format("expected a number of seconds from 0.001 to {:g}, got {}",
                                     io::kMaxScenarioDuration_s, text);
          },
          "SECONDS"))
      ->capture_default_str();
  c->add_option("--repeat", o.repeat,
                "Runs of the same simulation; the median real-time factor is reported")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  c->add_flag("--json", o.json, "Print one JSON line");
  add_integrator_option(*c, o.integrator);
  return c;
}

CLI::App* add_list(CLI::App& app, cli::ListOptions& o) {
  auto* c = app.add_subcommand(
      "list",
      "List patients, devices with their settings and accepted words, metrics and waveform "
      "columns with units, and scenario keys");
  c->add_option("what", o.what, "What to list")
      ->check(CLI::IsMember(cli::kListTopics))
      ->capture_default_str();
  auto* json = c->add_flag("--json", o.json, "Print one JSON document (for scripts)");
  c->add_flag("--markdown", o.markdown, "Print Markdown (docs/outputs.md is made with it)")
      ->excludes(json);
  return c;
}

CLI::App* add_validate(CLI::App& app, cli::ValidateOptions& o) {
  auto* c = app.add_subcommand(
      "validate",
      "Run every validation case against its published result (source, published value, "
      "simulated value, PASS/FAIL); exit 1 if one fails");
  c->add_option("case", o.filter, "Run only the cases whose id starts with this (e.g. cheng2009)");
  c->add_option("--threads", o.threads, "Threads (default: the machine's cores); same results")
      ->check(CLI::Range(1u, 256u));
  c->add_flag("--markdown", o.markdown, "Print Markdown (docs/validation.md is made with it)");
  c->add_flag("--json", o.json, "Print one JSON document (for scripts)");
  c->add_flag("--list", o.list, "List the case ids and stop");
  return c;
}

CLI::App* add_audit(CLI::App& app, cli::AuditOptions& o) {
  auto* c = app.add_subcommand(
      "audit", "List an audit log's records (a table, or CSV), or verify its hash chain");
  c->add_option("database", o.database, "Audit log (SQLite) written by run or steady --audit")
      ->type_name("DB");
  c->add_flag("--csv", o.csv, "Print the records as CSV");
  auto* verify = c->add_subcommand(
      "verify",
      "Check the hash chain: exit 0 intact, 1 broken (says the first bad sequence number), 2 "
      "not an audit log");
  verify->add_option("database", o.database, "Audit log (SQLite); or named before verify")
      ->type_name("DB");
  verify->final_callback([&o] { o.verify = true; });
  return c;
}

CLI::App* add_console(CLI::App& app, cli::ConsoleReplayOptions& o) {
  auto* c =
      app.add_subcommand("console", "The micro-axial pump's console, away from the simulation");
  c->require_subcommand(1);
  auto* replay = c->add_subcommand(
      "replay",
      "Drive the console from a recorded file of the pump's sensor signals (t_s and "
      "placement_signal_mmHg, motor_current_mA, motor_speed_rpm, purge_pressure_mmHg, "
      "purge_flow_mL_h, bare or prefixed with the pump's kind as in waveforms.csv) and print its "
      "estimates and alarms");
  replay->add_option("signals", o.signals, "Signal file (CSV), e.g. a run's waveforms.csv")
      ->required()
      ->type_name("SIGNALS.csv");
  replay->add_option("--device", o.device,
                     "Which pump recorded the signals (impella-2.5, impella-cp, impella-5.5); "
                     "needed when the columns are bare names");
  replay->add_option("--every", o.every_s, "Report the estimates every this many seconds")
      ->check(CLI::Range(0.01, 1e6))
      ->type_name("SECONDS");
  replay->add_flag("--json", o.json, "Print one JSON document (messages and estimates)");
  return c;
}

// --help and --version end parsing with "success"; every real parse error exits 2, whatever code
// CLI11 gives it, so that scripts can tell bad input from a failed simulation.
int parse_error_exit(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  fmt::print(stderr, "unload: error: {} (see unload --help)\n", e.what());
  return kExitBadInput;
}

// One line, whatever the message holds (a parser's text may carry line breaks).
int fail(int code, std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fflush(stdout);
  fmt::print(stderr, "unload: error: {}\n", message);
  return code;
}

int interrupted(const char* what) {
  return fail(kExitSignal + cli::stop_signal(),
              fmt::format("interrupted by {} ({}); nothing more was written",
                          cli::stop_signal_name(), what));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "unload: a simulated patient's circulation for high-risk PCI. For education and "
      "research; not for clinical decisions.",
      "unload");
  // e.g. "unload 0.1.0 (commit d1cfde6, 2026-11-29)"; "-dirty" after the commit when the tree had
  // uncommitted changes, "unknown" when built outside git.
  app.set_version_flag("--version", fmt::format("unload {} (commit {}, {})", unload_version(),
                                                git_commit(), build_date()));
  app.require_subcommand(1);
  cli::SteadyOptions steady;
  cli::RunOptions run;
  cli::BenchOptions bench;
  cli::ListOptions list;
  auto* steady_command = add_steady(app, steady);
  const DeviceOptions device_options = add_device_options(*steady_command, steady.consoles);
  const auto* run_command = add_run(app, run);
  cli::CompareOptions compare;
  const auto* compare_command = add_compare(app, compare);
  auto* bench_command = add_bench(app, bench);
  const DeviceOptions bench_device_options = add_device_options(*bench_command, bench.consoles);
  const auto* list_command = add_list(app, list);
  cli::ValidateOptions validate;
  const auto* validate_command = add_validate(app, validate);
  cli::AuditOptions audit;
  const auto* audit_command = add_audit(app, audit);
  cli::ConsoleReplayOptions console;
  const auto* console_command = add_console(app, console);
  cli::ReportOptions report;
  const auto* report_command = add_report(app, report);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_error_exit(app, e);
  }
  const cli::StopSignals stop_signals;
  try {
    if (steady_command->parsed()) {
      steady.devices = device_requests(*steady_command, device_options);
      return cli::steady(steady);
    }
    if (run_command->parsed()) return cli::run(run);
    if (compare_command->parsed()) return cli::compare(compare);
    if (list_command->parsed()) return cli::list(list);
    if (validate_command->parsed()) return cli::validate(validate);
    if (audit_command->parsed()) return cli::audit(audit);
    if (console_command->parsed()) return cli::console_replay(console);
    if (report_command->parsed()) return cli::report(report);
    bench.devices = device_requests(*bench_command, bench_device_options);
    return cli::bench(bench);
  } catch (const InputError& e) {
    return fail(kExitBadInput, e.what());
  } catch (const Interrupted& e) {
    return interrupted(e.what());
  } catch (const std::exception& e) {  // SimulationError, and files that cannot be written
    // A write that failed because a signal closed the way out (SIGPIPE) is an interruption.
    if (cli::stop_signal() != 0) return interrupted(e.what());
    return fail(kExitSimulationFailed, e.what());
  }
}
