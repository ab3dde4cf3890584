#include "unload/io/scenario.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "unload/core/error.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io {

namespace {

namespace fs = std::filesystem;
using detail::describe;
using detail::location;

// Everything a scenario error needs to say where it is.
struct Where {
  const fs::path& file;
  toml::source_region region;
  std::string key;
};

[[noreturn]] void fail(const Where& at, std::string_view problem) {
  throw InputError(fmt::format("{}: key '{}': {}", location(at.file, at.region), at.key, problem));
}

Where where(const fs::path& file, const toml::node& node, std::string key) {
  return {file, node.source(), std::move(key)};
}

std::string joined(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto n : names) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

toml::table parse_file(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw InputError(fmt::format("{}: cannot read the scenario file: no such file", file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    throw InputError(
        fmt::format("{}: cannot read the scenario file: {}", file.string(), std::strerror(errno)));
  }
  try {
    return toml::parse(text.str(), file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(
        fmt::format("{}: not valid TOML: {}", location(file, e.source()), e.description()));
  }
}

// A number in (0, max], e.g. the duration.
double positive_number(const Where& at, const toml::node& node, double max, std::string_view unit) {
  const auto expected =
      fmt::format("expected a number of {} greater than 0 and at most {}", unit, max);
  if (!node.is_number()) fail(at, fmt::format("{}, got {}", expected, describe(node)));
  const double v = *node.value<double>();
  if (!(v > 0 && v <= max)) fail(at, fmt::format("{}, got {}", expected, v));
  return v;
}

std::string text(const Where& at, const toml::node& node) {
  if (!node.is_string()) fail(at, fmt::format("expected a string, got {}", describe(node)));
  return *node.value<std::string>();
}

// A preset's name or path: a path when it looks like one (as io::load_preset decides), and then
// relative to the scenario file so that a scenario and its patient can travel together.
std::string resolve_patient(const fs::path& scenario_file, const std::string& reference) {
  const fs::path p(reference);
  const bool is_path = p.extension() == ".toml" || reference.find('/') != std::string::npos;
  if (!is_path || p.is_absolute()) return reference;
  return (scenario_file.parent_path() / p).lexically_normal().string();
}

void read_scenario_table(const fs::path& file, const toml::table& table, Scenario& s) {
  bool has_patient = false, has_duration = false;
  for (const auto& [k, node] : table) {
    const Where at = where(file, node, fmt::format("scenario.{}", k.str()));
    if (k == "patient") {
      s.patient_reference = text(at, node);
      has_patient = true;
    } else if (k == "duration") {
      s.duration_s = positive_number(at, node, kMaxScenarioDuration_s, "seconds");
      has_duration = true;
    } else if (k == "output_rate") {
      s.output_rate_Hz = positive_number(at, node, kMaxOutputRate_Hz, "samples per second");
    } else if (k == "description") {
      s.description = text(at, node);
    } else {
      fail({file, k.source(), at.key},
           fmt::format("unknown key (expected one of: {})",
                       joined({"patient", "duration", "output_rate", "description"})));
    }
  }
  if (!has_patient) {
    fail(where(file, table, "scenario.patient"),
         "missing (expected a preset name such as \"normal\" or a path to a preset .toml)");
  }
  if (!has_duration) {
    fail(where(file, table, "scenario.duration"),
         fmt::format("missing (expected the simulated time in seconds, at most {})",
                     kMaxScenarioDuration_s));
  }
}

void load_patient(const fs::path& file, const toml::table& table, Scenario& s) {
  try {
    s.patient = load_preset(resolve_patient(file, s.patient_reference));
  } catch (const InputError& e) {
    // One message: where the scenario names the patient, then what is wrong with it.
    fail(where(file, *table.get("patient"), "scenario.patient"), e.what());
  }
}

// Overrides may be written as dotted keys or as nested tables; both flatten to the preset's keys.
void collect_overrides(const fs::path& file, const std::string& prefix, const toml::table& table,
                       std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : fmt::format("{}.{}", prefix, k.str());
    if (const auto* t = node.as_table()) {
      if (t->contains("value")) {
        fail(where(file, node, key),
             "expected the number alone (an override is `key = number`, without unit or source)");
      }
      collect_overrides(file, key, *t, out);
    } else {
      out.emplace_back(std::move(key), &node);
    }
  }
}

constexpr std::string_view kBaroreflexEnabled = "baroreflex.enabled";

double override_value(const Where& at, const toml::node& node) {
  if (at.key == kBaroreflexEnabled) {
    if (!node.is_boolean()) fail(at, fmt::format("expected true or false, got {}", describe(node)));
    return *node.value<bool>() ? 1.0 : 0.0;
  }
  if (!node.is_number()) {
    fail(at, fmt::format("expected a number (true or false only for {}), got {}",
                         kBaroreflexEnabled, describe(node)));
  }
  return *node.value<double>();
}

void apply_overrides(const fs::path& file, const toml::table& table, Scenario& s) {
  std::vector<std::pair<std::string, const toml::node*>> entries;
  collect_overrides(file, "", table, entries);
  std::vector<Override> batch;
  for (const auto& [key, node] : entries) {
    const Where at = where(file, *node, key);
    const double value = override_value(at, *node);
    batch.push_back({key, value, location(file, node->source())});
    s.overrides.push_back({key, value});
  }
  // Together: values that only fit together (territory shares) can be changed together.
  apply_overrides(s.patient, batch, location(file, table.source()) + ": [overrides]");
}

void read_numerics_table(const fs::path& file, const toml::table& table, Scenario& s) {
  for (const auto& [k, node] : table) {
    const Where at = where(file, node, fmt::format("numerics.{}", k.str()));
    if (k != "integrator") fail({file, k.source(), at.key}, "unknown key (expected integrator)");
    const auto kind = integrator_from_name(text(at, node));
    if (!kind) {
      fail(at, fmt::format("expected \"production\" or \"reference\", got {}", describe(node)));
    }
    s.integrator = *kind;
  }
}

const toml::table* table_named(const fs::path& file, const toml::table& doc,
                               std::string_view name) {
  const toml::node* node = doc.get(name);
  if (node && !node->is_table()) {
    fail(where(file, *node, std::string(name)),
         fmt::format("expected a table [{}], got {}", name, describe(*node)));
  }
  return node ? node->as_table() : nullptr;
}

void check_tables(const fs::path& file, const toml::table& doc) {
  for (const auto& [k, node] : doc) {
    if (k != "scenario" && k != "overrides" && k != "numerics" && k != "devices" && k != "events") {
      fail({file, k.source(), std::string(k.str())},
           "unknown table (expected [scenario], [overrides], [numerics], [[devices]] or "
           "[[events]])");
    }
  }
}

// A device setting as text: strings as written, numbers in their shortest form.
std::string setting_text(const Where& at, const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (node.is_number()) return fmt::format("{}", *node.value<double>());
  fail(at, fmt::format("expected a setting as text or a number, got {}", describe(node)));
}

const toml::array* array_of_tables(const fs::path& file, const toml::table& doc,
                                   std::string_view name) {
  const toml::node* node = doc.get(name);
  if (!node) return nullptr;
  const auto* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    fail(where(file, *node, std::string(name)),
         fmt::format("expected [[{}]] tables, got {}", name, describe(*node)));
  }
  return array;
}

void read_devices(const fs::path& file, const toml::array& array, Scenario& s) {
  std::vector<DeviceRequest> requests;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& table = *array[i].as_table();
    const std::string prefix = fmt::format("devices[{}]", i);
    DeviceRequest r;
    r.origin = location(file, table.source());
    const toml::node* kind = table.get("kind");
    if (!kind) fail(where(file, table, prefix + ".kind"), "missing (expected a device kind)");
    r.kind = text(where(file, *kind, prefix + ".kind"), *kind);
    for (const auto& [k, node] : table) {
      if (k == "kind") continue;
      r.settings.emplace_back(
          std::string(k.str()),
          setting_text(where(file, node, prefix + "." + std::string(k.str())), node));
    }
    requests.push_back(std::move(r));
  }
  s.devices = setup_devices(requests);
}

