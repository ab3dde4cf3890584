// The subcommands of `unload`. Each returns the process's exit code and lets errors travel up to
// main(), which prints them once: unload::InputError (exit 2), unload::SimulationError (exit 1),
// Interrupted (exit 130).
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "unload/core/build_info.hpp"
#include "unload/io/devices.hpp"
#include "unload/sim/integrator.hpp"

namespace unload::cli {

// The user stopped a run (Ctrl-C); nothing was written.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted; no output was written") {}
};

struct SteadyOptions {
  std::string patient;
  bool json = false;
  sim::IntegratorKind integrator = sim::IntegratorKind::production;
  bool baroreflex = true;
  std::vector<io::DeviceRequest> devices;  // in command-line order
};

struct RunOptions {
  std::filesystem::path scenario;
  std::optional<std::filesystem::path> out;  // default: out/<scenario stem>
  bool force = false;
};

struct BenchOptions {
  double seconds = 600;
  int repeat = 1;  // runs; the report gives the median (this machine's clock wanders)
  bool json = false;
  sim::IntegratorKind integrator = sim::IntegratorKind::production;
  std::vector<io::DeviceRequest> devices;  // optional: the same run with devices attached
};

// Runs a patient to its periodic steady state and reports the mean of the last beats.
int steady(const SteadyOptions& options);
// Runs a scenario file and writes its output directory.
int run(const RunOptions& options);
// Measures how much faster than real time the reference patient is simulated.
int bench(const BenchOptions& options);

// The project's version (CMake's PROJECT_VERSION), e.g. "0.1.0" (unload_build_info).
inline const std::string kVersion{unload::unload_version()};

}  // namespace unload::cli
