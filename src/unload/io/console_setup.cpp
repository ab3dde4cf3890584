#include "unload/io/console_setup.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "unload/core/error.hpp"
#include "unload/devices/registry.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/parameter_file.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io {

namespace {

struct SettingSpec {
  std::string_view key, unit;
  double min, max;
  double control::EstimatorSettings::*field = nullptr;
  int control::EstimatorSettings::*count = nullptr;
};

using S = control::EstimatorSettings;
// The console keeps kWindowSamples samples per window (10.24 s at its 100 Hz tick), so windows
// stay within 10 s.
const SettingSpec kSpecs[] = {
    {"flow.window", "s", 0.5, 10, &S::flow_window_s},
    {"flow.minimum_speed", "rpm", 0, 20000, &S::minimum_speed_rpm},
    {"lvedp.upstroke_slope", "mmHg/s", 10, 5000, &S::upstroke_slope_mmHg_s},
    {"lvedp.minimum_pulse", "mmHg", 1, 100, &S::minimum_pulse_mmHg},
    {"lvedp.foot_slope", "mmHg/s", 0, 1000, &S::foot_slope_mmHg_s},
    {"lvedp.foot_search", "s", 0.01, 0.3, &S::foot_search_s},
    {"lvedp.refractory", "s", 0.1, 2, &S::refractory_s},
    {"lvedp.beat_timeout", "s", 0.5, 10, &S::beat_timeout_s},
    {"lvedp.beats", "1", 1, static_cast<double>(control::PumpEstimator::kMaxBeats), nullptr,
     &S::lvedp_beats},
    {"native.ejection_margin", "mmHg", 0, 30, &S::ejection_margin_mmHg},
    {"placement.window", "s", 0.5, 10, &S::pulsatility_window_s},
    {"placement.current_pulsatile", "mA", 0, 1000, &S::current_pulsatile_mA},
    {"placement.current_flat", "mA", 0, 1000, &S::current_flat_mA},
    {"placement.signal_pulsatile", "mmHg", 0, 100, &S::placement_pulsatile_mmHg},
    {"placement.signal_damped", "mmHg", 0, 100, &S::placement_damped_mmHg},
    {"placement.signal_blocked", "mmHg", 0, 100, &S::placement_blocked_mmHg},
    {"placement.signal_unblocked", "mmHg", 0, 100, &S::placement_unblocked_mmHg},
    {"placement.ventricular_variation", "1", 0, 5, &S::ventricular_variation},
    {"placement.aortic_variation", "1", 0, 5, &S::aortic_variation},
    {"placement.persistence", "s", 0, 30, &S::placement_persistence_s},
};

}  // namespace

control::PumpCharacteristic load_pump_characteristic(std::string_view kind) {
  const auto* type = devices::find_device_type(kind);
  if (!type || type->family != "micro-axial pump") {
    throw InputError(
        fmt::format("'{}' is not a micro-axial pump (expected impella-2.5, "
                    "impella-cp or impella-5.5)",
                    kind));
  }
  const devices::DeviceParameters p = device_parameters(kind);
  const auto at = [&](std::string_view key) { return p.find(key)->second; };
  control::PumpCharacteristic c;
  c.kind = std::string(kind);
  const auto file = data_directory() / "devices" / std::string(type->data_file);
  const toml::table doc = detail::parse_toml_file(file, "device data file");
  c.display_name = doc["device"]["name"].value_or(std::string(kind));
  c.curves = pump_curves(at);
  c.highest_level = static_cast<int>(std::lround(at("levels.highest")));
  constexpr std::string_view level_keys[] = {"levels.p1", "levels.p2", "levels.p3",
                                             "levels.p4", "levels.p5", "levels.p6",
                                             "levels.p7", "levels.p8", "levels.p9"};
  c.level_rpm[0] = 0.0;
  for (std::size_t i = 0; i < 9; ++i) c.level_rpm[i + 1] = at(level_keys[i]);
  c.boost_rpm = at("levels.boost");
  return c;
}

control::EstimatorSettings load_estimator_settings(std::uint64_t* data_fingerprint) {
  const auto file = data_directory() / "console" / "impella.toml";
  const toml::table doc = detail::parse_toml_file(file, "console data file");
  if (data_fingerprint) *data_fingerprint = detail::value_fingerprint(doc);
  control::EstimatorSettings s;
  std::vector<bool> seen(std::size(kSpecs), false);
  detail::for_each_entry(file, doc, "console", [&](const std::string& key, const toml::table& e) {
    detail::entry_source(file, key, e);
    for (std::size_t i = 0; i < std::size(kSpecs); ++i) {
      const auto& spec = kSpecs[i];
      if (spec.key != key) continue;
      const double v = detail::entry_number(file, key, e, spec.unit, spec.min, spec.max);
      if (spec.field) {
        s.*spec.field = v;
      } else {
        if (v != std::floor(v)) {
          throw InputError(fmt::format("{}: '{}' must be a whole number, not {}",
                                       detail::location(file, e), key, v));
        }
        s.*spec.count = static_cast<int>(v);
      }
      seen[i] = true;
      return;
    }
    throw InputError(
        fmt::format("{}: unknown console parameter '{}'", detail::location(file, e), key));
  });
  for (std::size_t i = 0; i < std::size(kSpecs); ++i) {
    if (!seen[i]) {
      throw InputError(fmt::format("{}: missing parameter '{}' (expected a value in {})",
                                   file.string(), kSpecs[i].key, kSpecs[i].unit));
    }
  }
  if (!(s.current_flat_mA <= s.current_pulsatile_mA &&
        s.placement_damped_mmHg <= s.placement_pulsatile_mmHg &&
        s.placement_blocked_mmHg <= s.placement_unblocked_mmHg &&
        s.aortic_variation <= s.ventricular_variation)) {
    throw InputError(fmt::format(
        "{}: hysteresis thresholds out of order (expected current_flat <= current_pulsatile, "
        "signal_damped <= signal_pulsatile, signal_blocked <= signal_unblocked, "
        "aortic_variation <= ventricular_variation)",
        file.string()));
  }
  return s;
}

}  // namespace unload::io