void read_events(const fs::path& file, const toml::array& array, Scenario& s) {
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& table = *array[i].as_table();
    const std::string prefix = fmt::format("events[{}]", i);
    DeviceEvent e;
    e.origin = location(file, table.source());
    const toml::node* time = table.get("time");
    if (!time || !time->is_number()) {
      fail(where(file, time ? *time : static_cast<const toml::node&>(table), prefix + ".time"),
           "expected a time in s within the run");
    }
    e.time_s = *time->value<double>();
    if (!(e.time_s >= 0 && e.time_s <= s.duration_s)) {
      fail(where(file, *time, prefix + ".time"),
           fmt::format("expected a time between 0 and {:g} s (the duration), got {:g}",
                       s.duration_s, e.time_s));
    }
    const toml::node* device = table.get("device");
    if (!device) fail(where(file, table, prefix + ".device"), "missing (expected a device kind)");
    const std::string kind = text(where(file, *device, prefix + ".device"), *device);
    const auto& blocks = s.devices.blocks;
    std::size_t index = blocks.size();
    for (std::size_t d = 0; d < blocks.size(); ++d) {
      if (blocks[d]->kind() == kind) index = d;
    }
    if (index == blocks.size()) {
      fail(where(file, *device, prefix + ".device"),
           fmt::format("'{}' is not attached (attach it in a [[devices]] table)", kind));
    }
    e.device = index;
    for (const auto& [k, node] : table) {
      if (k == "time" || k == "device") continue;
      const Where at = where(file, node, prefix + "." + std::string(k.str()));
      e.settings.push_back(resolve_setting(*blocks[index], k.str(), setting_text(at, node),
                                           location(file, node.source())));
    }
    if (e.settings.empty()) fail(where(file, table, prefix), "expected settings to change");
    s.events.push_back(std::move(e));
  }
  std::stable_sort(s.events.begin(), s.events.end(),
                   [](const DeviceEvent& a, const DeviceEvent& b) { return a.time_s < b.time_s; });
}

}  // namespace

