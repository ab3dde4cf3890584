// Test helper: the one clear error that loading a bad scenario gives.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "test_files.hpp"
#include "unload/core/error.hpp"
#include "unload/io/scenario.hpp"

namespace unload::testing {

// Writes `text` as bad.toml and loads it as a scenario: the InputError's message, or "" (and a test
// failure) when it loads.
inline std::string error_of(const std::string& text) {
  const std::filesystem::path file = write("bad.toml", text);
  try {
    io::load_scenario(file);
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError for:\n" << text;
  return "";
}

}  // namespace unload::testing
