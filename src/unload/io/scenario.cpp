#include "unload/io/scenario.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "unload/core/error.hpp"
#include "unload/core/fingerprint.hpp"
#include "unload/devices/registry.hpp"
#include "unload/devices/setting_text.hpp"
#include "unload/io/faults.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/parameter_file.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/pump_console.hpp"
#include "unload/io/run_setup.hpp"
#include "unload/io/toml_errors.hpp"
#include "unload/physio/circulation.hpp"

namespace unload::io {

namespace {

namespace fs = std::filesystem;
using detail::describe;
using detail::location;

constexpr ScenarioKey kKeys[] = {
    {"scenario", "patient", "string", "",
     "patient preset by name (see `unload list patients`) or path to a preset .toml, relative to "
     "the scenario file"},
    {"scenario", "duration", "number", "s", "simulated time, more than 0 and at most 604800"},
    {"scenario", "output_rate", "number", "1/s",
     "waveform samples per second in waveforms.csv, more than 0 and at most 10000 (default 200)"},
    {"scenario", "description", "string", "", "free text, copied into summary.json"},
    {"scenario", "start", "string", "",
     "\"steady\" (default): start from the patient's periodic steady state without devices, "
     "devices attached at t = 0 as in the cath lab; \"rest\": from a uniform-pressure rest state, "
     "to see the transient"},
    {"scenario", "start_state", "string", "",
     "start from a state saved by `unload steady --save-state FILE` (path relative to the "
     "scenario file); devices of the scenario that the state lacks are attached at t = 0"},
    {"scenario", "consoles", "boolean", "",
     "true (default): a micro-axial pump runs with its console (AUTO or the operator's level, "
     "alarms, estimates from its signals: docs/console.md), which acts from its next 10 ms tick; "
     "false: the bare pump (as --no-console)"},
    {"scenario", "start_state_fingerprint", "string", "",
     "16 hexadecimal digits: refuse the start_state file unless it is exactly this state (written "
     "by summary.json so that a rerun starts where the run started)"},
    {"overrides", "*", "number or boolean", "the parameter's unit",
     "any patient parameter by its dotted key (see data/patients/*.toml), e.g. "
     "left_ventricle.end_systolic_elastance = 1.2; baroreflex.enabled = false"},
    {"patient_parameters", "*", "number or boolean", "the parameter's unit",
     "every patient parameter, as summary.json records them: the run then uses exactly these "
     "values whatever the preset file holds now"},
    {"numerics", "integrator", "string", "",
     "\"production\" (Dormand-Prince, fast; default) or \"reference\" (CVODE BDF, tight "
     "tolerances)"},
    {"devices", "kind", "string", "", "a device kind (see `unload list devices`)"},
    {"devices", "*", "number or string", "the setting's unit",
     "any setting of the device by name or short word (level, rpm, flow, ratio, position, ...): "
     "its value at t = 0"},
    {"events", "time", "number", "s", "when, from 0 to the duration; events in time order"},
    {"events", "device", "string", "",
     "which attached device the event changes; for a fault, optional: the attached micro-axial "
     "pump"},
    {"events", "balloon", "string", "",
     "a coronary balloon inflated in LAD, LCx, RCA or LM (LAD and LCx together): the territory's "
     "inflow conductance falls to `residual` of its resting value for `duration` seconds"},
    {"events", "duration", "number", "s",
     "how long the balloon stays inflated (or a no-reflow or a bleed lasts), more than 0; it "
     "must end within the run, and an inflation must not overlap another of the same territory"},
    {"events", "residual", "number", "1",
     "fraction of the territory's resting inflow conductance the balloon leaves, 0 (default: "
     "total occlusion) to 1: a fixed resistance in series, which the bed's vasodilation behind it "
     "cannot undo; for a no-reflow (required), the fraction of its microvascular conductance"},
    {"events", "no_reflow", "string", "",
     "no-reflow or slow flow after a stent or atherectomy in LAD, LCx, RCA or LM: the territory's "
     "microvascular conductance falls to `residual` (required) of its resting value, without "
     "flow reserve, for `duration` seconds (required); one no-reflow per territory at a time"},
    {"events", "drug", "string", "",
     "a drug infusion: norepinephrine, dobutamine, nitroprusside or adenosine (data/drugs.toml); "
     "its rate is `dose`; adenosine (intravenous, 140 for one minute or more) gives the "
     "hyperaemia in which a pressure wire's pd_pa_* reads the fractional flow reserve"},
    {"events", "dose", "number", "mcg/kg/min",
     "the drug's infusion rate from this time on, from 0 (stops it) to the drug's maximum_dose "
     "(norepinephrine 3, dobutamine 40, nitroprusside 10, adenosine 220); its effect follows with "
     "the drug's "
     "onset or offset time constant; a rate from time 0 was running before the run (a steady start "
     "reaches its steady state on it)"},
    {"events", "stent", "string", "",
     "a stent placed in LAD, LCx, RCA or LM: the territory's flow is restored (an inflation in it "
     "ends here, and a stenosis is treated)"},
    {"events", "stenosis", "string", "",
     "a lasting stenosis in LAD, LCx, RCA or LM from this time on: the territory keeps `residual` "
     "(required, more than 0 and at most 1) of its resting inflow conductance until a stent, and a "
     "balloon deflated in it goes back to the stenosis; not while a balloon is inflated there; a "
     "stenosis from time 0 is the patient's (a steady start reaches its steady state with it)"},
    {"events", "fluid_mL", "number", "mL",
     "a fluid bolus or infusion into the vena cava: its volume, more than 0 and at most 10000, "
     "given at a constant rate over `over_s`"},
    {"events", "over_s", "number", "s",
     "how long a fluid event (default 60: a rapid bolus) or a hypovolaemia fault's bleed (default "
     "in data/faults.toml: 60) runs, more than 0; at most 100 mL/s, and it must end within the "
     "run"},
    {"events", "bleeding_mL_min", "number", "mL/min",
     "a bleed from the systemic arteries at this rate, more than 0 and at most 6000, for "
     "`duration` seconds (required; it must end within the run); overlapping infusions or "
     "bleeds add up"},
    {"events", "site", "string", "",
     "optional name of a bleed's access site (e.g. \"femoral\"), recorded in summary.json; the "
     "blood always leaves the systemic arteries"},
    {"events", "rhythm", "string", "",
     "the heart's rhythm from the next R wave on (at once in VF and asystole): sinus, af (atrial "
     "fibrillation), vt (ventricular tachycardia), vf (ventricular fibrillation), asystole or "
     "paced (ventricular pacing); vt and paced need `rate`"},
    {"events", "rate", "number", "1/min",
     "the ventricular rate of a vt (100 to 220) or paced (30 to 180) rhythm; required for those, "
     "refused for the others"},
    {"events", "defibrillate", "boolean", "",
     "true: a defibrillation shock, which restores sinus rhythm from vf (at once) or vt (at the "
     "next R wave); an error when the timeline leaves no vf or vt to shock at that time (unless "
     "the run starts from a state file or rhythm.vf_risk can start VF)"},
    {"events", "console", "string", "",
     "operator input on a micro-axial pump's console: auto (AUTO mode), acknowledge (the "
     "displayed alarms), mute (the sounding alarms, for the console's mute time), wean (two "
     "levels at a time down to P-2, then off) or stop_weaning; needs the console (not "
     "--no-console)"},
    {"events", "check", "string", "",
     "a regular check of the console's schedule confirmed: pump_position, purge_system, "
     "access_site, haemolysis or anticoagulation (data/console/operation.toml); `by` who"},
    {"events", "by", "string", "", "who confirmed a `check` (recorded in the audit log)"},
    {"events", "fault", "string", "",
     "a fault from this time on: motor_failure, migration_ventricle (whole pump in the LV), "
     "migration_aorta (whole pump in the aorta), hypovolaemia (blood loss that empties the LV: "
     "suction), purge_kink, purge_bag_empty, placement_sensor_failure (placement lumen blocked: a "
     "damped, flat signal), current_sensor_noise (noise and drift on the motor current reading); "
     "all but hypovolaemia act on the micro-axial pump (docs/faults.md)"},
    {"events", "fault_cleared", "string", "",
     "ends a fault raised before and still active (same names): the motor works again, the pump "
     "is back where it was, the line unkinked, a new purge bag, the sensor repaired; for "
     "hypovolaemia the bleed stops (the blood stays lost)"},
    {"events", "volume_mL", "number", "mL",
     "a hypovolaemia fault's blood loss, more than 0 and at most 10000 (default in "
     "data/faults.toml: 1800), over `over_s`"},
    {"events", "occlusion", "number", "1",
     "a purge_kink fault's occlusion of the purge line, more than 0 to 1 (default in "
     "data/faults.toml: 0.95)"},
    {"events", "*", "number or string", "the setting's unit",
     "the settings to change (as in [[devices]]), applied in the order written; a setting an "
     "operator enters on a console (level, purge flow) goes through the device's console, a "
     "physical change (position, purge_occlusion, motor_failure) acts at once; one value per "
     "setting (and per drug's rate) at one instant, whether from settings or faults"},
};

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

std::string keys_of(std::string_view table) {
  std::string out;
  for (const auto& k : kKeys) {
    if (k.table == table && k.key != "*")
      out += fmt::format("{}{}", out.empty() ? "" : ", ", k.key);
  }
  return out;
}

bool is_key(std::string_view table, std::string_view key) {
  return std::any_of(std::begin(kKeys), std::end(kKeys),
                     [&](const ScenarioKey& k) { return k.table == table && k.key == key; });
}

// JSON (the "rerun" object of a summary.json) as the TOML document a scenario file would hold.
// Its numbers are exact (parse_json_text refuses others) and it nests at most kMaxJsonDepth deep,
// which bounds this recursion.
toml::table json_to_toml(const fs::path& file, const nlohmann::json& j, const std::string& path);

toml::array json_array_to_toml(const fs::path& file, const nlohmann::json& j,
                               const std::string& path) {
  toml::array a;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& x = j[i];
    const std::string p = fmt::format("{}[{}]", path, i);
    if (x.is_object()) {
      a.push_back(json_to_toml(file, x, p));
    } else if (x.is_boolean()) {
      a.push_back(x.get<bool>());
    } else if (x.is_number_integer()) {
      a.push_back(x.get<std::int64_t>());
    } else if (x.is_number()) {
      a.push_back(x.get<double>());
    } else if (x.is_string()) {
      a.push_back(x.get<std::string>());
    } else {
      throw InputError(fmt::format("{}: key '{}': expected a table, number, string or boolean",
                                   file.string(), p));
    }
  }
  return a;
}

toml::table json_to_toml(const fs::path& file, const nlohmann::json& j, const std::string& path) {
  toml::table t;
  for (const auto& [k, x] : j.items()) {
    const std::string p = path.empty() ? k : path + "." + k;
    if (x.is_object()) {
      t.insert(k, json_to_toml(file, x, p));
    } else if (x.is_array()) {
      t.insert(k, json_array_to_toml(file, x, p));
    } else if (x.is_boolean()) {
      t.insert(k, x.get<bool>());
    } else if (x.is_number_integer()) {
      t.insert(k, x.get<std::int64_t>());
    } else if (x.is_number()) {
      t.insert(k, x.get<double>());
    } else if (x.is_string()) {
      t.insert(k, x.get<std::string>());
    } else {
      throw InputError(
          fmt::format("{}: key '{}': expected a number, string, boolean, table or "
                      "array, got null",
                      file.string(), p));
    }
  }
  return t;
}

toml::table parse_file(const fs::path& file) {
  const std::string text = detail::read_input_file(file, "scenario file");
  if (file.extension() == ".json") {
    nlohmann::json j = detail::parse_json_text(file, text);
    if (!j.is_object() || !j.contains("rerun") || !j["rerun"].is_object()) {
      throw InputError(fmt::format(
          "{}: key 'rerun': missing (a .json scenario is the summary.json of a run, whose "
          "\"rerun\" object holds the run's scenario)",
          file.string()));
    }
    return json_to_toml(file, j["rerun"], "");
  }
  detail::check_toml_shape(file, text);
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(
        fmt::format("{}: not valid TOML: {}", location(file, e.source()), e.description()));
  }
}

