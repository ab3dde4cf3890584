#include "unload/io/presets.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "unload/core/error.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/parameter_file.hpp"
#include "unload/io/toml_errors.hpp"
#include "unload/physio/circulation.hpp"

namespace unload::io {

namespace fs = std::filesystem;

namespace {

// Where an installed unload keeps its data: UNLOAD_INSTALLED_DATA_DIR (e.g. "../share/unload/data")
// from the directory of the running binary, which /proc/self/exe names with every symbolic link
// resolved. Empty when that cannot be read.
fs::path installed_data_directory() {
  std::error_code ec;
  const fs::path binary = fs::read_symlink("/proc/self/exe", ec);
  if (ec || binary.empty()) return {};
  return (binary.parent_path() / UNLOAD_INSTALLED_DATA_DIR).lexically_normal();
}

}  // namespace

fs::path data_directory() {
  std::error_code ec;
  if (const char* env = std::getenv("UNLOAD_DATA_DIR"); env && *env) {
    const fs::path named(env);
    if (!fs::is_directory(named / "patients", ec)) {
      throw InputError(fmt::format(
          "UNLOAD_DATA_DIR={}: not unload's data directory (expected a directory with patients/ "
          "and devices/; unset it to use the installed data)",
          env));
    }
    return named;
  }
  static const fs::path installed = installed_data_directory();
  if (!installed.empty() && fs::is_directory(installed / "patients", ec)) return installed;
  const fs::path built(UNLOAD_DEFAULT_DATA_DIR);
  if (!fs::is_directory(built / "patients", ec)) {
    throw InputError(fmt::format(
        "no data directory: neither {} (installed) nor {} (the source tree this program was built "
        "from) holds patients/; set UNLOAD_DATA_DIR to unload's data directory",
        installed.empty() ? std::string("<unknown>") : installed.string(), built.string()));
  }
  return built;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(data_directory() / "patients", ec)) {
    if (e.path().extension() == ".toml") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

constexpr std::string_view kEnabledKey = "baroreflex.enabled";

// What is wrong with a patient whose every value is in range, or "": the relations between
// parameters (physio::check_consistency), and the blood volume, which must fill the circulation's
// unstressed volume (checked here, where the file and line are known, rather than when a run
// builds its first state).
std::string patient_problem(const physio::PatientParameters& p) {
  if (auto problem = physio::check_consistency(p); !problem.empty()) return problem;
  std::vector<double> unstressed(physio::kVolumeCount);
  physio::Circulation(p, {}).unstressed_volumes(unstressed);
  double total = 0;
  for (double v : unstressed) total += v;
  if (!(p.body.total_blood_volume_mL >= total)) {
    return fmt::format(
        "body.total_blood_volume ({:g} mL) is smaller than the unstressed volume of the "
        "circulation ({:.0f} mL: the chambers' zero-pressure volumes and the vessels' unstressed "
        "volumes)",
        p.body.total_blood_volume_mL, total);
  }
  return {};
}

fs::path resolve(std::string_view name_or_path) {
  const fs::path p(name_or_path);
  if (p.extension() == ".toml" || name_or_path.find('/') != std::string_view::npos) return p;
  const fs::path file = data_directory() / "patients" / (std::string(name_or_path) + ".toml");
  if (!fs::exists(file)) {
    std::string known;
    for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
    throw InputError(
        fmt::format("unknown patient preset '{}' (expected one of: {})", name_or_path, known));
  }
  return file;
}

struct Loaded {
  physio::PatientParameters params;
  std::set<std::string> seen;
  std::map<std::string, std::string> sources;
};

void read_file(const fs::path& file, Loaded& out, int depth);

void read_entry(const fs::path& file, const std::string& key, const toml::table& entry,
                Loaded& out) {
  const std::string source = detail::entry_source(file, key, entry);
  if (key == kEnabledKey) {
    const auto& value = *entry.get("value");
    if (!value.is_boolean()) {
      throw InputError(fmt::format("{}: key '{}': expected true or false, got {}",
                                   detail::location(file, value), key, detail::describe(value)));
    }
    out.params.baroreflex.enabled = *value.value<bool>();
  } else {
    const physio::ParameterSpec* spec = physio::find_parameter_spec(key);
    if (!spec) {
      throw InputError(
          fmt::format("{}: unknown parameter '{}'", detail::location(file, entry), key));
    }
    spec->field(out.params) =
        detail::entry_number(file, key, entry, spec->unit, spec->min, spec->max);
  }
  out.seen.insert(key);
  out.sources[key] = source;
}

void read_file(const fs::path& file, Loaded& out, int depth) {
  if (depth > 8)
    throw InputError(fmt::format("{}: preset bases nest too deeply (a cycle?)", file.string()));
  const toml::table doc = detail::parse_toml_file(file, "patient preset");
  const auto* preset = doc.get_as<toml::table>("preset");
  if (!preset) {
    throw InputError(
        fmt::format("{}: expected a [preset] table with name and description", file.string()));
  }
  for (const auto& [k, v] : *preset) {
    if (k != "name" && k != "description" && k != "base") {
      throw InputError(
          fmt::format("{}: key 'preset.{}': unknown (expected name, description, base)",
                      detail::location(file, v), k.str()));
    }
    if (!v.is_string()) {
      throw InputError(fmt::format("{}: key 'preset.{}': expected a string, got {}",
                                   detail::location(file, v), k.str(), detail::describe(v)));
    }
  }
  if (auto base = (*preset)["base"].value<std::string>()) {
    const fs::path base_file = (fs::path(*base).extension() == ".toml")
                                   ? file.parent_path() / *base
                                   : file.parent_path() / (*base + ".toml");
    if (!fs::exists(base_file)) {
      throw InputError(fmt::format("{}: key 'preset.base': no preset '{}' next to this file",
                                   detail::location(file, *preset->get("base")), *base));
    }
    read_file(base_file, out, depth + 1);
  }
  out.params.name = (*preset)["name"].value_or(file.stem().string());
  out.params.description = (*preset)["description"].value_or(std::string());
  detail::for_each_entry(
      file, doc, "preset",
      [&](const std::string& key, const toml::table& entry) { read_entry(file, key, entry, out); });
}

// The pharmacology every patient shares (data/drugs.toml: drugs.* keys), read before the preset so
// that a preset may override a value.
void read_drugs(Loaded& out) {
  const fs::path file = data_directory() / "drugs.toml";
  const toml::table doc = detail::parse_toml_file(file, "drug data");
  detail::for_each_entry(file, doc, "", [&](const std::string& key, const toml::table& entry) {
    if (!key.starts_with("drugs.")) {
      throw InputError(fmt::format("{}: key '{}': expected only drugs.* parameters",
                                   detail::location(file, entry), key));
    }
    read_entry(file, key, entry, out);
  });
}

Loaded load(std::string_view name_or_path) {
  const fs::path file = resolve(name_or_path);
  Loaded out;
  read_drugs(out);
  read_file(file, out, 0);
  for (const auto& spec : physio::parameter_specs()) {
    if (!out.seen.count(spec.key)) {
      throw InputError(fmt::format("{}: missing parameter '{}' (expected a value in {})",
                                   file.string(), spec.key, spec.unit));
    }
  }
  if (!out.seen.count(std::string(kEnabledKey))) {
    throw InputError(fmt::format("{}: missing parameter '{}' (expected true or false)",
                                 file.string(), kEnabledKey));
  }
  if (auto problem = patient_problem(out.params); !problem.empty()) {
    throw InputError(fmt::format("{}: {}", file.string(), problem));
  }
  return out;
}

}  // namespace

physio::PatientParameters load_preset(std::string_view name_or_path) {
  return load(name_or_path).params;
}

std::vector<std::pair<std::string, std::string>> preset_sources(std::string_view name_or_path) {
  auto l = load(name_or_path);
  return {l.sources.begin(), l.sources.end()};
}

void apply_override(physio::PatientParameters& patient, std::string_view key, double value,
                    std::string_view origin) {
  if (key == kEnabledKey) {
    if (value != 0.0 && value != 1.0) {
      throw InputError(fmt::format("{}: key '{}': expected true or false", origin, key));
    }
    patient.baroreflex.enabled = value != 0.0;
    return;
  }
  const physio::ParameterSpec* spec = physio::find_parameter_spec(key);
  if (!spec) throw InputError(fmt::format("{}: unknown parameter '{}'", origin, key));
  if (!(value >= spec->min && value <= spec->max)) {
    throw InputError(fmt::format("{}: key '{}': expected a value between {} and {} {}, got {}",
                                 origin, key, spec->min, spec->max, spec->unit, value));
  }
  physio::PatientParameters candidate = patient;
  spec->field(candidate) = value;
  if (auto problem = patient_problem(candidate); !problem.empty()) {
    throw InputError(fmt::format("{}: key '{}': {}", origin, key, problem));
  }
  patient = candidate;
}

void apply_overrides(physio::PatientParameters& patient, const std::vector<Override>& overrides,
                     std::string_view origin) {
  physio::PatientParameters candidate = patient;
  for (const auto& o : overrides) {
    if (o.key == kEnabledKey) {
      apply_override(candidate, o.key, o.value, o.origin);
      continue;
    }
    const physio::ParameterSpec* spec = physio::find_parameter_spec(o.key);
    if (!spec) throw InputError(fmt::format("{}: unknown parameter '{}'", o.origin, o.key));
    if (!(o.value >= spec->min && o.value <= spec->max)) {
      throw InputError(fmt::format("{}: key '{}': expected a value between {} and {} {}, got {}",
                                   o.origin, o.key, spec->min, spec->max, spec->unit, o.value));
    }
    spec->field(candidate) = o.value;
  }
  if (auto problem = patient_problem(candidate); !problem.empty()) {
    // Where one of the values the problem names was given, if it is one of these.
    for (const auto& o : overrides) {
      if (problem.find(o.key) != std::string::npos) {
        throw InputError(fmt::format("{}: key '{}': {}", o.origin, o.key, problem));
      }
    }
    throw InputError(fmt::format("{}: {}", origin, problem));
  }
  patient = candidate;
}

}  // namespace unload::io
