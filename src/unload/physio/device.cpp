#include "unload/physio/device.hpp"

namespace unload::physio {

std::optional<std::size_t> find_setting(const DeviceBlock& d, std::string_view name) {
  const auto specs = d.setting_specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> find_reading(const DeviceBlock& d, std::string_view name) {
  const auto specs = d.reading_specs();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace unload::physio