// A number in (0, max], e.g. the duration.
double positive_number(const Where& at, const toml::node& node, double max, std::string_view unit) {
  return detail::checked_number(
      at.file, node, at.key, {0.0, max, true},
      fmt::format("a number of {} greater than 0 and at most {}", unit, max));
}

std::string text(const Where& at, const toml::node& node) {
  if (!node.is_string()) fail(at, fmt::format("expected a string, got {}", describe(node)));
  return *node.value<std::string>();
}

// A path written in a scenario: relative to the scenario file, so that they travel together.
fs::path relative_to(const fs::path& scenario_file, const std::string& path) {
  const fs::path p(path);
  if (p.is_absolute()) return p;
  return (scenario_file.parent_path() / p).lexically_normal();
}

// A preset's name or path: a path when it looks like one (as io::load_preset decides).
std::string resolve_patient(const fs::path& scenario_file, const std::string& reference) {
  const fs::path p(reference);
  const bool is_path = p.extension() == ".toml" || reference.find('/') != std::string::npos;
  if (!is_path) return reference;
  return relative_to(scenario_file, reference).string();
}

void read_scenario_table(const fs::path& file, const toml::table& table, Scenario& s) {
  bool has_patient = false, has_duration = false, has_start = false;
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
    } else if (k == "start") {
      const std::string v = text(at, node);
      if (v == "steady") {
        s.start = StartKind::steady;
      } else if (v == "rest") {
        s.start = StartKind::rest;
      } else {
        fail(at, fmt::format("expected \"steady\" or \"rest\", got {}", describe(node)));
      }
      has_start = true;
    } else if (k == "start_state") {
      const std::string v = text(at, node);
      if (v.empty()) fail(at, "expected the path of a state file");
      s.start_state = relative_to(file, v);
      // Named where it is written: a missing or unreadable state file is this key's error.
      try {
        detail::check_input_file(s.start_state, "state file");
      } catch (const InputError& e) {
        fail(at, e.what());
      }
    } else if (k == "consoles") {
      if (!node.is_boolean())
        fail(at, fmt::format("expected true or false, got {}", describe(node)));
      s.consoles = *node.value<bool>();
    } else if (k == "start_state_fingerprint") {
      const auto f = from_hex16(text(at, node));
      if (!f) fail(at, fmt::format("expected 16 hexadecimal digits, got {}", describe(node)));
      s.start_state_fingerprint = *f;
    } else {
      fail({file, k.source(), at.key},
           fmt::format("unknown key (expected one of: {})", keys_of("scenario")));
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
  if (!s.start_state.empty()) {
    if (has_start) {
      fail(where(file, *table.get("start"), "scenario.start"),
           "give either start or start_state, not both");
    }
    s.start = StartKind::state_file;
  } else if (s.start_state_fingerprint) {
    fail(where(file, *table.get("start_state_fingerprint"), "scenario.start_state_fingerprint"),
         "only with start_state");
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

// Overrides may be written as dotted keys or as nested tables; both flatten to the preset's keys,
// in the file's order.
void collect_overrides(const fs::path& file, const toml::table& table,
                       std::vector<std::pair<std::string, const toml::node*>>& out) {
  detail::walk_dotted(table, [&](const std::string& key, const toml::node& node) {
    if (const auto* t = node.as_table()) {
      if (t->contains("value")) {
        fail(where(file, node, key),
             "expected the number alone (an override is `key = number`, without unit or source)");
      }
      return true;
    }
    out.emplace_back(key, &node);
    return false;
  });
}

constexpr std::string_view kBaroreflexEnabled = "baroreflex.enabled";
constexpr double kLargest = std::numeric_limits<double>::max();

double override_value(const Where& at, const toml::node& node) {
  if (at.key == kBaroreflexEnabled) {
    if (!node.is_boolean()) fail(at, fmt::format("expected true or false, got {}", describe(node)));
    return *node.value<bool>() ? 1.0 : 0.0;
  }
  if (const physio::ParameterSpec* spec = physio::find_parameter_spec(at.key)) {
    return detail::checked_number(
        at.file, node, at.key, {spec->min, spec->max},
        fmt::format("a value between {} and {} {}", spec->min, spec->max, spec->unit));
  }
  // An unknown parameter: apply_overrides names it; the value must still be a number.
  return detail::checked_number(
      at.file, node, at.key, {-kLargest, kLargest},
      fmt::format("a number (true or false only for {})", kBaroreflexEnabled));
}

void apply_overrides(const fs::path& file, const toml::table& table, Scenario& s,
                     std::string_view section, bool record) {
  std::vector<std::pair<std::string, const toml::node*>> entries;
  collect_overrides(file, table, entries);
  if (!record) {
    // [patient_parameters] is a complete record (summary.json's): a parameter it lacks was added
    // to unload after it was written, and the preset's value now would not be the run's.
    const auto has = [&](std::string_view key) {
      return std::any_of(entries.begin(), entries.end(),
                         [&](const auto& e) { return e.first == key; });
    };
    std::vector<std::string_view> required{kBaroreflexEnabled};
    for (const auto& spec : physio::parameter_specs()) required.push_back(spec.key);
    for (const std::string_view key : required) {
      if (has(key)) continue;
      fail(where(file, table, fmt::format("{}.{}", section, key)),
           fmt::format("missing (a [{}] table holds every patient parameter, as summary.json "
                       "records them: was it written by another version of unload?)",
                       section));
    }
  }
  std::vector<Override> batch;
  for (const auto& [key, node] : entries) {
    const Where at = where(file, *node, key);
    const double value = override_value(at, *node);
    batch.push_back({key, value, fmt::format("{}: {}", location(file, node->source()), section)});
    if (record) s.overrides.push_back({key, value});
  }
  // Together: values that only fit together (territory shares) can be changed together.
  io::apply_overrides(s.patient, batch,
                      fmt::format("{}: [{}]", location(file, table.source()), section));
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
    if (k != "scenario" && k != "overrides" && k != "numerics" && k != "devices" && k != "events" &&
        k != "patient_parameters") {
      fail({file, k.source(), std::string(k.str())},
           "unknown table (expected [scenario], [overrides], [numerics], [[devices]], "
           "[[events]] or [patient_parameters])");
    }
  }
}

// A table's entries in the order they are written in the file (toml++ keeps tables sorted by key;
// settings of one event are applied in the order given). Tables without positions (from a
// summary.json) keep their key order.
std::vector<std::pair<std::string_view, const toml::node*>> as_written(const toml::table& table) {
  std::vector<std::pair<std::string_view, const toml::node*>> out;
  for (const auto& [k, node] : table) out.emplace_back(k.str(), &node);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.second->source().begin;
    const auto& pb = b.second->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

// A device setting as text: strings as written, numbers exactly (the shortest text that reads
// back as the same double, so that a summary.json's numbers rerun exactly).
std::string setting_text(const Where& at, const toml::node& node) {
  if (const auto* s = node.as_string()) return s->get();
  if (node.is_number()) {
    if (const auto v = detail::exact_number(node)) return devices::format_number(*v);
  }
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
    r.kind_origin = fmt::format("{}: key '{}.kind'", location(file, kind->source()), prefix);
    for (const auto& [k, node] : as_written(table)) {
      if (k == "kind") continue;
      const std::string key = prefix + "." + std::string(k);
      r.settings.emplace_back(std::string(k), setting_text(where(file, *node, key), *node));
      r.setting_origins.push_back(fmt::format("{}: key '{}'", location(file, node->source()), key));
    }
    requests.push_back(std::move(r));
  }
  s.devices = setup_devices(requests);
}

// An inflation of one territory: from start to end, and which event deflates it.
struct Inflation {
  double start_s = 0, end_s = 0;
  std::string origin;
  std::size_t deflation = 0;  // index into Scenario::events
  bool inflated_at(double t) const { return start_s <= t && t < end_s; }
};

// A balloon or stent event (the table has `balloon` or `stent`): its coronary_inflow events.
void read_coronary_event(const fs::path& file, const toml::table& table, const std::string& prefix,
                         double t, Scenario& s,
                         std::array<std::vector<Inflation>, physio::territory_count>& inflations,
                         std::array<std::vector<Inflation>, physio::territory_count>& no_reflows,
                         std::array<double, physio::territory_count>& open_level) {
  const toml::node* balloon = table.get("balloon");
  const toml::node* stent = table.get("stent");
  const toml::node* no_reflow = table.get("no_reflow");
  const toml::node* stenosis = table.get("stenosis");
  if ((balloon != nullptr) + (stent != nullptr) + (no_reflow != nullptr) + (stenosis != nullptr) >
      1) {
    const std::string second = stenosis ? "stenosis" : no_reflow ? "no_reflow" : "stent";
    fail(where(file,
               stenosis    ? *stenosis
               : no_reflow ? *no_reflow
                           : *stent,
               prefix + "." + second),
         "an event is one of a balloon, a stent, a stenosis or a no-reflow (write two events)");
  }
  const std::string action = balloon     ? "balloon"
                             : no_reflow ? "no_reflow"
                             : stenosis  ? "stenosis"
                                         : "stent";
  const toml::node& named = balloon     ? *balloon
                            : no_reflow ? *no_reflow
                            : stenosis  ? *stenosis
                                        : *stent;
  // A no-reflow narrows the territory's inflow for a time, as a balloon does.
  const bool narrows = balloon || no_reflow;
  const Where at_name = where(file, named, prefix + "." + action);
  for (const auto& [k, node] : table) {
    const bool allowed = k == "time" || k == action ||
                         (narrows && (k == "duration" || k == "residual")) ||
                         (stenosis && k == "residual");
    if (!allowed) {
      fail(where(file, node, prefix + "." + std::string(k.str())),
           fmt::format("not a key of a {} event (expected {})", action,
                       balloon     ? "time, balloon, duration and optionally residual"
                       : no_reflow ? "time, no_reflow, residual and duration"
                       : stenosis  ? "time, stenosis and residual"
                                   : "time and stent"));
    }
  }
  CoronaryAction a;
  a.time_s = t;
  a.stent = !narrows && !stenosis;
  a.no_reflow = no_reflow != nullptr;
  a.stenosis = stenosis != nullptr;
  a.territory = text(at_name, named);
  std::vector<std::size_t> territories;
  for (std::size_t k = 0; k < physio::territory_count; ++k) {
    if (a.territory == physio::territory_labels[k]) territories = {k};
  }
  if (a.territory == "LM") territories = {0, 1};
  if (territories.empty()) {
    fail(at_name, fmt::format("expected a coronary territory: LAD, LCx, RCA or LM, got {}",
                              describe(named)));
  }
  const std::string origin = location(file, table.source());
  // A balloon narrows the territory's inflow; a no-reflow obstructs its microcirculation.
  // A stenosis and a stent change the artery for good (lasting); a balloon for its inflation.
  auto inflow_event = [&](double time, std::size_t k, double value) {
    sim::Event e;
    e.time_s = time;
    e.kind = a.no_reflow ? sim::EventKind::coronary_microvascular : sim::EventKind::coronary_inflow;
    e.device = static_cast<std::uint32_t>(k);
    e.setting = a.stent || a.stenosis ? sim::kCoronaryLasting : sim::kCoronaryTransient;
    e.value = value;
    s.events.push_back({e, origin});
  };
  if (a.stent) {
    for (std::size_t k : territories) {
      // A stent placed while a balloon is inflated ends that inflation here, and treats the
      // territory's stenosis.
      for (auto& inflation : inflations[k]) {
        if (inflation.inflated_at(t)) {
          inflation.end_s = t;
          s.events[inflation.deflation].event.time_s = t;
          s.events[inflation.deflation].event.value = 1.0;
        }
      }
      open_level[k] = 1.0;
      inflow_event(t, k, 1.0);
      if (t == 0.0) s.standing.coronary_inflow_fraction[k] = 1.0;
    }
    s.coronary.push_back(std::move(a));
    return;
  }
  if (a.stenosis) {
    const toml::node* residual = table.get("residual");
    if (!residual) {
      fail(where(file, table, prefix + ".residual"),
           "missing (expected the fraction of the territory's resting inflow conductance the "
           "stenosis leaves, more than 0 and at most 1, e.g. 0.75)");
    }
    a.residual = detail::checked_number(file, *residual, prefix + ".residual", {0.0, 1.0, true},
                                        "a residual fraction of the inflow, more than 0 and at "
                                        "most 1");
    for (std::size_t k : territories) {
      for (const auto& inflation : inflations[k]) {
        if (inflation.inflated_at(t)) {
          fail(at_name, fmt::format("a balloon is inflated in the {} from {:g} to {:g} s ({}): "
                                    "place the stenosis before the inflation or after it",
                                    physio::territory_labels[k], inflation.start_s, inflation.end_s,
                                    inflation.origin));
        }
      }
      open_level[k] = a.residual;
      inflow_event(t, k, a.residual);
      // A stenosis from t = 0 is the patient's: the steady start has it.
      if (t == 0.0) s.standing.coronary_inflow_fraction[k] = a.residual;
    }
    s.coronary.push_back(std::move(a));
    return;
  }
  const double remaining = s.duration_s - t;
  const toml::node* duration = table.get("duration");
  const char* what = a.no_reflow ? "the no-reflow lasts" : "the balloon stays inflated";
  if (!duration) {
    fail(where(file, table, prefix + ".duration"),
         fmt::format("missing (expected how long {}, more than 0 and at most {:g} s, the rest of "
                     "the run)",
                     what, remaining));
  }
  a.duration_s = detail::checked_number(
      file, *duration, prefix + ".duration", {0.0, remaining, true},
      fmt::format("a duration of more than 0 and at most {:g} s (the {} must end by the end of "
                  "the run, {:g} s)",
                  remaining, a.no_reflow ? "no-reflow" : "balloon", s.duration_s));
  const toml::node* residual = table.get("residual");
  if (a.no_reflow && !residual) {
    fail(where(file, table, prefix + ".residual"),
         "missing (expected the fraction of the territory's microvascular conductance left "
         "during the no-reflow, from 0 to 1, e.g. 0.3)");
  }
  if (residual) {
    a.residual =
        detail::checked_number(file, *residual, prefix + ".residual", {0.0, 1.0},
                               a.no_reflow ? "a residual fraction of the microvascular "
                                             "conductance from 0 to 1"
                                           : "a residual fraction of the inflow from 0 to 1");
  }
  const double end = t + a.duration_s;
  // One balloon, and one no-reflow, per territory at a time (a balloon may cross a no-reflow).
  auto& intervals = a.no_reflow ? no_reflows : inflations;
  for (std::size_t k : territories) {
    for (const auto& other : intervals[k]) {
      if (t < other.end_s && other.start_s < end) {
        fail(at_name, fmt::format("overlaps the {} of {} from {:g} to {:g} s ({}): one {} per "
                                  "territory at a time",
                                  a.no_reflow ? "no-reflow" : "inflation",
                                  physio::territory_labels[k], other.start_s, other.end_s,
                                  other.origin, a.no_reflow ? "no-reflow" : "balloon"));
      }
    }
  }
  for (std::size_t k : territories) {
    inflow_event(t, k, a.residual);
    intervals[k].push_back({t, end, origin, s.events.size()});
    // A balloon deflates to what the territory had before it: open, or its stenosis. (A no-reflow
    // acts on the microcirculation, which has no stenosis.)
    inflow_event(end, k, a.no_reflow ? 1.0 : open_level[k]);
  }
  s.coronary.push_back(std::move(a));
}

// Two events that set one quantity (a drug's rate, a device's setting) at the same instant would
// leave only the later one in force, silently: refused, naming the first.
void refuse_second_value(const Scenario& s, const sim::Event& e, const Where& at,
                         std::string_view what) {
  const auto same_target = [&](const sim::Event& o) {
    if (e.kind == sim::EventKind::drug_dose) {
      return o.kind == e.kind && o.device == e.device;
    }
    const auto is_setting = [](sim::EventKind k) {
      return k == sim::EventKind::device_setting || k == sim::EventKind::operator_setting;
    };
    return is_setting(o.kind) && o.device == e.device && o.setting == e.setting;
  };
  for (const auto& other : s.events) {
    if (other.event.time_s == e.time_s && same_target(other.event)) {
      fail(at, fmt::format("{} is already set at {:g} s ({}): two values at one instant (expected "
                           "one event, or events at different times)",
                           what, e.time_s, other.origin));
    }
  }
}

// A drug event (the table has `drug`): one drug_dose event.
void read_drug_event(const fs::path& file, const toml::table& table, const std::string& prefix,
                     double t, Scenario& s) {
  for (const auto& [k, node] : table) {
    if (k != "time" && k != "drug" && k != "dose") {
      fail(where(file, node, prefix + "." + std::string(k.str())),
           "not a key of a drug event (expected time, drug and dose)");
    }
  }
  const toml::node& named = *table.get("drug");
  const Where at_name = where(file, named, prefix + ".drug");
  DrugAction a;
  a.time_s = t;
  a.drug = text(at_name, named);
  std::size_t index = physio::drug_count;
  std::string known;
  for (std::size_t d = 0; d < physio::drug_count; ++d) {
    if (physio::drug_names[d] == a.drug) index = d;
    known += fmt::format("{}{}", known.empty() ? "" : ", ", physio::drug_names[d]);
  }
  if (index == physio::drug_count) {
    fail(at_name, fmt::format("expected a drug: {}, got {}", known, describe(named)));
  }
  const double max = s.patient.drugs[index].maximum_dose;
  const toml::node* dose = table.get("dose");
  if (!dose) {
    fail(where(file, table, prefix + ".dose"),
         fmt::format("missing (expected the {} infusion rate from 0 to {:g} {}; 0 stops it)",
                     a.drug, max, physio::drug_dose_unit));
  }
  a.dose = detail::checked_number(
      file, *dose, prefix + ".dose", {0.0, max},
      fmt::format("a {} dose from 0 (stops it) to {:g} {}", a.drug, max, physio::drug_dose_unit));
  sim::Event e;
  e.time_s = t;
  e.kind = sim::EventKind::drug_dose;
  e.device = static_cast<std::uint32_t>(index);
  e.value = a.dose;
  refuse_second_value(s, e, at_name, fmt::format("the {} rate", a.drug));
  // An infusion running from t = 0 was running before: the steady start has it at equilibrium.
  if (t == 0.0) s.standing.drug_dose[index] = a.dose;
  s.events.push_back({e, location(file, table.source())});
  s.drugs.push_back(std::move(a));
}

// A stretch of constant rate of one infusion or bleed.
struct RateInterval {
  double start_s = 0, end_s = 0, rate_mL_s = 0;
  std::string origin, key;
};

// A fluid event (`fluid_mL`) or a bleeding event (`bleeding_mL_min`): its stretch of constant rate.
void read_fluid_event(const fs::path& file, const toml::table& table, const std::string& prefix,
                      double t, Scenario& s, std::vector<RateInterval>& infusions,
                      std::vector<RateInterval>& bleeds) {
  const toml::node* fluid = table.get("fluid_mL");
  const toml::node* bleeding = table.get("bleeding_mL_min");
  if (fluid && bleeding) {
    fail(where(file, *bleeding, prefix + ".bleeding_mL_min"),
         "an event is either a fluid or a bleeding event (write two events)");
  }
  const std::string action = fluid ? "fluid_mL" : "bleeding_mL_min";
  for (const auto& [k, node] : table) {
    const bool allowed =
        k == "time" || k == action || (fluid ? k == "over_s" : (k == "duration" || k == "site"));
    if (!allowed) {
      fail(where(file, node, prefix + "." + std::string(k.str())),
           fmt::format("not a key of a {} event (expected {})", fluid ? "fluid" : "bleeding",
                       fluid ? "time, fluid_mL and optionally over_s"
                             : "time, bleeding_mL_min, duration and optionally site"));
    }
  }
  const double remaining = s.duration_s - t;
  const double max_rate = sim::kMaxFluidRate_mL_s;
  if (fluid) {
    FluidAction a;
    a.time_s = t;
    a.volume_mL = detail::checked_number(file, *fluid, prefix + ".fluid_mL", {0.0, 10000.0, true},
                                         "a volume of more than 0 and at most 10000 mL");
    const toml::node* over = table.get("over_s");
    const double shortest = a.volume_mL / max_rate;
    if (over) {
      a.over_s = detail::checked_number(
          file, *over, prefix + ".over_s", {0.0, remaining, true},
          fmt::format("more than 0 and at most {:g} s (the fluid must be given by the end of the "
                      "run, {:g} s)",
                      remaining, s.duration_s));
      if (a.over_s < shortest) {
        fail(where(file, *over, prefix + ".over_s"),
             fmt::format("{:g} mL over {:g} s is faster than {:g} mL/s: expected at least {:g} s",
                         a.volume_mL, a.over_s, max_rate, shortest));
      }
    } else {
      a.over_s = std::max(kDefaultFluidOver_s, shortest);
      if (a.over_s > remaining) {
        fail(where(file, *fluid, prefix + ".fluid_mL"),
             fmt::format("given over {:g} s by default, it would end after the run ({:g} s): "
                         "give over_s of at most {:g} s",
                         a.over_s, s.duration_s, remaining));
      }
    }
    infusions.push_back({t, t + a.over_s, a.volume_mL / a.over_s, location(file, fluid->source()),
                         prefix + ".fluid_mL"});
    s.fluids.push_back(a);
    return;
  }
  BleedingAction a;
  a.time_s = t;
  a.rate_mL_min = detail::checked_number(file, *bleeding, prefix + ".bleeding_mL_min",
                                         {0.0, 60.0 * max_rate, true},
                                         "a rate of more than 0 and at most 6000 mL/min");
  const toml::node* duration = table.get("duration");
  if (!duration) {
    fail(where(file, table, prefix + ".duration"),
         fmt::format("missing (expected how long the bleed lasts, more than 0 and at most {:g} s, "
                     "the rest of the run)",
                     remaining));
  }
  a.duration_s = detail::checked_number(
      file, *duration, prefix + ".duration", {0.0, remaining, true},
      fmt::format("a duration of more than 0 and at most {:g} s (the bleed must end by the end "
                  "of the run, {:g} s)",
                  remaining, s.duration_s));
  if (const toml::node* site = table.get("site")) {
    a.site = text(where(file, *site, prefix + ".site"), *site);
  }
  bleeds.push_back({t, t + a.duration_s, a.rate_mL_min / 60.0, location(file, bleeding->source()),
                    prefix + ".bleeding_mL_min"});
  s.bleeds.push_back(std::move(a));
}

// Operator input on a pump's console (`console`) or a regular check confirmed (`check`, `by`).
void read_console_event(const fs::path& file, const toml::table& table, const std::string& prefix,
                        double t, Scenario& s) {
  const toml::node* input = table.get("console");
  const toml::node* check = table.get("check");
  if (input && check) {
    fail(where(file, *check, prefix + ".check"),
         "an event either gives console input or confirms a check (write two events)");
  }
  for (const auto& [k, node] : table) {
    if (!(k == "time" || k == "device" || (input && k == "console") ||
          (check && (k == "check" || k == "by")))) {
      fail(where(file, node, prefix + "." + std::string(k.str())),
           fmt::format("not a key of a console event (expected {})",
                       input ? "time, console and optionally device"
                             : "time, check, optionally by and device"));
    }
  }
  // Which pump's console: the one attached, or the one named.
  const auto& blocks = s.devices.blocks;
  std::size_t index = blocks.size();
  std::string wanted;
  if (const toml::node* device = table.get("device")) {
    wanted = text(where(file, *device, prefix + ".device"), *device);
  }
  for (std::size_t d = 0; d < blocks.size(); ++d) {
    const bool pump = has_console(blocks[d]->kind());
    if (pump && (wanted.empty() || blocks[d]->kind() == wanted)) index = d;
  }
  const toml::node& key_node = input ? *input : *check;
  const std::string key = prefix + (input ? ".console" : ".check");
  if (index == blocks.size()) {
    fail(where(file, key_node, key),
         wanted.empty() ? std::string("no micro-axial pump is attached, so there is no console")
                        : fmt::format("'{}' is not an attached micro-axial pump", wanted));
  }
  if (!s.consoles) {
    fail(where(file, key_node, key), "the scenario runs without consoles (consoles = false)");
  }
  ConsoleAction a;
  a.time_s = t;
  a.device = std::string(blocks[index]->kind());
  sim::Event e;
  e.time_s = t;
  e.kind = sim::EventKind::console_input;
  e.device = static_cast<std::uint32_t>(index);
  if (input) {
    a.input = text(where(file, *input, key), *input);
    struct Word {
      const char* word;
      CommandKind kind;
      double value;
    };
    constexpr Word kWords[] = {{"auto", CommandKind::auto_mode, 1},
                               {"acknowledge", CommandKind::acknowledge_alarms, 1},
                               {"mute", CommandKind::mute_alarms, 1},
                               {"wean", CommandKind::wean, 1},
                               {"stop_weaning", CommandKind::wean, 0}};
    const Word* w = nullptr;
    for (const auto& k : kWords) {
      if (a.input == k.word) w = &k;
    }
    if (!w) {
      fail(where(file, *input, key),
           fmt::format("expected auto, acknowledge, mute, wean or stop_weaning, got {}",
                       describe(*input)));
    }
    e.setting = static_cast<std::uint32_t>(w->kind);
    e.value = w->value;
  } else {
    a.check = text(where(file, *check, key), *check);
    const auto config = load_console_config(a.device);
    std::size_t k = config.checks.size();
    std::string names;
    for (std::size_t i = 0; i < config.checks.size(); ++i) {
      if (config.checks[i].name == a.check) k = i;
      names += (names.empty() ? "" : ", ") + config.checks[i].name;
    }
    if (k == config.checks.size()) {
      fail(where(file, *check, key),
           fmt::format("expected a regular check of the console ({}), got {}", names,
                       describe(*check)));
    }
    if (const toml::node* by = table.get("by")) a.by = text(where(file, *by, prefix + ".by"), *by);
    e.setting = static_cast<std::uint32_t>(CommandKind::confirm_check);
    e.value = static_cast<double>(k);
  }
  s.console_actions.push_back(a);
  s.events.push_back({e, location(file, key_node.source())});
}

// A rhythm event (`rhythm`, with `rate` for vt and paced) or a defibrillation (`defibrillate`).
// `current` is the rhythm the written timeline leaves at this time; `shock_checked` whether a
// defibrillation without VF or VT there is an error (it is not when the run starts from a state
// file, or when ischaemia may start VF: the rhythm then is known only while running).
void read_rhythm_event(const fs::path& file, const toml::table& table, const std::string& prefix,
                       double t, Scenario& s, physio::Rhythm& current, bool shock_checked) {
  const toml::node* rhythm = table.get("rhythm");
  const toml::node* shock = table.get("defibrillate");
  if (rhythm && shock) {
    fail(where(file, *shock, prefix + ".defibrillate"),
         "an event either sets a rhythm or defibrillates (write two events)");
  }
  const std::string action = rhythm ? "rhythm" : "defibrillate";
  for (const auto& [k, node] : table) {
    if (!(k == "time" || k == action || (rhythm && k == "rate"))) {
      fail(where(file, node, prefix + "." + std::string(k.str())),
           fmt::format(
               "not a key of a {} event (expected {})", rhythm ? "rhythm" : "defibrillation",
               rhythm ? "time, rhythm and, for vt and paced, rate" : "time and defibrillate"));
    }
  }
  sim::Event e;
  e.time_s = t;
  if (shock) {
    const Where at = where(file, *shock, prefix + ".defibrillate");
    if (!shock->is_boolean() || !*shock->value<bool>()) {
      fail(at, fmt::format("expected true, got {}", describe(*shock)));
    }
    if (shock_checked && !physio::shockable(current)) {
      fail(at, fmt::format("no shockable rhythm at {:g} s: the timeline leaves {} there (a "
                           "defibrillation ends vf or vt)",
                           t, physio::rhythm_name(current)));
    }
    e.kind = sim::EventKind::defibrillation;
    if (physio::shockable(current)) current = physio::Rhythm::sinus;
    s.events.push_back({e, location(file, shock->source())});
    return;
  }
  const Where at = where(file, *rhythm, prefix + ".rhythm");
  const auto r = physio::rhythm_from_name(text(at, *rhythm));
  if (!r) {
    fail(at, fmt::format("expected a rhythm: sinus, af, vt, vf, asystole or paced, got {}",
                         describe(*rhythm)));
  }
  e.kind = sim::EventKind::rhythm;
  e.device = static_cast<std::uint32_t>(*r);
  const toml::node* rate = table.get("rate");
  if (physio::takes_rate(*r)) {
    const bool vt = *r == physio::Rhythm::vt;
    const double lo = vt ? physio::kMinVtRate_bpm : physio::kMinPacedRate_bpm;
    const double hi = vt ? physio::kMaxVtRate_bpm : physio::kMaxPacedRate_bpm;
    if (!rate) {
      fail(where(file, table, prefix + ".rate"),
           fmt::format("missing (a {} rhythm needs its ventricular rate, {:g} to {:g} /min)",
                       physio::rhythm_name(*r), lo, hi));
    }
    e.value = detail::checked_number(
        file, *rate, prefix + ".rate", {lo, hi},
        fmt::format("a {} rate of {:g} to {:g} /min", physio::rhythm_name(*r), lo, hi));
  } else if (rate) {
    fail(where(file, *rate, prefix + ".rate"),
         fmt::format("{} rhythm takes no rate (only vt and paced do)",
                     physio::rhythm_with_article(*r)));
  }
  current = *r;
  s.events.push_back({e, location(file, rhythm->source())});
}

// What the timeline has left active of one fault on one device, while it is read.
struct ActiveFault {
  double since_s = 0;
  std::string origin;
  double previous = 0;    // the setting's value before the fault (restored when cleared)
  std::size_t bleed = 0;  // hypovolaemia: index into the bleeds
};

// Faults raised and not yet cleared, and each device's settings as the timeline leaves them so far
// (a cleared fault restores the value before it).
struct FaultTimeline {
  std::optional<FaultDefaults> defaults;
  std::map<std::pair<std::size_t, Fault>, ActiveFault> active;
  std::vector<physio::DeviceSettings> settings;
};

// A fault event (`fault` or `fault_cleared`): device_setting events, or for hypovolaemia a bleed.
void read_fault_event(const fs::path& file, const toml::table& table, const std::string& prefix,
                      double t, Scenario& s, std::vector<RateInterval>& bleeds,
                      FaultTimeline& faults) {
  const toml::node* raised = table.get("fault");
  const toml::node* cleared = table.get("fault_cleared");
  if (raised && cleared) {
    fail(where(file, *cleared, prefix + ".fault_cleared"),
         "an event either raises or clears a fault (write two events)");
  }
  const std::string action = raised ? "fault" : "fault_cleared";
  const toml::node& named = raised ? *raised : *cleared;
  const Where at_name = where(file, named, prefix + "." + action);
  const auto fault = fault_from_name(text(at_name, named));
  if (!fault) {
    fail(at_name, fmt::format("expected a fault: {}, got {}", fault_names_text(), describe(named)));
  }
  const std::string name(fault_name(*fault));
  const bool bleed = *fault == Fault::hypovolaemia;
  for (const auto& [k, node] : table) {
    const bool allowed = k == "time" || k == action || (!bleed && k == "device") ||
                         (raised && bleed && (k == "volume_mL" || k == "over_s")) ||
                         (raised && *fault == Fault::purge_kink && k == "occlusion");
    if (!allowed) {
      std::string expected = "time, " + action;
      if (!bleed) expected += " and optionally device";
      if (raised && bleed) expected += " and optionally volume_mL and over_s";
      if (raised && *fault == Fault::purge_kink) expected += " and optionally occlusion";
      fail(where(file, node, prefix + "." + std::string(k.str())),
           fmt::format("not a key of a {} = \"{}\" event (expected {}){}", action, name, expected,
                       bleed && k == "device"
                           ? ": hypovolaemia is the patient's blood loss, not a device's fault"
                           : ""));
    }
  }
  if (!faults.defaults) faults.defaults = load_fault_defaults();
  const FaultDefaults& defaults = *faults.defaults;
  FaultAction a;
  a.time_s = t;
  a.fault = name;
  a.cleared = cleared != nullptr;
  const std::string origin = location(file, named.source());

  // Which pump: the one named, or the micro-axial pump attached.
  std::size_t device = 0;
  if (!bleed) {
    const auto& blocks = s.devices.blocks;
    const auto is_pump = [&](std::size_t d) {
      const auto* type = devices::find_device_type(blocks[d]->kind());
      return type && type->family == "micro-axial pump";
    };
    std::vector<std::size_t> pumps;
    for (std::size_t d = 0; d < blocks.size(); ++d) {
      if (is_pump(d)) pumps.push_back(d);
    }
    if (const toml::node* named_device = table.get("device")) {
      const Where at = where(file, *named_device, prefix + ".device");
      const std::string kind = text(at, *named_device);
      device = blocks.size();
      for (std::size_t d = 0; d < blocks.size(); ++d) {
        if (blocks[d]->kind() == kind) device = d;
      }
      if (device == blocks.size()) {
        fail(at, fmt::format("'{}' is not attached (attach it in a [[devices]] table)", kind));
      }
      if (!is_pump(device)) {
        fail(at, fmt::format("'{}' is not a micro-axial pump: the fault {} acts on an "
                             "impella-2.5, impella-cp or impella-5.5",
                             kind, name));
      }
    } else if (pumps.empty()) {
      fail(at_name, fmt::format("the fault {} acts on a micro-axial pump, and none is attached "
                                "(attach impella-2.5, impella-cp or impella-5.5 in a [[devices]] "
                                "table)",
                                name));
    } else if (pumps.size() > 1) {
      fail(at_name,
           fmt::format("{} micro-axial pumps are attached: name one with device", pumps.size()));
    } else {
      device = pumps.front();
    }
    a.device = std::string(blocks[device]->kind());
  }

  const auto key = std::make_pair(device, *fault);
  const auto active = faults.active.find(key);
  // A hypovolaemia is active while its bleed runs.
  const bool is_active =
      active != faults.active.end() && (!bleed || t < bleeds[active->second.bleed].end_s);
  if (a.cleared && !is_active) {
    if (active != faults.active.end()) {
      fail(at_name, fmt::format("the hypovolaemia raised at {:g} s ({}) has already ended at "
                                "{:g} s: there is no bleed left to stop",
                                active->second.since_s, active->second.origin,
                                bleeds[active->second.bleed].end_s));
    }
    fail(at_name, fmt::format("no {} is active at {:g} s{} (raise it first with fault = \"{}\")",
                              name, t, bleed ? "" : " on " + a.device, name));
  }
  if (!a.cleared && is_active) {
    fail(at_name, fmt::format("{} is already active since {:g} s ({}): clear it first with "
                              "fault_cleared = \"{}\"",
                              name, active->second.since_s, active->second.origin, name));
  }
  if (!a.cleared && (*fault == Fault::migration_ventricle || *fault == Fault::migration_aorta)) {
    const Fault other =
        *fault == Fault::migration_ventricle ? Fault::migration_aorta : Fault::migration_ventricle;
    if (const auto o = faults.active.find({device, other}); o != faults.active.end()) {
      fail(at_name,
           fmt::format("the pump has already migrated ({} since {:g} s, {}): clear it "
                       "first with fault_cleared = \"{}\"",
                       fault_name(other), o->second.since_s, o->second.origin, fault_name(other)));
    }
  }

  if (bleed) {
    const double remaining = s.duration_s - t;
    const double max_rate = sim::kMaxFluidRate_mL_s;
    if (a.cleared) {
      // The bleed stops here; the raise stays as written (a rerun stops it here again).
      bleeds[active->second.bleed].end_s = t;
      faults.active.erase(active);
      s.faults.push_back(std::move(a));
      return;
    }
    a.volume_mL = defaults.hypovolaemia_volume_mL;
    if (const toml::node* v = table.get("volume_mL")) {
      a.volume_mL = detail::checked_number(file, *v, prefix + ".volume_mL", {0.0, 10000.0, true},
                                           "a volume of more than 0 and at most 10000 mL");
    }
    const toml::node* over = table.get("over_s");
    a.over_s = defaults.hypovolaemia_over_s;
    if (over) {
      a.over_s = detail::checked_number(
          file, *over, prefix + ".over_s", {0.0, remaining, true},
          fmt::format("more than 0 and at most {:g} s (the bleed must end by the end of the run, "
                      "{:g} s)",
                      remaining, s.duration_s));
    } else if (a.over_s > remaining) {
      fail(at_name, fmt::format("its bleed lasts {:g} s by default and would end after the run "
                                "({:g} s): give over_s of at most {:g} s",
                                a.over_s, s.duration_s, remaining));
    }
    if (a.volume_mL / a.over_s > max_rate) {
      fail(where(file, over ? *over : named, prefix + (over ? ".over_s" : ".fault")),
           fmt::format("{:g} mL over {:g} s is faster than {:g} mL/s: expected at least {:g} s",
                       a.volume_mL, a.over_s, max_rate, a.volume_mL / max_rate));
    }
    faults.active[key] = {t, origin, 0.0, bleeds.size()};
    bleeds.push_back({t, t + a.over_s, a.volume_mL / a.over_s, origin, prefix + ".fault"});
    s.faults.push_back(std::move(a));
    return;
  }

  const physio::DeviceBlock& block = *s.devices.blocks[device];
  const auto slot = [&](std::string_view setting) {
    const auto index = physio::find_setting(block, setting);
    if (!index)
      throw InputError(fmt::format("{}: {} has no setting {}", origin, a.device, setting));
    return *index;
  };
  physio::DeviceSettings& now = faults.settings[device];
  const auto set = [&](std::size_t k, double value) {
    sim::Event e;
    e.time_s = t;
    e.kind = sim::EventKind::device_setting;
    e.device = static_cast<std::uint32_t>(device);
    e.setting = static_cast<std::uint32_t>(k);
    e.value = value;
    refuse_second_value(s, e, at_name,
                        fmt::format("{}'s {}", a.device, block.setting_specs()[k].name));
    s.events.push_back({e, origin, true});
    now.value[k] = value;
  };
  std::size_t k = 0;
  double value = 1.0;
  switch (*fault) {
    case Fault::motor_failure:
      k = slot("motor_failure");
      break;
    case Fault::migration_ventricle:
      k = slot("position");
      break;
    case Fault::migration_aorta:
      k = slot("position");
      value = 2.0;
      break;
    case Fault::purge_kink:
      k = slot("purge_occlusion");
      a.occlusion = defaults.purge_kink_occlusion;
      if (const toml::node* o = table.get("occlusion")) {
        a.occlusion = detail::checked_number(file, *o, prefix + ".occlusion", {0.0, 1.0, true},
                                             "an occlusion of more than 0 and at most 1");
      }
      value = a.occlusion;
      break;
    case Fault::purge_bag_empty:
      k = slot("purge_supply");
      value = 0.0;
      break;
    case Fault::placement_sensor_failure:
      k = slot("placement_sensor_blocked");
      break;
    case Fault::current_sensor_noise:
      k = slot("current_sensor_noise");
      if (!a.cleared) set(slot("current_sensor_fault_start_s"), t);
      break;
    case Fault::hypovolaemia:
      break;
  }
  if (a.cleared) {
    set(k, active->second.previous);
    faults.active.erase(active);
  } else {
    faults.active[key] = {t, origin, now.value[k], 0};
    set(k, value);
  }
  s.faults.push_back(std::move(a));
}

// The rate events of overlapping stretches: at each start or end, the sum of the stretches
// running from then on (summed afresh, in the order written, so that it is exactly 0 when none
// runs).
void add_rate_events(const std::vector<RateInterval>& stretches, sim::EventKind kind, Scenario& s) {
  std::vector<std::pair<double, const RateInterval*>> changes;
  for (const auto& r : stretches) {
    changes.emplace_back(r.start_s, &r);
    changes.emplace_back(r.end_s, &r);
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  double now = 0;
  for (std::size_t j = 0; j < changes.size(); ++j) {
    const double t = changes[j].first;
    if (j > 0 && changes[j - 1].first == t) continue;
    double rate = 0;
    for (const auto& r : stretches) {
      if (r.start_s <= t && t < r.end_s) rate += r.rate_mL_s;
    }
    if (rate > sim::kMaxFluidRate_mL_s) {
      const RateInterval& r = *changes[j].second;
      throw InputError(fmt::format(
          "{}: key '{}': with the {} running at {:g} s the rate adds up to {:g} mL/s (at most "
          "{:g} mL/s)",
          r.origin, r.key, kind == sim::EventKind::infusion_rate ? "infusions" : "bleeds", t, rate,
          sim::kMaxFluidRate_mL_s));
    }
    if (rate == now) continue;
    now = rate;
    sim::Event e;
    e.time_s = t;
    e.kind = kind;
    e.value = rate;
    s.events.push_back({e, changes[j].second->origin});
  }
}

void read_events(const fs::path& file, const toml::array& array, Scenario& s) {
  double previous_time = 0;
  std::string previous_origin;
  std::array<std::vector<Inflation>, physio::territory_count> inflations, no_reflows;
  std::array<double, physio::territory_count> open_level{1.0, 1.0, 1.0};  // stenoses, stents
  std::vector<RateInterval> infusions, bleeds;
  physio::Rhythm rhythm = physio::Rhythm::sinus;
  FaultTimeline faults;
  faults.settings = s.devices.settings;
  const bool shock_checked =
      s.start != StartKind::state_file && !(s.patient.rhythm.vf_risk_per_min > 0.0);
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto& table = *array[i].as_table();
    const std::string prefix = fmt::format("events[{}]", i);
    const std::string origin = location(file, table.source());
    const toml::node* time = table.get("time");
    if (!time) {
      fail(where(file, table, prefix + ".time"),
           fmt::format("missing (expected a time between 0 and {:g} s, the duration)",
                       s.duration_s));
    }
    const double t = detail::checked_number(
        file, *time, prefix + ".time", {0.0, s.duration_s},
        fmt::format("a time between 0 and {:g} s (the duration)", s.duration_s));
    if (t < previous_time) {
      fail(where(file, *time, prefix + ".time"),
           fmt::format("events must be in time order: {:g} s comes after an event at {:g} s ({})",
                       t, previous_time, previous_origin));
    }
    previous_time = t;
    previous_origin = origin;
    if (table.get("fault") || table.get("fault_cleared")) {
      read_fault_event(file, table, prefix, t, s, bleeds, faults);
      continue;
    }
    for (const char* only : {"volume_mL", "occlusion"}) {
      if (const toml::node* n = table.get(only)) {
        fail(where(file, *n, prefix + "." + only),
             std::string("belongs to a fault event (fault = \"") +
                 (only == std::string_view("volume_mL") ? "hypovolaemia" : "purge_kink") + "\")");
      }
    }
    if (table.get("balloon") || table.get("stent") || table.get("no_reflow") ||
        table.get("stenosis")) {
      read_coronary_event(file, table, prefix, t, s, inflations, no_reflows, open_level);
      continue;
    }
    if (table.get("fluid_mL") || table.get("bleeding_mL_min")) {
      read_fluid_event(file, table, prefix, t, s, infusions, bleeds);
      continue;
    }
    if (table.get("drug")) {
      read_drug_event(file, table, prefix, t, s);
      continue;
    }
    if (const toml::node* n = table.get("dose")) {
      fail(where(file, *n, prefix + ".dose"),
           "belongs to a drug event (drug = \"norepinephrine\")");
    }
    if (table.get("rhythm") || table.get("defibrillate")) {
      read_rhythm_event(file, table, prefix, t, s, rhythm, shock_checked);
      continue;
    }
    if (table.get("console") || table.get("check")) {
      read_console_event(file, table, prefix, t, s);
      continue;
    }
    if (const toml::node* n = table.get("by")) {
      fail(where(file, *n, prefix + ".by"), "belongs to a check event (check = \"purge_system\")");
    }
    if (const toml::node* n = table.get("rate")) {
      fail(where(file, *n, prefix + ".rate"),
           "belongs to a rhythm event (rhythm = \"vt\" or \"paced\")");
    }
    for (const char* only : {"duration", "residual"}) {
      if (const toml::node* n = table.get(only)) {
        fail(where(file, *n, prefix + "." + only),
             "belongs to a balloon event (balloon = \"LAD\"), a no-reflow event (no_reflow = "
             "\"LAD\"), a stenosis event (stenosis = \"LAD\", residual) or, duration, a "
             "bleeding event (bleeding_mL_min = 100)");
      }
    }
    for (const char* only : {"over_s", "site"}) {
      if (const toml::node* n = table.get(only)) {
        fail(where(file, *n, prefix + "." + only),
             "belongs to a fluid event (fluid_mL = 250) or, site, a bleeding event "
             "(bleeding_mL_min = 100) or, over_s, a hypovolaemia fault (fault = "
             "\"hypovolaemia\")");
      }
    }
    const toml::node* device = table.get("device");
    if (!device) {
      fail(where(file, table, prefix + ".device"),
           fmt::format("missing (expected an attached device; an event has {} and the settings "
                       "to change)",
                       keys_of("events")));
    }
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
    std::size_t settings = 0;
    for (const auto& [k, node] : as_written(table)) {
      if (is_key("events", k)) continue;
      const Where at = where(file, *node, prefix + "." + std::string(k));
      const auto [slot, value] = resolve_setting(*blocks[index], k, setting_text(at, *node),
                                                 location(file, node->source()));
      const auto& spec = blocks[index]->setting_specs()[slot];
      sim::Event e;
      e.time_s = t;
      e.kind = spec.command != CommandKind::none ? sim::EventKind::operator_setting
                                                 : sim::EventKind::device_setting;
      e.device = static_cast<std::uint32_t>(index);
      e.setting = static_cast<std::uint32_t>(slot);
      e.value = value;
      refuse_second_value(s, e, at, fmt::format("{}'s {}", kind, spec.name));
      s.events.push_back({e, location(file, node->source())});
      faults.settings[index].value[slot] = value;
      ++settings;
    }
    if (settings == 0) fail(where(file, table, prefix), "expected settings to change");
  }
  add_rate_events(infusions, sim::EventKind::infusion_rate, s);
  add_rate_events(bleeds, sim::EventKind::bleeding_rate, s);
  // Deflations (and the ends of infusions and bleeds) fall later than the events written after
  // them: the timeline in time order (events at one time keep the order written).
  std::stable_sort(s.events.begin(), s.events.end(),
                   [](const auto& a, const auto& b) { return a.event.time_s < b.event.time_s; });
}

}  // namespace

