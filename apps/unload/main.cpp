// The `unload` command: thin wiring of the subcommands (commands.hpp) to the command line, and the
// one place that turns errors into messages and exit codes:
//   0 success · 1 the simulation failed (or found no steady state) · 2 bad input (a file, an
//   argument) · 130 interrupted.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "commands.hpp"
#include "unload/core/build_info.hpp"
#include "unload/core/error.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/scenario.hpp"

namespace {

using namespace unload;

constexpr int kExitSimulationFailed = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitInterrupted = 130;

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

// The device options of `steady`: each setting applies to the --device named before it, so their
// order on the command line matters (CLI11 keeps it in parse_order()).
struct DeviceOptions {
  CLI::Option* device = nullptr;
  std::vector<std::pair<CLI::Option*, std::string>> settings;  // option, setting name
};

DeviceOptions add_device_options(CLI::App& c) {
  DeviceOptions d;
  std::vector<std::string> kinds = io::device_kinds();
  d.device =
      c.add_option("--device")
          ->description(fmt::format("Attach a device (repeatable): {}", fmt::join(kinds, ", ")))
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->type_name("KIND");
  auto setting = [&c, &d](const std::string& flag, const std::string& name,
                          const std::string& help) {
    d.settings.emplace_back(
        c.add_option(flag, help)->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll),
        name);
  };
  setting("--level", "level", "Micro-axial pump performance level (P0..P9, BOOST) or speed in rpm");
  setting("--rpm", "rpm", "Pump speed in rpm (VA-ECMO, micro-axial pump)");
  setting("--flow", "flow", "VA-ECMO target flow in L/min (the console adjusts the speed)");
  setting("--ratio", "ratio", "Balloon pump assist ratio: 1:1, 1:2 or 1:3");
  setting("--set", "", "Any device setting as NAME=VALUE, e.g. position=ventricle");
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
  return c;
}

CLI::App* add_run(CLI::App& app, cli::RunOptions& o) {
  auto* c = app.add_subcommand("run",
                               "Run a scenario file and write waveforms.csv, beats.csv and "
                               "summary.json");
  c->add_option("scenario", o.scenario, "Scenario file (.toml), e.g. scenarios/default.toml")
      ->required();
  c->add_option("--out", o.out, "Output directory (default: out/<scenario name>)");
  c->add_flag("--force", o.force, "Replace the output directory of a previous run");
  return c;
}

CLI::App* add_bench(CLI::App& app, cli::BenchOptions& o) {
  auto* c = app.add_subcommand("bench",
                               "Measure simulation speed: the normal patient with the "
                               "baroreflex on, no output");
  c->add_option("--seconds", o.seconds, "Simulated seconds")
      ->check(CLI::Range(1e-3, io::kMaxScenarioDuration_s))
      ->capture_default_str();
  c->add_option("--repeat", o.repeat,
                "Runs of the same simulation; the median real-time factor is reported")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  c->add_flag("--json", o.json, "Print one JSON line");
  add_integrator_option(*c, o.integrator);
  return c;
}

// --help and --version end parsing with "success"; every real parse error exits 2, whatever code
// CLI11 gives it, so that scripts can tell bad input from a failed simulation.
int parse_error_exit(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
  fmt::print(stderr, "unload: error: {} (see unload --help)\n", e.what());
  return kExitBadInput;
}

int fail(int code, const char* message) {
  std::fflush(stdout);
  fmt::print(stderr, "unload: error: {}\n", message);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "unload: a simulated patient's circulation for high-risk PCI. For education and "
      "research; not for clinical decisions.",
      "unload");
  // e.g. "unload 0.1.0 (commit d1cfde6, 2026-11-29)"; "-dirty" after the commit when the tree had
  // uncommitted changes, "unknown" when built outside git.
  app.set_version_flag("--version", fmt::format("unload {} (commit {}, {})", cli::kVersion,
                                                git_commit(), build_date()));
  app.require_subcommand(1);
  cli::SteadyOptions steady;
  cli::RunOptions run;
  cli::BenchOptions bench;
  auto* steady_command = add_steady(app, steady);
  const DeviceOptions device_options = add_device_options(*steady_command);
  const auto* run_command = add_run(app, run);
  auto* bench_command = add_bench(app, bench);
  const DeviceOptions bench_device_options = add_device_options(*bench_command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_error_exit(app, e);
  }
  try {
    if (steady_command->parsed()) {
      steady.devices = device_requests(*steady_command, device_options);
      return cli::steady(steady);
    }
    if (run_command->parsed()) return cli::run(run);
    bench.devices = device_requests(*bench_command, bench_device_options);
    return cli::bench(bench);
  } catch (const InputError& e) {
    return fail(kExitBadInput, e.what());
  } catch (const cli::Interrupted& e) {
    return fail(kExitInterrupted, e.what());
  } catch (const std::exception& e) {  // SimulationError, and files that cannot be written
    return fail(kExitSimulationFailed, e.what());
  }
}
