// Veno-arterial ECMO (comparator). See va_ecmo.cpp; parameters in data/devices/va-ecmo.toml.
#pragma once

#include <memory>
#include <span>

#include "unload/devices/registry.hpp"

namespace unload::devices {

std::span<const DeviceParameterSpec> va_ecmo_parameter_specs();
std::unique_ptr<physio::DeviceBlock> make_va_ecmo(const DeviceParameters& p);

}  // namespace unload::devices
