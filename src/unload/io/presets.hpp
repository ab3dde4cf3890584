// Patient presets: data/patients/NAME.toml, where every parameter is written as
//   key = { value = ..., unit = "...", source = "..." }
// A preset may name a base preset ([preset] base = "normal") and give only what differs.
// Every error names the file, the line, the key and what was expected (InputError).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "unload/physio/parameters.hpp"

namespace unload::io {

// The directory that holds patients/ and devices/, the first of:
//   1. $UNLOAD_DATA_DIR, if set and not empty;
//   2. <directory of the running binary>/../share/unload/data, if that directory exists: an
//      installed unload (cmake --install, scripts/setup.sh) reads the data installed with it;
//   3. the data/ directory of the source tree this binary was built from (a binary in the build
//      tree, or a test).
std::filesystem::path data_directory();

// Names of the presets in data_directory()/patients, sorted.
std::vector<std::string> preset_names();

// A preset by name ("normal") or by path to a .toml file.
physio::PatientParameters load_preset(std::string_view name_or_path);

// Sets one parameter by its dotted key, checking the key, range and consistency. `origin` says
// where the value came from in error messages (e.g. "scenario.toml:12").
void apply_override(physio::PatientParameters& patient, std::string_view key, double value,
                    std::string_view origin);

// One override of a set applied together.
struct Override {
  std::string key;
  double value = 0;
  std::string origin;
};
// Sets several parameters at once: each key and range is checked as it is set, the consistency
// between parameters (shares that must sum to 1) once all are set, so that values that only fit
// together can be changed together. Nothing changes if any check fails.
void apply_overrides(physio::PatientParameters& patient, const std::vector<Override>& overrides,
                     std::string_view origin);

// Where each parameter value came from, for reports: key -> source text.
std::vector<std::pair<std::string, std::string>> preset_sources(std::string_view name_or_path);

}  // namespace unload::io
