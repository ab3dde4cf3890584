// Test helpers: files that tests write and read (scenarios, presets, state files) in a directory
// of the test program's own under the system's temporary directory.
#pragma once

#include <filesystem>
#include <fstream>
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

// Writes `text` to temp_dir()/name (bytes as given) and returns the path.
inline std::filesystem::path write(const std::string& name, const std::string& text) {
  const std::filesystem::path file = temp_dir() / name;
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace unload::testing
