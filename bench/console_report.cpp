// The console's alarm figures for docs/console.md: each fault's measured latency (from the fault,
// or from the plant's suction for hypovolaemia, to the alarm it should raise) for every family
// member, and the false alarms over nominal running for every preset at every level from P-2 to
// P-8 of every member. Anyone can rerun it:
//   build/release/bench/unload_console_report [--hours 1] [--threads 2] [--write docs/console.md]
// With --write it replaces the part of the file between the markers
//   <!-- console_report:begin --> and <!-- console_report:end -->
// and leaves the rest as it is. Same results whatever the number of threads (each case is one
// deterministic run).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "unload/control/alarms.hpp"
#include "unload/control/impella_console.hpp"
#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/recorded_run.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/scenario.hpp"
#include "unload/sim/session.hpp"

namespace fs = std::filesystem;
using namespace unload;

namespace {

struct Raised {
  double t_s;
  std::string name;
  control::Priority priority;
};

class Listener final : public control::ConsoleListener {
 public:
  void on_console_message(const control::ConsoleMessage& m) override {
    if (m.kind == control::MessageKind::alarm_raised) {
      raised.push_back({m.t_s, std::string(m.name), m.priority});
    }
  }
  std::vector<Raised> raised;
};

// Watches the plant's true inlet obstruction (not a sensor: the console never sees it) for the
// onset of suction.
class SuctionWatch final : public sim::SimulationObserver {
 public:
  explicit SuctionWatch(double threshold) : threshold_(threshold) {}
  // Before the run: which of the model's device readings is device 0's inlet obstruction.
  void bind(const sim::Model& model) {
    const auto& d = model.devices()[0];
    reading_ = d.reading_offset + physio::find_reading(*d.block, "inlet_obstruction").value();
  }
  void on_sample(const physio::Observables& o) override {
    if (onset_s < 0 && o.device_readings[reading_] > threshold_) onset_s = o.t_s;
  }
  double onset_s = -1;

 private:
  std::size_t reading_ = 0;
  double threshold_;
};

fs::path scenario_file(const std::string& text) {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() / fmt::format("unload-console-report-{}", ::getpid());
  fs::create_directories(dir);
  const fs::path file = dir / fmt::format("case{}.toml", counter++);
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

struct RunResult {
  std::vector<Raised> raised;
  double suction_onset_s = -1;
  double wall_s = 0;
};

RunResult run_case(const std::string& patient, const std::string& pump, const std::string& level,
                   double duration_s, const std::string& events) {
  const fs::path file = scenario_file(fmt::format(
      "[scenario]\npatient = \"{}\"\nduration = {}\n\n[[devices]]\nkind = \"{}\"\nlevel = "
      "\"{}\"\n\n{}",
      patient, duration_s, pump, level, events));
  const auto t0 = std::chrono::steady_clock::now();
  const io::Scenario scenario = io::load_scenario(file);
  fs::remove(file);
  Listener listener;
  // The true inlet obstruction, sampled at 100 Hz.
  SuctionWatch watch(0.5);
  io::Recording recording;
  recording.listeners = {&listener};
  recording.observers = {&watch};
  recording.sample_interval_s = 0.01;
  io::RecordedRun run(scenario, {}, recording);
  watch.bind(*run.prepared().model);
  run.simulate(duration_s);
  RunResult r;
  r.raised = std::move(listener.raised);
  r.suction_onset_s = watch.onset_s;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

template <class Job>
void parallel(std::size_t count, unsigned threads, Job job) {
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned k = 0; k < std::max(1u, threads); ++k) {
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < count; i = next++) job(i);
    });
  }
  for (auto& t : pool) t.join();
}

struct Fault {
  const char* name;
  const char* alarm;
  double limit_s;
  const char* latency_from;  // "fault" or "suction"
};
constexpr Fault kFaults[] = {
    {"motor_failure", "pump_stopped", 2, "fault"},
    {"migration_ventricle", "position_in_ventricle", 10, "fault"},
    {"migration_aorta", "position_wrong", 10, "fault"},
    {"hypovolaemia", "suction", 5, "suction"},
    {"purge_kink", "purge_pressure_high", 30, "fault"},
    {"purge_bag_empty", "purge_pressure_low", 30, "fault"},
    {"placement_sensor_failure", "sensor_failure_placement", 5, "fault"},
    {"current_sensor_noise", "sensor_failure_current", 5, "fault"},
};
const char* const kPumps[] = {"impella-2.5", "impella-cp", "impella-5.5"};

}  // namespace

