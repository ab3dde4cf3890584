// Recorded sensor signals of a micro-axial pump, for `unload console replay`: a CSV file with a
// header line, a time column `t_s` (seconds, strictly increasing) and the pump's sensor columns,
// named as in waveforms.csv (`impella-cp.motor_current_mA`) or bare (`motor_current_mA`):
// placement_signal_mmHg, motor_current_mA, motor_speed_rpm, purge_pressure_mmHg, purge_flow_mL_h.
// Other columns are ignored, so a run's waveforms.csv replays as it is. Every error names the
// file, the line and the column, and what was expected.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "unload/core/signals.hpp"

namespace unload::io {

struct SignalRecording {
  std::string device_kind;          // from the column prefix, or the one asked for
  std::vector<SignalFrame> frames;  // one per row, in time order (device 0)
};

// The pump sensor signals a replay needs (in this order in messages).
inline constexpr Signal kPumpSensorSignals[] = {
    Signal::placement_signal_mmHg, Signal::motor_current_mA, Signal::motor_speed_rpm,
    Signal::purge_pressure_mmHg, Signal::purge_flow_mL_h};

// Reads `file`. `device_kind`: which pump's columns to take when the file holds several prefixes
// (empty: the one prefix found, or bare names). Throws InputError.
SignalRecording read_signal_file(const std::filesystem::path& file,
                                 const std::string& device_kind = "");

}  // namespace unload::io
