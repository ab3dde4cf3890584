// What the pump's console is given at start: its pump's bench characteristic (from the same data
// file the simulated pump is built from, data/devices/impella-*.toml) and its own estimation
// parameters (data/console/impella.toml, every value with its unit and its source or reasoning).
#pragma once

#include <cstdint>
#include <string_view>

#include "unload/control/pump_estimator.hpp"

namespace unload::io {

// The characteristic of a micro-axial pump kind ("impella-2.5", "impella-cp", "impella-5.5").
// InputError for another kind or a bad data file.
control::PumpCharacteristic load_pump_characteristic(std::string_view kind);

// The console's estimation parameters (data/console/impella.toml). InputError, naming the file,
// line and key, for a missing, unknown or out-of-range value. `data_fingerprint`, when given,
// receives the file's value_fingerprint (input_file.hpp).
control::EstimatorSettings load_estimator_settings(std::uint64_t* data_fingerprint = nullptr);

}  // namespace unload::io
