// The micro-axial pump's console from its data files: data/console/operation.toml (modes, alarm
// rules, regular checks, each value with its source) and the pump's own data file (level speeds,
// the characteristic the console estimates flow with). Every error names the file, the line, the
// key and what was expected.
#pragma once

#include <memory>
#include <string_view>

#include "unload/control/console_config.hpp"
#include "unload/control/impella_console.hpp"
#include "unload/physio/device.hpp"

namespace unload::io {

// The console configuration for a micro-axial pump of this kind ("impella-cp").
control::ConsoleConfig load_console_config(std::string_view device_kind);

// A console for `device` (a micro-axial pump) starting with its settings `start`; `level_given`:
// the operator chose the level (P-level mode), else the console starts in AUTO.
std::unique_ptr<control::ImpellaConsole> make_pump_console(const physio::DeviceBlock& device,
                                                           const physio::DeviceSettings& start,
                                                           bool level_given);

}  // namespace unload::io