int main(int argc, char** argv) {
  double hours = 1;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string write;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--hours" && i + 1 < argc) {
      hours = std::stod(argv[++i]);
    } else if (a == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--write" && i + 1 < argc) {
      write = argv[++i];
    } else {
      fmt::print(stderr, "usage: unload_console_report [--hours H] [--threads N] [--write FILE]\n");
      return 2;
    }
  }
  try {
    const auto t_start = std::chrono::steady_clock::now();
    std::ostringstream md;
    // ---- Fault latency ----
    const double fault_at = 60;
    std::vector<std::pair<const Fault*, const char*>> fault_cases;
    for (const char* pump : kPumps) {
      for (const auto& f : kFaults) fault_cases.emplace_back(&f, pump);
    }
    std::vector<RunResult> fault_results(fault_cases.size());
    parallel(fault_cases.size(), threads, [&](std::size_t i) {
      const auto& [f, pump] = fault_cases[i];
      const double duration = std::string(f->latency_from) == "suction" ? 240 : fault_at + 60;
      fault_results[i] =
          run_case("hrpci", pump, "P8", duration,
                   fmt::format("[[events]]\ntime = {}\nfault = \"{}\"\n", fault_at, f->name));
    });
    md << "### Fault latency (measured)\n\n"
       << "Each fault injected at 60 s into `hrpci` at P-8 from its steady state; latency from the "
          "fault (for `hypovolaemia`, from the moment the pump's true inlet obstruction passes "
          "0.5, i.e. suction in the plant) to the alarm it must raise. Other alarms above "
          "advisory raised after the fault are listed.\n\n"
       << "| fault | alarm | limit s | impella-2.5 s | impella-cp s | impella-5.5 s | also raised "
          "|\n"
       << "|---|---|---|---|---|---|---|\n";
    int fault_failures = 0;
    for (const auto& f : kFaults) {
      std::string cells, also;
      for (const char* pump : kPumps) {
        std::size_t i = 0;
        while (!(fault_cases[i].first == &f && std::string(fault_cases[i].second) == pump)) ++i;
        const RunResult& r = fault_results[i];
        const double from = std::string(f.latency_from) == "suction" ? r.suction_onset_s : fault_at;
        double latency = std::nan("");
        for (const auto& a : r.raised) {
          if (a.name == f.alarm && a.t_s >= fault_at && std::isnan(latency)) {
            latency = a.t_s - from;
          } else if (a.name != f.alarm && a.t_s >= fault_at &&
                     a.priority != control::Priority::advisory &&
                     also.find(a.name) == std::string::npos) {
            also += (also.empty() ? "" : ", ") + a.name;
          }
        }
        if (from < 0) {
          // The plant did not suck (the 2.5 cannot empty this ventricle): nothing to detect, and
          // nothing may be raised.
          if (std::isnan(latency)) {
            cells += " no suction in the plant, none raised |";
          } else {
            cells += " raised WITHOUT suction in the plant |";
            ++fault_failures;
          }
        } else if (std::isnan(latency)) {
          cells += " NOT RAISED |";
          ++fault_failures;
        } else {
          cells += fmt::format(" {:.2f}{} |", latency, latency <= f.limit_s ? "" : " (over)");
          if (latency > f.limit_s) ++fault_failures;
        }
      }
      md << fmt::format("| `{}` | `{}` | {:g} |{} {} |\n", f.name, f.alarm, f.limit_s, cells,
                        also.empty() ? "-" : also);
    }
    // ---- False alarms ----
    const auto presets = io::preset_names();
    std::vector<std::tuple<std::string, std::string, int>> nominal;
    for (const char* pump : kPumps) {
      for (const auto& p : presets) {
        for (int level = 2; level <= 8; ++level) nominal.emplace_back(pump, p, level);
      }
    }
    std::vector<RunResult> nominal_results(nominal.size());
    parallel(nominal.size(), threads, [&](std::size_t i) {
      const auto& [pump, patient, level] = nominal[i];
      nominal_results[i] = run_case(patient, pump, fmt::format("P{}", level), hours * 3600.0, "");
    });
    int false_alarms = 0, advisories = 0;
    std::map<std::string, int> by_alarm;
    std::string offenders;
    for (std::size_t i = 0; i < nominal.size(); ++i) {
      for (const auto& a : nominal_results[i].raised) {
        if (a.priority == control::Priority::advisory) {
          ++advisories;
          continue;
        }
        ++false_alarms;
        ++by_alarm[a.name];
        const auto& [pump, patient, level] = nominal[i];
        offenders +=
            fmt::format("- {} {} P-{}: `{}` at {:.1f} s\n", pump, patient, level, a.name, a.t_s);
      }
    }
    md << "\n### False alarms over nominal running (measured)\n\n"
       << fmt::format(
              "{} runs ({} family members x {} presets x P-2..P-8), {:g} simulated hour{} each, "
              "from each patient's steady state with the pump at that level, no event: **{} "
              "alarm{} above advisory** ({} advisories: overdue regular checks and position "
              "unknown in low-pulsatility patients are advisories).\n",
              nominal.size(), std::size(kPumps), presets.size(), hours, hours == 1 ? "" : "s",
              false_alarms, false_alarms == 1 ? "" : "s", advisories);
    if (!offenders.empty()) md << "\n" << offenders;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    md << fmt::format(
        "\nGenerated by `build/release/bench/unload_console_report --hours {:g} "
        "--write docs/console.md` in {:.0f} s on {} threads.\n",
        hours, wall, threads);
    const std::string section = md.str();
    if (write.empty()) {
      fmt::print("{}", section);
    } else {
      std::ifstream in(write, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      std::string doc = text.str();
      const std::string begin = "<!-- console_report:begin -->",
                        end = "<!-- console_report:end -->";
      const auto b = doc.find(begin), e = doc.find(end);
      if (b == std::string::npos || e == std::string::npos || e < b) {
        fmt::print(stderr, "{}: no {} ... {} markers\n", write, begin, end);
        return 2;
      }
      doc = doc.substr(0, b + begin.size()) + "\n" + section + doc.substr(e);
      std::ofstream(write, std::ios::binary) << doc;
      fmt::print("{}", section);
    }
    return (fault_failures == 0 && false_alarms == 0) ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "unload_console_report: {}\n", e.what());
    return 2;
  }
}
