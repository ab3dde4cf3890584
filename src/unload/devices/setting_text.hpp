// Reading device settings written as text ("P8", " 1:2 ", "3500"): the small parsing helpers every
// device block shares, so that settings are read (and refused) the same way everywhere.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "unload/physio/device.hpp"

namespace unload::devices {

// Without leading and trailing white space.
std::string_view trim(std::string_view text);
// Trimmed and in lower case ("  BOOST" -> "boost").
std::string lower_trimmed(std::string_view text);
// The whole text as a finite number, or nullopt.
std::optional<double> parse_number(std::string_view text);
// Shortest text that reads back as v.
std::string format_number(double v);

// A setting given as a plain number within its spec's range; otherwise nullopt with `error`
// naming the setting, the accepted range and unit, and what was given.
std::optional<double> parse_numeric_setting(const physio::SettingSpec& spec, std::string_view text,
                                            std::string& error);

}  // namespace unload::devices
