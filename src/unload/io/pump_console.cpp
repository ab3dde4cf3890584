#include "unload/io/pump_console.hpp"

#include <fmt/format.h>

#include <string>

#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"
#include "unload/io/console_setup.hpp"
#include "unload/io/devices.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/parameter_file.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io {

namespace fs = std::filesystem;

namespace {

const toml::table& table_at(const fs::path& file, const toml::table& doc, std::string_view key) {
  const auto* t = doc.get_as<toml::table>(key);
  if (!t) {
    throw InputError(fmt::format("{}: missing table [{}]", file.string(), key));
  }
  return *t;
}

double number(const fs::path& file, const toml::table& table, std::string_view table_name,
              std::string_view key, std::string_view unit, double min, double max) {
  const std::string dotted = fmt::format("{}.{}", table_name, key);
  const auto* node = table.get(key);
  const auto* e = node ? node->as_table() : nullptr;
  if (!e) {
    // Present but not a table (a bare number, a string) is named as such, with where it is.
    throw InputError(
        fmt::format("{}: {} '{}' (expected {{ value, unit = \"{}\", source }})",
                    detail::location(file, node ? *node : static_cast<const toml::node&>(table)),
                    node ? "not a { value, unit, source } table:" : "missing key", dotted, unit));
  }
  detail::entry_source(file, dotted, *e);
  return detail::entry_number(file, dotted, *e, unit, min, max);
}

std::string text(const fs::path& file, const toml::table& table, std::string_view table_name,
                 std::string_view key) {
  const auto* v = table.get(key);
  if (!v || !v->is_string() || v->value<std::string>()->empty()) {
    throw InputError(fmt::format(
        "{}: key '{}.{}': expected a non-empty string",
        detail::location(file, v ? *v : static_cast<const toml::node&>(table)), table_name, key));
  }
  return *v->value<std::string>();
}

}  // namespace

