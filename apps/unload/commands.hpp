// The subcommands of `unload`. Each returns the process's exit code and lets errors travel up to
// main(), which prints them once: unload::InputError (exit 2), unload::SimulationError (exit 1),
// unload::Interrupted (128 + the signal; the commands' Sessions poll cli::stop_flag()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "unload/core/build_info.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/output_directory.hpp"
#include "unload/sim/integrator.hpp"

namespace unload::cli {

struct SteadyOptions {
  std::string patient;
  bool json = false;
  sim::IntegratorKind integrator = sim::IntegratorKind::production;
  bool baroreflex = true;
  std::vector<io::DeviceRequest> devices;  // in command-line order
  bool consoles = true;                    // micro-axial pumps run with their console
  std::optional<std::filesystem::path> save_state;
  std::optional<std::filesystem::path> audit;  // an audit log to append the run's records to
  std::vector<std::string> stenoses;           // TERRITORY=RESIDUAL, e.g. LAD=0.75
  std::vector<std::string> drugs;              // NAME=DOSE, e.g. norepinephrine=0.1
  bool hyperaemia = false;                     // maximal coronary vasodilation (FFR, CFR)
};

struct RunOptions {
  std::filesystem::path scenario;
  std::optional<std::filesystem::path> out;  // default: out/<scenario stem>
  bool force = false;
  bool consoles = true;
  // The audit log (default: OUT/audit.sqlite, written in place in the output directory; audit.cpp).
  std::optional<std::filesystem::path> audit;
  bool report = false;  // also write OUT/report.html (io/report.hpp)
};

struct ReportOptions {
  std::filesystem::path run_dir;
  std::optional<std::filesystem::path> out;  // default: RUN_DIR/report.html
};

struct CompareOptions {
  std::filesystem::path scenario;
  std::string strategies;  // default: io::kDefaultStrategies
  int variants = 0;
  std::uint64_t seed = 1;
  std::optional<std::filesystem::path> variant_file;  // default: data/variants.toml
  unsigned threads = 0;                               // 0: the machine's cores
  bool json = false;
  std::optional<std::filesystem::path> out;
  bool force = false;
  bool consoles = true;
  bool report = false;  // also write OUT/report.html (needs --out)
};

struct AuditOptions {
  std::filesystem::path database;
  bool csv = false;
  bool verify = false;
};

struct ConsoleReplayOptions {
  std::filesystem::path signals;
  std::string device;   // which pump's columns (default: the one in the file)
  double every_s = 10;  // estimates reported every this many seconds
  bool json = false;
};

struct BenchOptions {
  double seconds = 600;
  int repeat = 1;  // runs; the report gives the median (this machine's clock wanders)
  bool json = false;
  sim::IntegratorKind integrator = sim::IntegratorKind::production;
  std::vector<io::DeviceRequest> devices;  // optional: the same run with devices attached
  bool consoles = true;
};

struct ListOptions {
  std::string what = "all";  // patients, devices, metrics, columns, scenario, all
  bool json = false;
  bool markdown = false;
};

struct ValidateOptions {
  std::string filter;     // run the cases whose id starts with this
  unsigned threads = 0;   // 0: the machine's cores
  bool markdown = false;  // print docs/validation.md
  bool json = false;      // one JSON document
  bool list = false;      // only list the case ids
};

// Runs a patient to its periodic steady state and reports the mean of the last beats.
int steady(const SteadyOptions& options);
// Drives the pump's console from a recorded signal file; prints its estimates and alarms.
int console_replay(const ConsoleReplayOptions& options);
// Runs a scenario file and writes its output directory.
int run(const RunOptions& options);
// Runs a scenario under each support strategy and compares them (io/compare.hpp).
int compare(const CompareOptions& options);
// Measures how much faster than real time the reference patient is simulated.
int bench(const BenchOptions& options);
// Lists an audit log's records (or verifies its chain: exit 0 intact, 1 broken).
int audit(const AuditOptions& options);
// Where a run's audit log goes: `requested`, or nullopt for in place in the output directory `out`
// (OUT/audit.sqlite: out.audit_log(); see audit.cpp). InputError for another path inside the
// output directory (replacing the output would take it away).
std::optional<std::filesystem::path> audit_path(
    const std::optional<std::filesystem::path>& requested, const io::OutputDirectory& out);
// Lists patients, devices and their settings, metrics, waveform columns and scenario keys.
int list(const ListOptions& options);
// Runs the validation cases against published results; exit 1 if one fails.
int validate(const ValidateOptions& options);
// Writes the HTML report of a run or comparison directory.
int report(const ReportOptions& options);

// What `list` accepts.
inline const std::vector<std::string> kListTopics = {"all",     "patients", "devices",  "metrics",
                                                     "columns", "scenario", "procedure"};

// A path for the user to read: relative to the working directory when it lies under it, otherwise
// absolute ("out/run", "/tmp/run"; never "../../tmp/run").
inline std::string shown_path(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::path relative = std::filesystem::proximate(path, ec);
  if (ec || relative.empty() || *relative.begin() == "..") {
    return std::filesystem::absolute(path, ec).lexically_normal().string();
  }
  return relative.string();
}

}  // namespace unload::cli
