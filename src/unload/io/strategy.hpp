// Support strategies for a comparison (`unload compare --strategies ...`): which devices a
// patient is given, written as on the command line.
//
//   none                        no device
//   KIND                        one device at its default settings (a micro-axial pump: AUTO)
//   KIND:VALUE                  one device with its main setting: a micro-axial pump's level
//                               (impella-cp:P8), a balloon pump's ratio (iabp:1:1), VA-ECMO's
//                               target flow in L/min (va-ecmo:3.5)
//   A+B                         two devices together (va-ecmo:3.5+impella-cp:P4)
//
// Strategies are separated by commas. Each is checked when it is parsed (known kind, accepted
// value, devices that may go together, no strategy twice), so that a bad one stops a comparison
// before anything runs: InputError naming the strategy and what was expected.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "unload/io/devices.hpp"

namespace unload::io {

struct Strategy {
  std::string text;                    // as written: "impella-cp:P8"
  std::vector<DeviceRequest> devices;  // empty for "none"
  DeviceSetup setup;                   // the devices built and set (checked)
};

// The main setting a strategy's VALUE sets for a device kind ("level", "ratio", "flow"); empty
// when the kind has none.
std::string_view strategy_setting(std::string_view device_kind);

// One strategy. `origin` names where it was written, for messages ("--strategies").
Strategy parse_strategy(std::string_view text, std::string_view origin = "--strategies");
// A comma-separated list of strategies (at least one, none twice).
std::vector<Strategy> parse_strategies(std::string_view list,
                                       std::string_view origin = "--strategies");

// The main strategies of the comparison a heart team would make for high-risk PCI (the README's
// first command): no support, each micro-axial pump, a balloon pump, VA-ECMO alone and vented.
inline constexpr std::string_view kDefaultStrategies =
    "none,impella-2.5:P8,impella-cp:P8,impella-5.5:P6,iabp:1:1,va-ecmo:3.5,"
    "va-ecmo:3.5+impella-cp:P4";

}  // namespace unload::io
