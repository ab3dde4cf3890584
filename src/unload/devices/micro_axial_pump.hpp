// Percutaneous micro-axial left-ventricular pump (Impella-type): 2.5, CP and 5.5 family members.
// See micro_axial_pump.cpp for the equations; parameters in data/devices/impella-*.toml.
#pragma once

#include <memory>
#include <span>

#include "unload/devices/registry.hpp"

namespace unload::devices {

std::span<const DeviceParameterSpec> micro_axial_pump_parameter_specs();
std::unique_ptr<physio::DeviceBlock> make_micro_axial_pump(const DeviceParameters& p);

}  // namespace unload::devices
