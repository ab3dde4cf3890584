// Intra-aortic balloon pump (comparator). See balloon_pump.cpp; data in data/devices/iabp.toml.
#pragma once

#include <memory>
#include <span>

#include "unload/devices/registry.hpp"

namespace unload::devices {

std::span<const DeviceParameterSpec> balloon_pump_parameter_specs();
std::unique_ptr<physio::DeviceBlock> make_balloon_pump(const DeviceParameters& p);

}  // namespace unload::devices