control::ConsoleConfig load_console_config(std::string_view device_kind) {
  const fs::path file = data_directory() / "console" / "operation.toml";
  const toml::table doc = detail::parse_toml_file(file, "console data file");
  control::ConsoleConfig c;

  c.pump = load_pump_characteristic(device_kind);
  std::uint64_t estimator_values = 0;
  c.estimator = load_estimator_settings(&estimator_values);
  // The console's own data (the pump's file is in the Model's fingerprint already).
  c.data_fingerprint =
      Fingerprint{}.add(detail::value_fingerprint(doc)).add(estimator_values).value();
  c.rule_interval_s =
      number(file, table_at(file, doc, "console"), "console", "rule_interval", "s", 0.01, 0.25);
  const auto& modes = table_at(file, doc, "modes");
  const char* auto_key = c.pump.kind == "impella-2.5"  ? "auto_highest_level_2_5"
                         : c.pump.kind == "impella-cp" ? "auto_highest_level_cp"
                                                       : "auto_highest_level_5_5";
  c.auto_highest_level = static_cast<int>(number(file, modes, "modes", auto_key, "1", 2, 9));
  if (c.auto_highest_level > c.pump.highest_level) {
    throw InputError(fmt::format("{}: modes.{} = {} is above {}'s highest level P-{}",
                                 file.string(), auto_key, c.auto_highest_level, device_kind,
                                 c.pump.highest_level));
  }
  c.lowest_clinical_level =
      static_cast<int>(number(file, modes, "modes", "lowest_clinical_level", "1", 1, 8));
  c.auto_ramp_s = number(file, modes, "modes", "auto_ramp", "s", 0, 600);
  c.placement_settle_s = number(file, modes, "modes", "placement_settle", "s", 0, 600);
  c.auto_ramp_step_s = number(file, modes, "modes", "auto_ramp_step", "s", 0.01, 60);
  c.auto_limit_s = 3600.0 * number(file, modes, "modes", "auto_limit", "h", 0, 1000);
  c.boost_limit_s = 60.0 * number(file, modes, "modes", "boost_limit", "min", 0, 600);
  c.suction_step_s = number(file, modes, "modes", "suction_step", "s", 0.01, 600);
  c.suction_restore_s = number(file, modes, "modes", "suction_restore", "s", 0.01, 3600);

  const auto& restart = table_at(file, doc, "restart");
  c.stop_speed_fraction = number(file, restart, "restart", "stop_speed_fraction", "1", 0.01, 0.99);
  c.restart_attempt_s = number(file, restart, "restart", "attempt", "s", 0.1, 600);
  c.restart_wait_s = 60.0 * number(file, restart, "restart", "wait", "min", 0, 60);
  c.restart_speed_fraction = number(file, restart, "restart", "speed_fraction", "1", 0.01, 1);

  const auto& wean = table_at(file, doc, "weaning");
  c.wean_step_levels = static_cast<int>(number(file, wean, "weaning", "step_levels", "1", 1, 9));
  c.wean_interval_s = 60.0 * number(file, wean, "weaning", "interval", "min", 0, 1440);
  c.wean_map_min_mmHg = number(file, wean, "weaning", "map_min", "mmHg", 0, 200);
  c.wean_cpo_min_W = number(file, wean, "weaning", "cpo_min", "W", 0, 5);

  const auto& purge = table_at(file, doc, "purge");
  c.purge_pressure_high_mmHg = number(file, purge, "purge", "pressure_high", "mmHg", 0, 5000);
  c.purge_pressure_low_mmHg = number(file, purge, "purge", "pressure_low", "mmHg", 0, 5000);
  c.purge_flow_blocked_mL_h = number(file, purge, "purge", "flow_blocked", "mL/h", 0, 50);
  c.purge_time_constant_s = number(file, purge, "purge", "time_constant", "s", 0, 600);

  const auto& sensors = table_at(file, doc, "sensors");
  c.current_noise_step_mA = number(file, sensors, "sensors", "current_noise_step", "mA", 0, 1000);
  c.current_noise_fraction = number(file, sensors, "sensors", "current_noise_fraction", "1", 0, 1);
  c.current_noise_time_constant_s =
      number(file, sensors, "sensors", "current_noise_time_constant", "s", 0.01, 600);
  c.current_max_mA = number(file, sensors, "sensors", "current_max", "mA", 1, 100000);

  const auto& suction = table_at(file, doc, "suction");
  c.suction_lv_pressure_mmHg = number(file, suction, "suction", "lv_pressure", "mmHg", -200, 100);
  c.suction_window_s = number(file, suction, "suction", "window", "s", 0.1, 10);

  const auto& alarms = table_at(file, doc, "alarms");
  c.mute_s = 60.0 * number(file, alarms, "alarms", "mute", "min", 0, 60);
  for (const char* key : control::kAlarmKeys) {
    const std::string name = fmt::format("alarms.{}", key);
    const auto& a = table_at(file, alarms, key);
    control::AlarmSpec spec;
    spec.name = key;
    spec.text = text(file, a, name, "text");
    const std::string priority = text(file, a, name, "priority");
    if (!control::parse_priority(priority, spec.priority)) {
      throw InputError(
          fmt::format("{}: key '{}.priority': expected \"critical\", \"serious\" or "
                      "\"advisory\", got \"{}\"",
                      detail::location(file, *a.get("priority")), name, priority));
    }
    spec.delay_s = number(file, a, name, "delay", "s", 0, 600);
    spec.clear_s = number(file, a, name, "clear", "s", 0, 600);
    c.alarms.push_back(std::move(spec));
  }
  for (const auto& [key, node] : alarms) {
    if (key.str() == "mute") continue;
    bool known = false;
    for (const char* k : control::kAlarmKeys) known = known || key.str() == k;
    if (!known) {
      throw InputError(
          fmt::format("{}: unknown alarm '{}' (the console's alarms are fixed: see "
                      "control/console_config.hpp)",
                      detail::location(file, node), key.str()));
    }
  }

  const auto& checks = table_at(file, doc, "checks");
  for (const auto& [key, node] : checks) {
    const auto* t = node.as_table();
    const std::string name = fmt::format("checks.{}", key.str());
    if (!t)
      throw InputError(fmt::format("{}: '{}' must be a table", detail::location(file, node), name));
    control::CheckSpec check;
    check.name = std::string(key.str());
    check.text = text(file, *t, name, "text");
    check.interval_s = 3600.0 * number(file, *t, name, "interval", "h", 0.01, 1000);
    c.checks.push_back(std::move(check));
  }
  if (c.checks.size() > 16) {
    throw InputError(fmt::format("{}: at most 16 regular checks", file.string()));
  }
  return c;
}

std::unique_ptr<control::ImpellaConsole> make_pump_console(const physio::DeviceBlock& device,
                                                           const physio::DeviceSettings& start,
                                                           bool level_given) {
  const auto speed = physio::find_setting(device, "speed_rpm");
  if (!speed) throw InputError(fmt::format("{} has no console", device.kind()));
  return std::make_unique<control::ImpellaConsole>(load_console_config(device.kind()),
                                                   start.value[*speed], level_given);
}

}  // namespace unload::io