Scenario load_scenario(const fs::path& file) {
  const toml::table doc = parse_file(file);
  check_tables(file, doc);
  Scenario s;
  s.file = file;
  s.name = file.stem().string();
  const toml::table* scenario = table_named(file, doc, "scenario");
  if (!scenario) {
    throw InputError(fmt::format(
        "{}: key 'scenario': missing (expected a [scenario] table with patient and duration)",
        file.string()));
  }
  read_scenario_table(file, *scenario, s);
  load_patient(file, *scenario, s);
  if (const auto* overrides = table_named(file, doc, "overrides")) {
    apply_overrides(file, *overrides, s);
  }
  if (const auto* numerics = table_named(file, doc, "numerics")) {
    read_numerics_table(file, *numerics, s);
  }
  if (const auto* devices = array_of_tables(file, doc, "devices")) read_devices(file, *devices, s);
  if (const auto* events = array_of_tables(file, doc, "events")) read_events(file, *events, s);
  return s;
}

std::string_view integrator_name(sim::IntegratorKind kind) {
  return kind == sim::IntegratorKind::reference ? "reference" : "production";
}

std::optional<sim::IntegratorKind> integrator_from_name(std::string_view name) {
  for (auto kind : {sim::IntegratorKind::production, sim::IntegratorKind::reference}) {
    if (name == integrator_name(kind)) return kind;
  }
  return std::nullopt;
}

}  // namespace unload::io
