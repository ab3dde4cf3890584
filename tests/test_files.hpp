// Test helpers: files that tests write and read (scenarios, presets, state files) in a directory
// of the test program's own under the system's temporary directory.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>

namespace unload::testing {

// Made once per test program, with a random name (test programs run in parallel).
inline std::filesystem::path temp_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = std::filesystem::temp_directory_path() /
                                    ("unload-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// A directory of one test's own, PREFIX-<random> under the system's temporary directory, with a
// `work` subdirectory (where a test that runs the binary runs it; others leave it empty) made; the
// caller removes it.
inline std::filesystem::path fresh_test_directory(const std::string& prefix) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    (prefix + "-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir / "work");
  return dir;
}

// Writes `text` to temp_dir()/name (bytes as given) and returns the path.
inline std::filesystem::path write(const std::string& name, const std::string& text) {
  const std::filesystem::path file = temp_dir() / name;
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

// Runs `use` with UNLOAD_DATA_DIR set to a fresh copy of the repository's data directory in which
// the file `relative` (e.g. "console/operation.toml") holds `text`; the variable is unset
// afterwards, also when `use` throws.
inline void with_edited_data_file(const std::string& relative, const std::string& text,
                                  const std::function<void()>& use) {
  namespace fs = std::filesystem;
  const fs::path data = temp_dir() / "edited_data";
  fs::remove_all(data);
  fs::copy(UNLOAD_TEST_DATA_DIR, data, fs::copy_options::recursive);
  std::ofstream(data / relative, std::ios::binary) << text;
  setenv("UNLOAD_DATA_DIR", data.c_str(), 1);
  struct Unset {
    ~Unset() { unsetenv("UNLOAD_DATA_DIR"); }
  } unset;
  use();
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What a program run as a user runs it left: its exit code and what it printed.
struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// Runs `BINARY ARGS` (ARGS as a shell would split them) in directory `in`, capturing stdout and
// stderr in files in `scratch`.
inline Outcome run_program(const std::string& binary, const std::filesystem::path& in,
                           const std::string& args, const std::filesystem::path& scratch) {
  const std::string command = "cd '" + in.string() + "' && '" + binary + "' " + args + " >'" +
                              (scratch / "stdout").string() + "' 2>'" +
                              (scratch / "stderr").string() + "'";
  const int status = std::system(command.c_str());
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.out = read_text(scratch / "stdout");
  o.err = read_text(scratch / "stderr");
  return o;
}

}  // namespace unload::testing
