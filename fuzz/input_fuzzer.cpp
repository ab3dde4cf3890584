// libFuzzer target for every reader of user files (issue 12): each input is written to a file and
// read as a scenario (.toml), a patient preset (.toml), a run's summary.json (.json) and a state
// file (.json). An InputError is the expected answer to a bad file; anything else (a crash, a
// sanitizer report, another exception, a hang caught by -timeout) is a finding.
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

#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/scenario.hpp"
#include "unload/io/state_file.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path& scratch() {
  static const fs::path dir = [] {
    const fs::path d = fs::temp_directory_path() / ("unload-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path toml = put("input.toml", data, size);
  expect_input_error_at_most([&] { unload::io::load_scenario(toml); });
  expect_input_error_at_most([&] { unload::io::load_preset(toml.string()); });
  const fs::path json = put("summary.json", data, size);
  expect_input_error_at_most([&] { unload::io::load_scenario(json); });
  expect_input_error_at_most([&] { unload::io::read_state_file(json); });
  return 0;
}
