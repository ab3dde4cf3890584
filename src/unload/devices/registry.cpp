#include "unload/devices/registry.hpp"

#include <string>

#include "unload/core/error.hpp"
#include "unload/devices/balloon_pump.hpp"
#include "unload/devices/micro_axial_pump.hpp"
#include "unload/devices/va_ecmo.hpp"

namespace unload::devices {

namespace {
constexpr DeviceType kTypes[] = {
    {"impella-2.5", "micro-axial pump", "impella-2.5.toml", &micro_axial_pump_parameter_specs,
     &make_micro_axial_pump},
    {"impella-cp", "micro-axial pump", "impella-cp.toml", &micro_axial_pump_parameter_specs,
     &make_micro_axial_pump},
    {"impella-5.5", "micro-axial pump", "impella-5.5.toml", &micro_axial_pump_parameter_specs,
     &make_micro_axial_pump},
    {"iabp", "balloon pump", "iabp.toml", &balloon_pump_parameter_specs, &make_balloon_pump},
    {"va-ecmo", "va-ecmo", "va-ecmo.toml", &va_ecmo_parameter_specs, &make_va_ecmo},
};
}  // namespace

std::span<const DeviceType> device_types() { return kTypes; }

void require_parameters(std::span<const DeviceParameterSpec> specs, const DeviceParameters& p,
                        std::string_view device) {
  for (const auto& spec : specs) {
    if (!p.count(spec.key)) {
      throw InputError(std::string(device) + ": missing parameter '" + std::string(spec.key) + "'");
    }
  }
}

const DeviceType* find_device_type(std::string_view kind) {
  for (const auto& t : kTypes) {
    if (t.kind == kind) return &t;
  }
  return nullptr;
}

}  // namespace unload::devices
