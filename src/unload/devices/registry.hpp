// The kinds of device that can be attached to the circulation, and how each is built from its
// parameters. A device kind's parameters live in data/devices/<kind>.toml (every value with its
// unit and source, like the patient presets); io::load_device() reads and checks that file against
// the kind's parameter specs, then calls its factory. Adding a device = one block + one entry here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "unload/physio/device.hpp"

namespace unload::devices {

struct DeviceParameterSpec {
  std::string_view key;   // as written in the data file, e.g. "hydraulics.pressure_coefficient"
  std::string_view unit;  // as written in the data file, e.g. "mmHg/krpm2"
  double min = 0, max = 0;
};

// Checked parameter values by key.
using DeviceParameters = std::map<std::string, double, std::less<>>;

// A short word a user may give instead of a setting's full name: `--WORD VALUE` on the command
// line (after --device KIND), `WORD = VALUE` in a scenario's [[devices]] and [[events]] tables.
struct SettingWord {
  std::string_view word;     // "level"
  std::string_view setting;  // the setting it names, "speed_rpm"
  std::string_view help;     // what it accepts, for --help and `unload list`
  // The word names a quantity that must be above 0 (VA-ECMO's `flow`: a target flow, while the
  // setting's 0 means speed mode, which the word does not say).
  bool above_zero;
};

struct DeviceType {
  std::string_view kind;         // "impella-cp"
  std::string_view family;       // "micro-axial pump", "balloon pump", "va-ecmo"
  std::string_view description;  // what it is, in words
  std::string_view data_file;    // file name in data/devices/, e.g. "impella-cp.toml"
  std::span<const DeviceParameterSpec> (*parameter_specs)();
  std::unique_ptr<physio::DeviceBlock> (*make)(const DeviceParameters& p);
  std::span<const SettingWord> words;  // short words for its settings
  // Why two devices of this family cannot be attached together (one patient has one of each).
  std::string_view one_per_patient;
};

std::span<const DeviceType> device_types();

// Fingerprint of a set of parameter values (every key and value), for DeviceBlock's constructor.
std::uint64_t parameters_fingerprint(const DeviceParameters& p);

// Checks that `p` holds every parameter in `specs` (io::load_device guarantees it for data files;
// factories call this so that a map built any other way fails with a clear error, not a crash).
void require_parameters(std::span<const DeviceParameterSpec> specs, const DeviceParameters& p,
                        std::string_view device);
const DeviceType* find_device_type(std::string_view kind);
// The word of this device type spelled `name` ("level"), or nullptr when it is no word of the type.
const SettingWord* find_word(const DeviceType& type, std::string_view name);
// The setting a short word or a full setting name stands for on this device type ("level" ->
// "speed_rpm"); the name itself when it is no word of the type.
std::string_view setting_for_word(const DeviceType& type, std::string_view word);

}  // namespace unload::devices
