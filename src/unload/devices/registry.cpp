#include "unload/devices/registry.hpp"

#include <string>

#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"
#include "unload/devices/balloon_pump.hpp"
#include "unload/devices/micro_axial_pump.hpp"
#include "unload/devices/va_ecmo.hpp"

namespace unload::devices {

namespace {
constexpr SettingWord kPumpWords[] = {
    {"level", "speed_rpm", "performance level P0..P8 (P9 on the CP and 5.5), BOOST, or rpm", false},
    {"rpm", "speed_rpm", "rotor speed in rpm", false},
};
constexpr SettingWord kBalloonWords[] = {
    {"ratio", "ratio", "assist ratio 1:1, 1:2 or 1:3", false},
};
constexpr SettingWord kEcmoWords[] = {
    {"rpm", "speed_rpm", "pump speed in rpm (speed mode)", false},
    {"flow", "target_flow_L_min",
     "target flow in L/min, above 0 (flow mode: the console adjusts speed)", true},
};
constexpr std::string_view kOnePump =
    "two micro-axial pumps cannot both lie across the aortic valve";

constexpr DeviceType kTypes[] = {
    {"impella-2.5", "micro-axial pump",
     "percutaneous micro-axial LV pump, 2.5 L/min class (12 Fr, femoral)", "impella-2.5.toml",
     &micro_axial_pump_parameter_specs, &make_micro_axial_pump, kPumpWords, kOnePump},
    {"impella-cp", "micro-axial pump",
     "percutaneous micro-axial LV pump, 3.5-4 L/min class (14 Fr, femoral)", "impella-cp.toml",
     &micro_axial_pump_parameter_specs, &make_micro_axial_pump, kPumpWords, kOnePump},
    {"impella-5.5", "micro-axial pump",
     "surgically placed micro-axial LV pump, 5.5 L/min class (axillary)", "impella-5.5.toml",
     &micro_axial_pump_parameter_specs, &make_micro_axial_pump, kPumpWords, kOnePump},
    {"iabp", "balloon pump", "intra-aortic balloon pump in the descending aorta", "iabp.toml",
     &balloon_pump_parameter_specs, &make_balloon_pump, kBalloonWords,
     "one balloon fills the descending aorta"},
    {"va-ecmo", "va-ecmo",
     "veno-arterial ECMO: right atrial drainage, return into the descending aorta", "va-ecmo.toml",
     &va_ecmo_parameter_specs, &make_va_ecmo, kEcmoWords,
     "one circuit drains the right atrium and returns into the aorta"},
};
}  // namespace

std::span<const DeviceType> device_types() { return kTypes; }

std::uint64_t parameters_fingerprint(const DeviceParameters& p) {
  Fingerprint f;
  for (const auto& [key, value] : p) f.add(key).add(value);  // std::map: sorted by key
  return f.value();
}

void require_parameters(std::span<const DeviceParameterSpec> specs, const DeviceParameters& p,
                        std::string_view device) {
  for (const auto& spec : specs) {
    if (!p.count(spec.key)) {
      throw InputError(std::string(device) + ": missing parameter '" + std::string(spec.key) + "'");
    }
  }
}

const SettingWord* find_word(const DeviceType& type, std::string_view name) {
  for (const auto& w : type.words) {
    if (w.word == name) return &w;
  }
  return nullptr;
}

std::string_view setting_for_word(const DeviceType& type, std::string_view word) {
  const SettingWord* w = find_word(type, word);
  return w ? w->setting : word;
}

const DeviceType* find_device_type(std::string_view kind) {
  for (const auto& t : kTypes) {
    if (t.kind == kind) return &t;
  }
  return nullptr;
}

}  // namespace unload::devices
