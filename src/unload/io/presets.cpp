#include "unload/io/presets.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "unload/core/error.hpp"

namespace unload::io {

namespace fs = std::filesystem;

fs::path data_directory() {
  if (const char* env = std::getenv("UNLOAD_DATA_DIR"); env && *env) return fs::path(env);
  return fs::path(UNLOAD_DEFAULT_DATA_DIR);
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

std::string where(const fs::path& file, const toml::node& node) {
  const auto& src = node.source();
  if (src.begin.line > 0) return fmt::format("{}:{}", file.string(), src.begin.line);
  return file.string();
}

std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return fmt::format("the string \"{}\"", *n.value<std::string>());
    case toml::node_type::integer:
    case toml::node_type::floating_point:
      return fmt::format("{}", *n.value<double>());
    case toml::node_type::boolean:
      return *n.value<bool>() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a value of another type";
  }
}

struct Loaded {
  physio::PatientParameters params;
  std::set<std::string> seen;
  std::map<std::string, std::string> sources;
};

void read_file(const fs::path& file, Loaded& out, int depth);

void read_entry(const fs::path& file, const std::string& key, const toml::table& entry,
                Loaded& out) {
  const auto* value = entry.get("value");
  const auto* source = entry.get("source");
  for (const auto& [k, v] : entry) {
    if (k != "value" && k != "unit" && k != "source") {
      throw InputError(
          fmt::format("{}: key '{}': unexpected field '{}' (expected value, unit, source)",
                      where(file, v), key, k.str()));
    }
  }
  if (!source || !source->is_string() || source->value<std::string>()->empty()) {
    throw InputError(fmt::format(
        "{}: key '{}': expected a non-empty source = \"...\" naming where the value comes from",
        where(file, entry), key));
  }
  if (key == kEnabledKey) {
    if (!value->is_boolean()) {
      throw InputError(fmt::format("{}: key '{}': expected true or false, got {}",
                                   where(file, *value), key, describe(*value)));
    }
    out.params.baroreflex.enabled = *value->value<bool>();
  } else {
    const physio::ParameterSpec* spec = physio::find_parameter_spec(key);
    if (!spec) {
      throw InputError(fmt::format("{}: unknown parameter '{}'", where(file, entry), key));
    }
    const auto* unit = entry.get("unit");
    if (!unit || !unit->is_string() || *unit->value<std::string>() != spec->unit) {
      throw InputError(
          fmt::format("{}: key '{}': expected unit = \"{}\", got {}",
                      where(file, unit ? *unit : static_cast<const toml::node&>(entry)), key,
                      spec->unit, unit ? describe(*unit) : "no unit"));
    }
    if (!value->is_number()) {
      throw InputError(fmt::format("{}: key '{}': expected a number in {}, got {}",
                                   where(file, *value), key, spec->unit, describe(*value)));
    }
    const double v = *value->value<double>();
    if (!(v >= spec->min && v <= spec->max)) {
      throw InputError(fmt::format("{}: key '{}': expected a value between {} and {} {}, got {}",
                                   where(file, *value), key, spec->min, spec->max, spec->unit, v));
    }
    spec->field(out.params) = v;
  }
  out.seen.insert(key);
  out.sources[key] = *source->value<std::string>();
}

void walk(const fs::path& file, const std::string& prefix, const toml::table& table, Loaded& out) {
  for (const auto& [k, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (prefix.empty() && k == "preset") continue;
    const auto* t = node.as_table();
    if (!t) {
      throw InputError(fmt::format(
          "{}: key '{}': expected {{ value = ..., unit = \"...\", source = \"...\" }}, got {}",
          where(file, node), key, describe(node)));
    }
    if (t->contains("value")) {
      read_entry(file, key, *t, out);
    } else {
      walk(file, key, *t, out);
    }
  }
}

void read_file(const fs::path& file, Loaded& out, int depth) {
  if (depth > 8)
    throw InputError(fmt::format("{}: preset bases nest too deeply (a cycle?)", file.string()));
  if (!fs::exists(file)) throw InputError(fmt::format("{}: no such file", file.string()));
  toml::table doc;
  try {
    doc = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}: not valid TOML: {}", file.string(), e.source().begin.line,
                                 e.description()));
  }
  const auto* preset = doc.get_as<toml::table>("preset");
  if (!preset) {
    throw InputError(
        fmt::format("{}: expected a [preset] table with name and description", file.string()));
  }
  for (const auto& [k, v] : *preset) {
    if (k != "name" && k != "description" && k != "base") {
      throw InputError(
          fmt::format("{}: key 'preset.{}': unknown (expected name, description, base)",
                      where(file, v), k.str()));
    }
    if (!v.is_string()) {
      throw InputError(fmt::format("{}: key 'preset.{}': expected a string, got {}", where(file, v),
                                   k.str(), describe(v)));
    }
  }
  if (auto base = (*preset)["base"].value<std::string>()) {
    const fs::path base_file = (fs::path(*base).extension() == ".toml")
                                   ? file.parent_path() / *base
                                   : file.parent_path() / (*base + ".toml");
    if (!fs::exists(base_file)) {
      throw InputError(fmt::format("{}: key 'preset.base': no preset '{}' next to this file",
                                   where(file, *preset->get("base")), *base));
    }
    read_file(base_file, out, depth + 1);
  }
  out.params.name = (*preset)["name"].value_or(file.stem().string());
  out.params.description = (*preset)["description"].value_or(std::string());
  walk(file, "", doc, out);
}

Loaded load(std::string_view name_or_path) {
  const fs::path file = resolve(name_or_path);
  Loaded out;
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
  if (auto problem = physio::check_consistency(out.params); !problem.empty()) {
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
  if (auto problem = physio::check_consistency(candidate); !problem.empty()) {
    throw InputError(fmt::format("{}: key '{}': {}", origin, key, problem));
  }
  patient = candidate;
}

}  // namespace unload::io
