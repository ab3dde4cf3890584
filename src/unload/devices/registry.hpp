// The kinds of device that can be attached to the circulation, and how each is built from its
// parameters. A device kind's parameters live in data/devices/<kind>.toml (every value with its
// unit and source, like the patient presets); io::load_device() reads and checks that file against
// the kind's parameter specs, then calls its factory. Adding a device = one block + one entry here.
#pragma once

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

struct DeviceType {
  std::string_view kind;       // "impella-cp"
  std::string_view family;     // "micro-axial pump", "balloon pump", "va-ecmo"
  std::string_view data_file;  // file name in data/devices/, e.g. "impella-cp.toml"
  std::span<const DeviceParameterSpec> (*parameter_specs)();
  std::unique_ptr<physio::DeviceBlock> (*make)(const DeviceParameters& p);
};

std::span<const DeviceType> device_types();

// Checks that `p` holds every parameter in `specs` (io::load_device guarantees it for data files;
// factories call this so that a map built any other way fails with a clear error, not a crash).
void require_parameters(std::span<const DeviceParameterSpec> specs, const DeviceParameters& p,
                        std::string_view device);
const DeviceType* find_device_type(std::string_view kind);

}  // namespace unload::devices
