// libFuzzer target for every reader of user files (issue 12): each input is written to a file and
// read as a scenario (.toml), a patient preset (.toml), a run's summary.json (.json) and a state
// file (.json), and by the HTML report (io/report.hpp) as each file of a run directory
// (summary.json, beats.csv, waveforms.csv, alarms.csv; the others valid) and as a comparison's
// compare.json (beside a valid run directory, "run"). An InputError is the expected answer to a bad
// file; anything else (a crash, a sanitizer report, another exception, a hang caught by -timeout)
// is a finding.
//
// Built by the `fuzz` preset (clang, -fsanitize=fuzzer,address,undefined, toml++ compiled in so
// that its parser is instrumented too); run by scripts/fuzz.sh (docs/reliability.md).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/report.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/state_file.hpp"

namespace {

namespace fs = std::filesystem;

// This process's scratch directory, removed when libFuzzer exits normally (at the end of its runs
// or its time; a crash keeps it beside the finding).
fs::path scratch_dir() {
  return fs::temp_directory_path() / ("unload-fuzz-" + std::to_string(::getpid()));
}

const fs::path& scratch() {
  static const fs::path dir = [] {
    const fs::path d = scratch_dir();
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(scratch_dir(), ignored);
    });
    return d;
  }();
  return dir;
}

fs::path put(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const fs::path file = scratch() / name;
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return file;
}

template <class F>
void expect_input_error_at_most(F read) {
  try {
    read();
  } catch (const unload::InputError&) {
    // the expected answer to a bad file
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finding: an exception other than InputError: %s\n", e.what());
    std::abort();
  }
}

// A small valid run directory for the report's readers (what `unload run` writes, cut down).
const char* const kSummary =
    R"({"patient": "hrpci", "scenario": {"name": "fuzz", "output_rate_Hz": 10}, "duration_s": 2,
"devices": ["impella-cp"], "console": {"alarms_critical": 1}, "procedure": {"map_min_mmHg": 70},
"events": [{"time": 0.5, "balloon": "LAD", "duration": 0.5}, {"time": 1.5, "fault": "motor_failure"}]})";
const char* const kBeats = "beat,start_s,map_mmHg\n0,0,80\n1,0.5,75\n2,1,70\n3,1.5,72\n";
const char* const kAlarms =
    "time_s,device,alarm,priority,event,text\n1.6,impella-cp,pump_stopped,critical,raised,\"a, "
    "b\"\n";
std::string waveforms() {
  std::string text =
      "t_s,p_aortic_root_mmHg,p_left_ventricle_mmHg,p_pulmonary_arteries_mmHg,"
      "v_left_ventricle_mL,impella-cp.pump_flow_mL_s\n";
  for (int i = 0; i <= 20; ++i) {
    text += std::to_string(0.1 * i) + "," + std::to_string(80 + i % 5) + "," +
            std::to_string(10 * (i % 5)) + ",20," + std::to_string(120 - i % 5) + ",50\n";
  }
  return text;
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

const fs::path& run_directory() {
  static const fs::path dir = [] {
    const fs::path d = scratch() / "cmp" / "run";
    fs::create_directories(d);
    write_text(d / "summary.json", kSummary);
    write_text(d / "beats.csv", kBeats);
    write_text(d / "alarms.csv", kAlarms);
    write_text(d / "waveforms.csv", waveforms());
    return d;
  }();
  return dir;
}

// One file of the run directory replaced by the input (which one: the input's size modulo 5, so
// that a report, which takes milliseconds, is made once an input), then put back; or the input
// as the comparison's compare.json.
void fuzz_report(const std::uint8_t* data, std::size_t size) {
  const fs::path& run = run_directory();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::pair<const char*, std::string> files[] = {{"summary.json", kSummary},
                                                       {"beats.csv", kBeats},
                                                       {"alarms.csv", kAlarms},
                                                       {"waveforms.csv", waveforms()}};
  const std::size_t which = size % 5;
  if (which == 4) {
    write_text(run.parent_path() / "compare.json", input);
    expect_input_error_at_most([&] { (void)unload::io::report_html(run.parent_path()); });
    return;
  }
  const auto& [name, valid] = files[which];
  write_text(run / name, input);
  expect_input_error_at_most([&] { (void)unload::io::report_html(run); });
  write_text(run / name, valid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path toml = put("input.toml", data, size);
  expect_input_error_at_most([&] { unload::io::load_scenario(toml); });
  expect_input_error_at_most([&] { unload::io::load_preset(toml.string()); });
  const fs::path json = put("summary.json", data, size);
  expect_input_error_at_most([&] { unload::io::load_scenario(json); });
  expect_input_error_at_most([&] { unload::io::read_state_file(json); });
  fuzz_report(data, size);
  return 0;
}
