// Devices from their data files: data/devices/<file>.toml, every value with its unit and source,
// checked against the device kind's parameter specs (devices/registry.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "unload/devices/registry.hpp"
#include "unload/physio/device.hpp"
#include "unload/sim/beat_metrics.hpp"
#include "unload/sim/model.hpp"

namespace unload::io {

// The device of this kind ("impella-cp", "iabp", "va-ecmo"), built from its data file.
std::unique_ptr<physio::DeviceBlock> load_device(std::string_view kind);

// The checked parameter values of a device kind's data file (what load_device gives its factory;
// the pump's console reads its pump's characteristic from them, io/console_setup.hpp).
devices::DeviceParameters device_parameters(std::string_view kind);

// Kinds that can be loaded, in registry order.
std::vector<std::string> device_kinds();

// Where each parameter value of a device came from: key -> source text.
std::vector<std::pair<std::string, std::string>> device_sources(std::string_view kind);

// A device a user asked for, with its settings as written ("level" = "P8"), and where the
// request came from for error messages ("--device impella-cp", "scenario.toml:12").
struct DeviceRequest {
  DeviceRequest() = default;
  DeviceRequest(std::string kind_, std::vector<std::pair<std::string, std::string>> settings_,
                std::string origin_)
      : kind(std::move(kind_)), settings(std::move(settings_)), origin(std::move(origin_)) {}

  std::string kind;
  std::vector<std::pair<std::string, std::string>> settings;
  std::string origin;
  // Where the kind and each setting were written, when that is more precise than `origin` (a
  // scenario file's line and key: "scenario.toml:9: key 'devices[0].level'"); empty: `origin`.
  std::string kind_origin;
  std::vector<std::string> setting_origins;  // empty, or one per setting
};

// Devices built from requests, with their starting settings.
struct DeviceSetup {
  std::vector<std::shared_ptr<const physio::DeviceBlock>> blocks;
  std::vector<physio::DeviceSettings> settings;
  // Per device: whether the request set its speed (a performance level): a console then starts in
  // P-level mode at it, else in AUTO.
  std::vector<bool> speed_given;
};

// Builds the requested devices (at most one of each kind) and applies their settings. Setting
// names are the device's own (see its SettingSpec list) or the short forms "level" and "rpm"
// (speed_rpm) and "flow" (target_flow_L_min).
DeviceSetup setup_devices(const std::vector<DeviceRequest>& requests);

// One setting of a device from text: its slot and value. Errors name `origin`, the setting and
// what the device accepts.
std::pair<std::size_t, double> resolve_setting(const physio::DeviceBlock& device,
                                               std::string_view name, std::string_view text,
                                               std::string_view origin);

// Notes on what a device was set to do and did not (one sentence each, for a run's notes): a
// VA-ECMO whose mean flow over `means` (device readings averaged over beats, keyed as
// model.device_metrics()) stayed more than 10% under its target flow names the flow reached, the
// pump's speed and its highest speed, and the drainage pressure (the venous return limits it).
std::vector<std::string> device_shortfall_notes(const sim::Model& model,
                                                const std::vector<physio::DeviceSettings>& settings,
                                                const sim::BeatMetrics& means);

}  // namespace unload::io
