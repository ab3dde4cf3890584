#include "unload/io/devices.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <map>

#include "unload/core/error.hpp"
#include "unload/devices/registry.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/parameter_file.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io {

namespace {

struct LoadedDevice {
  devices::DeviceParameters values;
  std::map<std::string, std::string> sources;
};

const devices::DeviceType& type_of(std::string_view kind) {
  if (const auto* t = devices::find_device_type(kind)) return *t;
  std::string known;
  for (const auto& k : device_kinds()) known += (known.empty() ? "" : ", ") + k;
  throw InputError(fmt::format("unknown device '{}' (expected one of: {})", kind, known));
}

LoadedDevice read(const devices::DeviceType& type) {
  const auto file = data_directory() / "devices" / std::string(type.data_file);
  const toml::table doc = detail::parse_toml_file(file, "device data file");
  const auto specs = type.parameter_specs();
  LoadedDevice out;
  detail::for_each_entry(file, doc, "device", [&](const std::string& key, const toml::table& e) {
    const std::string source = detail::entry_source(file, key, e);
    const devices::DeviceParameterSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.key == key) spec = &s;
    }
    if (!spec) {
      throw InputError(fmt::format("{}: unknown parameter '{}' for a {}", detail::location(file, e),
                                   key, type.family));
    }
    out.values[key] = detail::entry_number(file, key, e, spec->unit, spec->min, spec->max);
    out.sources[key] = source;
  });
  for (const auto& s : specs) {
    if (!out.values.count(s.key)) {
      throw InputError(fmt::format("{}: missing parameter '{}' (expected a value in {})",
                                   file.string(), s.key, s.unit));
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> device_kinds() {
  std::vector<std::string> kinds;
  for (const auto& t : devices::device_types()) kinds.emplace_back(t.kind);
  return kinds;
}

devices::DeviceParameters device_parameters(std::string_view kind) {
  return read(type_of(kind)).values;
}

std::unique_ptr<physio::DeviceBlock> load_device(std::string_view kind) {
  const auto& type = type_of(kind);
  return type.make(read(type).values);
}

std::pair<std::size_t, double> resolve_setting(const physio::DeviceBlock& device,
                                               std::string_view name, std::string_view text,
                                               std::string_view origin) {
  const std::string_view canonical = devices::setting_for_word(type_of(device.kind()), name);
  const auto slot = physio::find_setting(device, canonical);
  if (!slot) {
    // The settings, then the words that stand for them (`level` for a pump's speed); a word that
    // is also a setting's name (the balloon pump's `ratio`) is listed once.
    std::vector<std::string_view> names;
    for (const auto& s : device.setting_specs()) names.push_back(s.name);
    for (const auto& w : type_of(device.kind()).words) {
      if (std::find(names.begin(), names.end(), w.word) == names.end()) names.push_back(w.word);
    }
    const std::string known = fmt::format("{}", fmt::join(names, ", "));
    throw InputError(fmt::format("{}: {} has no setting '{}' (expected one of: {})", origin,
                                 device.kind(), name, known));
  }
  std::string error;
  const auto value = device.parse_setting(canonical, text, error);
  const auto& spec = device.setting_specs()[*slot];
  // A word that names a positive quantity (VA-ECMO's target flow): its setting's 0 means
  // something else (speed mode at the default speed), which `va-ecmo:0` or `--flow 0` must not
  // silently give; every bad value of it gets the word's own range.
  const devices::SettingWord* word = devices::find_word(type_of(device.kind()), name);
  if (word && word->above_zero && !(value && *value > 0.0 && *value <= spec.max)) {
    throw InputError(fmt::format(
        "{}: {} {} '{}': expected more than 0 up to {} {}{}", origin, device.kind(), name, text,
        spec.max, spec.unit,
        value && *value == 0.0
            ? fmt::format(" (0 is not a target; the setting {} = 0 switches to speed mode)",
                          spec.name)
            : std::string()));
  }
  if (!value) {
    throw InputError(fmt::format("{}: {} {} '{}': {}", origin, device.kind(), name, text, error));
  }
  if (!(*value >= spec.min && *value <= spec.max)) {
    throw InputError(fmt::format("{}: {} {} '{}': expected {} to {} {}", origin, device.kind(),
                                 name, text, spec.min, spec.max, spec.unit));
  }
  return {*slot, *value};
}

DeviceSetup setup_devices(const std::vector<DeviceRequest>& requests) {
  DeviceSetup setup;
  for (const auto& r : requests) {
    const auto* type = devices::find_device_type(r.kind);
    for (const auto& b : setup.blocks) {
      const auto& other = type_of(b->kind());
      if (type && other.family == type->family) {
        throw InputError(fmt::format("{}: {} cannot be attached with {}: {}", r.origin, r.kind,
                                     b->kind(), type->one_per_patient));
      }
    }
    std::shared_ptr<const physio::DeviceBlock> block;
    try {
      block = load_device(r.kind);
    } catch (const InputError& e) {
      throw InputError(
          fmt::format("{}: {}", r.kind_origin.empty() ? r.origin : r.kind_origin, e.what()));
    }
    physio::DeviceSettings settings = block->default_settings();
    bool speed_given = false;
    // Which request set each slot: a setting given twice (`--level P8 --level P4`, or `level` and
    // `speed_rpm` in one [[devices]] table) is refused rather than letting the last one win.
    std::vector<std::size_t> set_by(block->setting_specs().size(), r.settings.size());
    for (std::size_t i = 0; i < r.settings.size(); ++i) {
      const auto& [name, text] = r.settings[i];
      const std::string& origin = i < r.setting_origins.size() && !r.setting_origins[i].empty()
                                      ? r.setting_origins[i]
                                      : r.origin;
      const auto [slot, value] = resolve_setting(*block, name, text, origin);
      if (set_by[slot] < r.settings.size()) {
        const auto& [first_name, first_text] = r.settings[set_by[slot]];
        throw InputError(fmt::format(
            "{}: {} {} sets {}'s {} again ({} {} set it before): give each setting once", origin,
            name, text, r.kind, block->setting_specs()[slot].name, first_name, first_text));
      }
      set_by[slot] = i;
      settings.value[slot] = value;
      speed_given = speed_given || block->setting_specs()[slot].command == CommandKind::speed_rpm;
    }
    setup.blocks.push_back(std::move(block));
    setup.settings.push_back(settings);
    setup.speed_given.push_back(speed_given);
  }
  return setup;
}

std::vector<std::pair<std::string, std::string>> device_sources(std::string_view kind) {
  const auto loaded = read(type_of(kind));
  return {loaded.sources.begin(), loaded.sources.end()};
}

std::vector<std::string> device_shortfall_notes(const sim::Model& model,
                                                const std::vector<physio::DeviceSettings>& settings,
                                                const sim::BeatMetrics& means) {
  std::vector<std::string> notes;
  const auto devices = model.devices();
  const auto metrics = model.device_metrics();
  const auto metric = [&](std::string_view kind, std::string_view key) {
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      if (metrics[i].device == kind && metrics[i].key.ends_with(key)) return means.device[i];
    }
    return std::numeric_limits<double>::quiet_NaN();
  };
  for (std::size_t k = 0; k < devices.size() && k < settings.size(); ++k) {
    const auto& block = *devices[k].block;
    if (block.kind() != "va-ecmo") continue;
    const auto target_slot = physio::find_setting(block, "target_flow_L_min");
    const auto speed_slot = physio::find_setting(block, "speed_rpm");
    if (!target_slot || !speed_slot) continue;
    const double target = settings[k].value[*target_slot];
    const double flow = metric(block.kind(), "ecmo_flow_L_min");
    if (!(target > 0) || !(flow < 0.9 * target)) continue;
    const double speed = metric(block.kind(), "ecmo_speed_rpm");
    const double highest = block.setting_specs()[*speed_slot].max;
    notes.push_back(fmt::format(
        "VA-ECMO did not reach its target flow of {:g} L/min: {:.2f} L/min at {:.0f} rpm (its "
        "highest speed {:.0f} rpm), drainage pressure {:.0f} mmHg: the venous return limits the "
        "flow at this volume",
        target, flow, speed, highest, metric(block.kind(), "ecmo_drainage_pressure_mmHg")));
  }
  return notes;
}

}  // namespace unload::io