std::string_view to_string(StartKind kind) {
  switch (kind) {
    case StartKind::steady:
      return "steady";
    case StartKind::rest:
      return "rest";
    case StartKind::state_file:
      return "state_file";
  }
  return "?";
}

Scenario load_scenario(const fs::path& file) {
  const toml::table doc = parse_file(file);
  check_tables(file, doc);
  Scenario s;
  s.file = file;
  s.name = file.stem().string();
  if (file.extension() == ".json" && file.stem() == "summary") {
    s.name = fs::absolute(file).lexically_normal().parent_path().filename().string();
  }
  const toml::table* scenario = table_named(file, doc, "scenario");
  if (!scenario) {
    throw InputError(fmt::format(
        "{}: key 'scenario': missing (expected a [scenario] table with patient and duration)",
        file.string()));
  }
  read_scenario_table(file, *scenario, s);
  load_patient(file, *scenario, s);
  if (const auto* overrides = table_named(file, doc, "overrides")) {
    apply_overrides(file, *overrides, s, "overrides", true);
  }
  if (const auto* all = table_named(file, doc, "patient_parameters")) {
    apply_overrides(file, *all, s, "patient_parameters", false);
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

std::span<const ScenarioKey> scenario_keys() { return kKeys; }

}  // namespace unload::io
