#include "unload/io/faults.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <map>

#include "unload/core/error.hpp"
#include "unload/io/input_file.hpp"
#include "unload/io/parameter_file.hpp"
#include "unload/io/presets.hpp"
#include "unload/io/toml_errors.hpp"

namespace unload::io {

std::optional<Fault> fault_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kFaultCount; ++i) {
    if (kFaultNames[i] == name) return static_cast<Fault>(i);
  }
  return std::nullopt;
}

std::string fault_names_text() {
  std::string out;
  for (const auto& n : kFaultNames) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

FaultDefaults load_fault_defaults() {
  struct Spec {
    std::string_view unit;
    double min, max;
    double FaultDefaults::*field;
  };
  // Ranges as a scenario's optional keys accept them (io/scenario.cpp).
  const std::map<std::string, Spec, std::less<>> specs = {
      {"hypovolaemia.volume", {"mL", 1.0, 10000.0, &FaultDefaults::hypovolaemia_volume_mL}},
      {"hypovolaemia.over", {"s", 1.0, 3600.0, &FaultDefaults::hypovolaemia_over_s}},
      {"purge_kink.occlusion", {"1", 0.0, 1.0, &FaultDefaults::purge_kink_occlusion}},
  };
  const std::filesystem::path file = data_directory() / "faults.toml";
  const toml::table doc = detail::parse_toml_file(file, "fault data");
  FaultDefaults out;
  std::map<std::string, bool, std::less<>> seen;
  detail::for_each_entry(file, doc, "", [&](const std::string& key, const toml::table& entry) {
    const auto it = specs.find(key);
    if (it == specs.end()) {
      throw InputError(
          fmt::format("{}: key '{}': unknown (expected hypovolaemia.volume, hypovolaemia.over and "
                      "purge_kink.occlusion)",
                      detail::location(file, entry), key));
    }
    detail::entry_source(file, key, entry);
    out.*(it->second.field) =
        detail::entry_number(file, key, entry, it->second.unit, it->second.min, it->second.max);
    seen[key] = true;
  });
  for (const auto& [key, spec] : specs) {
    if (!seen.count(key)) {
      throw InputError(fmt::format("{}: missing parameter '{}' (expected a value in {})",
                                   file.string(), key, spec.unit));
    }
  }
  if (out.hypovolaemia_volume_mL / out.hypovolaemia_over_s > 100.0) {
    throw InputError(fmt::format(
        "{}: hypovolaemia.volume over hypovolaemia.over is faster than 100 mL/s", file.string()));
  }
  return out;
}

}  // namespace unload::io
